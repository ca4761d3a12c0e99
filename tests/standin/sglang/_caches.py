"""Where the stand-in puts its "compiled kernels", resolved like SGLang 0.5.23 resolves them
(srt/environ.py: SGLANG_CACHE_DIR base, third_party_cache_defaults() applied with setdefault,
SGLANG_DG_CACHE_DIR under the base, SGLANG_JIT_CACHE_DIR *not* under it), plus a record of the
environment each run saw (STANDIN_ENV_RECORD=<file>: one JSON line per run), so tests can prove
that compile and serve used the same absolute cache paths.

FlashInfer-like behaviour: a JIT module's build file records the absolute path it was built at;
when a later run finds it at another path it rebuilds (the real FlashInfer writes absolute paths
into its build files, so a moved cache may rebuild).
"""

from __future__ import annotations

import json
import os
import re
import time
import sys

SECRET = re.compile(r"(TOKEN|SECRET|PASSWORD|KEY)", re.I)


def resolve() -> dict[str, str]:
    env = os.environ
    base = os.path.expanduser(env.get("SGLANG_CACHE_DIR") or "~/.cache/sglang")
    third = {
        "TRITON_CACHE_DIR": os.path.join(base, "triton"),
        "TORCHINDUCTOR_CACHE_DIR": os.path.join(base, "inductor"),
        "CUDA_CACHE_PATH": os.path.join(base, "nv"),
        "TILELANG_CACHE_DIR": os.path.join(base, "tilelang"),
        "FLASHINFER_WORKSPACE_BASE": base,
    }
    out = {"SGLANG_CACHE_DIR": base}
    for k, v in third.items():
        out[k] = env.get(k, v)  # setdefault: an explicit value wins
    out["SGLANG_DG_CACHE_DIR"] = env.get("SGLANG_DG_CACHE_DIR") or os.path.join(base, "deep_gemm")
    out["SGLANG_JIT_CACHE_DIR"] = os.path.expanduser(env.get("SGLANG_JIT_CACHE_DIR") or "~/.cache/sglang/jit")
    out["SGLANG_CUTE_AOT_CACHE_DIR"] = env.get("SGLANG_CUTE_AOT_CACHE_DIR") or os.path.join(base, "cute_aot")
    return out


def record(tool: str) -> dict[str, str]:
    paths = resolve()
    target = os.environ.get("STANDIN_ENV_RECORD")
    if target:
        env = {k: v for k, v in os.environ.items() if not SECRET.search(k)}
        with open(target, "a") as fh:
            fh.write(json.dumps({"tool": tool, "pid": os.getpid(), "time": time.time(), "env": env,
                                 "resolved": paths, "argv": sys.argv[1:]}) + "\n")
    return paths


def flashinfer_module(paths: dict[str, str]) -> str:
    return os.path.join(paths["FLASHINFER_WORKSPACE_BASE"], ".cache", "flashinfer", "standin_mla", "build.ninja")


def build_jit(paths: dict[str, str], say) -> dict[str, int]:
    """Build (or reuse) the stand-in's JIT modules; returns how many were built vs reused."""
    built = reused = 0
    fi = flashinfer_module(paths)
    here = os.path.dirname(fi)
    if os.path.isfile(fi) and open(fi).read().strip() == f"builddir = {here}":
        reused += 1
    else:
        if os.path.isfile(fi):
            say(f"FlashInfer JIT: {fi} was built at another path: rebuilding standin_mla")
        os.makedirs(here, exist_ok=True)
        with open(fi, "w") as fh:
            fh.write(f"builddir = {here}\n")  # absolute path, like FlashInfer's ninja files
        built += 1
    jit = os.path.join(paths["SGLANG_JIT_CACHE_DIR"], "sm100", "dsa_indexer", "build-standin", "module.so")
    if os.path.isfile(jit):
        reused += 1
    else:
        os.makedirs(os.path.dirname(jit), exist_ok=True)
        with open(jit, "wb") as fh:
            fh.write(b"\x7fELF stand-in jit module")
        built += 1
    return {"built": built, "reused": reused}


def deep_gemm_kernels(paths: dict[str, str]) -> int:
    d = os.path.join(paths["SGLANG_DG_CACHE_DIR"], "cache")
    try:
        return len([n for n in os.listdir(d) if n.endswith(".cubin")])
    except OSError:
        return 0
