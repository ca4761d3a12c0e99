"""SGLang's compiled-kernel caches: every one listed, compiled once, reused at the same path.

What the pinned SGLang (0.5.23) reads, from its source:

* ``srt/environ.py``: ``SGLANG_CACHE_DIR`` (default ``~/.cache/sglang``) is the base;
  ``third_party_cache_defaults()`` derives ``TRITON_CACHE_DIR``, ``TORCHINDUCTOR_CACHE_DIR``,
  ``CUDA_CACHE_PATH``, ``TILELANG_CACHE_DIR`` and ``FLASHINFER_WORKSPACE_BASE`` from it, and
  ``redirect_third_party_caches()`` (called first thing in ``sglang/__init__.py``) applies them
  with ``os.environ.setdefault`` — only when not already set, and silently not at all once
  FlashInfer was imported. So we set every one of them explicitly, to the same values.
* ``SGLANG_DG_CACHE_DIR`` (``srt/environ.py``, default ``$SGLANG_CACHE_DIR/deep_gemm``);
  ``srt/layers/deep_gemm_wrapper/compile_utils.py`` copies it into ``DG_JIT_CACHE_DIR`` (the
  variable DeepGEMM itself reads) and takes its lock files under ``DG_JIT_CACHE_DIR/locks``.
* ``SGLANG_JIT_CACHE_DIR`` (``srt/environ.py``; ``kernels/jit/utils/compile/cache.py``
  ``cache_root()``: unset → ``~/.cache/sglang/jit``, *not* under ``SGLANG_CACHE_DIR``): SGLang's
  own JIT kernels (DSA indexer, top-k, MLA KV paths).
* ``SGLANG_CUTE_AOT_CACHE_DIR`` (``srt/environ.py``, default ``$SGLANG_CACHE_DIR/cute_aot``;
  ``kernels/jit/cute_aot_cache.py``): CuTe DSL ahead-of-time objects.
* ``TORCH_EXTENSIONS_DIR`` (``srt/utils/cpp_extension_loader.py``): torch C++ extension builds.

Not set on purpose: ``XDG_CACHE_HOME`` (read only by ``srt/model_loader/expert_pack_runtime.py``
for GGUF expert packs of other models; setting it would also move the Hugging Face cache).

The rule (FlashInfer writes absolute paths into its build files, so a moved cache may rebuild):
the compile run and the server both run SGLang with every cache under ONE fixed absolute work
directory (:data:`WORK_DIR` in a container). The compile run writes there; on success the tree
is copied into the cache volume under the kernel key, then the marker is written, last. The
server restores the key's tree from the read-only volume mount to the same work directory
before SGLang starts, so every cached build is found where it was built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

WORK_DIR = "/opt/modal-llm-deploy/sglang-cache"
# The local CLI's work directory inside --cache-dir: derived from it alone, so `compile` and
# `serve` with the same --cache-dir use the same absolute path. A dot name: never a key.
LOCAL_WORK_NAME = ".work"


@dataclass(frozen=True)
class CacheLocation:
    name: str
    env: str
    subdir: str  # under the work directory ("" = the work directory itself)
    holds: str
    source: str  # where the pinned SGLang reads it


SGLANG_CACHES: tuple[CacheLocation, ...] = (
    CacheLocation("sglang", "SGLANG_CACHE_DIR", "",
                  "base of SGLang's caches: FA3 kernel locks, FlashInfer autotune results, "
                  "custom all-reduce, torch.compile backend",
                  "srt/environ.py Envs.SGLANG_CACHE_DIR"),
    CacheLocation("deep_gemm", "SGLANG_DG_CACHE_DIR", "deep_gemm",
                  "DeepGEMM FP8 GEMM kernels for every M up to the chunked-prefill bound",
                  "srt/environ.py Envs.SGLANG_DG_CACHE_DIR"),
    CacheLocation("deep_gemm (DeepGEMM's own name)", "DG_JIT_CACHE_DIR", "deep_gemm",
                  "same directory; SGLang copies SGLANG_DG_CACHE_DIR into it at import",
                  "srt/layers/deep_gemm_wrapper/compile_utils.py"),
    CacheLocation("sglang_jit", "SGLANG_JIT_CACHE_DIR", "jit",
                  "SGLang's own JIT kernels (DSA indexer, top-k, MLA KV)",
                  "srt/environ.py Envs.SGLANG_JIT_CACHE_DIR; kernels/jit/utils/compile/cache.py"),
    CacheLocation("cute_aot", "SGLANG_CUTE_AOT_CACHE_DIR", "cute_aot",
                  "CuTe DSL ahead-of-time compiled objects",
                  "srt/environ.py Envs.SGLANG_CUTE_AOT_CACHE_DIR"),
    CacheLocation("triton", "TRITON_CACHE_DIR", "triton", "Triton kernels",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("inductor", "TORCHINDUCTOR_CACHE_DIR", "inductor", "torch.compile / Inductor artefacts",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("cuda", "CUDA_CACHE_PATH", "nv", "CUDA driver PTX→SASS JIT cache",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("tilelang", "TILELANG_CACHE_DIR", "tilelang", "TileLang kernels",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("flashinfer", "FLASHINFER_WORKSPACE_BASE", "",
                  "FlashInfer JIT modules (FlashInfer appends .cache/flashinfer; absolute paths in its build files)",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("torch_extensions", "TORCH_EXTENSIONS_DIR", "torch_extensions",
                  "torch C++ extension builds",
                  "srt/utils/cpp_extension_loader.py"),
)


def cache_path(work_dir: str | Path, loc: CacheLocation) -> str:
    w = str(work_dir).rstrip("/")
    return f"{w}/{loc.subdir}" if loc.subdir else w


def cache_env(work_dir: str | Path) -> dict[str, str]:
    """Every cache variable the pinned SGLang reads, each pointed under ``work_dir``."""
    return {loc.env: cache_path(work_dir, loc) for loc in SGLANG_CACHES}


def local_work_dir(cache_root: Path) -> Path:
    return Path(cache_root).resolve() / LOCAL_WORK_NAME


# --- the kernel key's argument hash ---------------------------------------------------------

# Arguments that never shape a kernel, so they stay out of the hash (name → values it takes).
# Everything else is hashed, conservatively: a needless recompile costs one compile run, a
# missed kernel-shaping flag costs a cold JIT in every container.
NOT_KERNEL_SHAPING: dict[str, int] = {
    "--host": 1, "--port": 1,  # where the compile run's private server or the real one listens
    "--timeout": 1,  # compile_deep_gemm's own wait limit
    # where the weights are mounted (differs between Modal and a local box); the weights
    # themselves are pinned by the revision part of the key
    "--model-path": 1, "--model": 1,
    "--served-model-name": 1,  # the label clients send in "model"
    "--watchdog-timeout": 1,  # a timer in the scheduler (srt/utils/watchdog.py)
    "--enable-metrics": 0,  # the Prometheus endpoint
    # text post-processing of generated output (tool calls, reasoning blocks)
    "--tool-call-parser": 1, "--reasoning-parser": 1,
    # multi-node: which rank and where rank 0 is (set per container at run time, profile/topology.py);
    # the whole cluster shares one key. --nnodes stays in: it changes the TP group per GPU.
    "--node-rank": 1, "--dist-init-addr": 1,
}


def kernel_args(argv: Sequence[str]) -> list[str]:
    """The SGLang arguments of ``argv`` (``python -m sglang.X …``) that can shape kernels."""
    args = list(argv)
    if "-m" in args[:3]:
        args = args[args.index("-m") + 2:]  # drop the interpreter and the module
    out: list[str] = []
    skip = 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in NOT_KERNEL_SHAPING:
            skip = NOT_KERNEL_SHAPING[a]
            continue
        if "=" in a and a.split("=", 1)[0] in NOT_KERNEL_SHAPING:
            continue
        out.append(a)
    return out


def argv_hash(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """10 hex digits over the kernel-shaping arguments and the engine's extra env.

    Why flags: DeepGEMM's compiled M range follows ``chunked_prefill_size``
    (``srt/layers/deep_gemm_wrapper/compile_utils.py`` ``update_deep_gemm_config``: m_max =
    2 × chunked_prefill_size above 8192), backends and speculative settings pick other kernels.
    Why env: ``SGLANG_JIT_DEEPGEMM_FAST_WARMUP`` (same file) compiles a sampled M list instead.
    """
    data = {"args": kernel_args(argv), "env": sorted((env or {}).items())}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]
