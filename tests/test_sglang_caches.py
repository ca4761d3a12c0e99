"""The cache table in steps/caches.py against the real SGLang of the pinned version: every cache
location that SGLang (and the third-party caches it redirects) resolves is set explicitly, to the
value SGLang itself would derive, and the source strings we cite are really there."""

from __future__ import annotations

import json
import subprocess

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.profile.model import COLD_JIT_S
from modal_llm_deploy.engine.caches import SGLANG_CACHES, cache_env

from conftest import BUNDLED

W = "/opt/modal-llm-deploy/sglang-cache"

PROBE = r"""
import json, os, pathlib
os.environ["SGLANG_CACHE_DIR"] = %r
import sglang
from sglang.srt import environ as E
envs = E.envs
print(json.dumps({
    "version": getattr(sglang, "__version__", None),
    "root": str(pathlib.Path(sglang.__file__).parent),
    "third_party": E.third_party_cache_defaults(),
    "dg": envs.SGLANG_DG_CACHE_DIR.get(),
    "cute": envs.SGLANG_CUTE_AOT_CACHE_DIR.get(),
    "cache_dir_vars": sorted(n for n in dir(type(envs)) if n.endswith("_CACHE_DIR")),
}))
"""


@pytest.fixture(scope="module")
def real(sglang_parser):
    version = build_plan(load_profile(BUNDLED[0])).sglang_version
    py = sglang_parser(version)
    out = subprocess.run([str(py), "-c", PROBE % W], capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_cache_sglang_derives_is_set_to_the_same_value(real):
    ours = cache_env(W)
    # redirect_third_party_caches() only setdefaults these (and not at all once FlashInfer is
    # imported): we set each explicitly to exactly what SGLang would derive from SGLANG_CACHE_DIR.
    for var, value in real["third_party"].items():
        assert ours.get(var) == value, var
    assert ours["SGLANG_DG_CACHE_DIR"] == ours["DG_JIT_CACHE_DIR"] == real["dg"]
    assert ours["SGLANG_CUTE_AOT_CACHE_DIR"] == real["cute"]
    # every SGLang *_CACHE_DIR variable of compiled artefacts is in the table (HiCache ones are
    # KV-cache offload storage, not kernels)
    kernel_vars = {n for n in real["cache_dir_vars"] if "HICACHE" not in n}
    assert kernel_vars <= {c.env for c in SGLANG_CACHES}, kernel_vars - {c.env for c in SGLANG_CACHES}
    assert "SGLANG_JIT_CACHE_DIR" in kernel_vars and ours["SGLANG_JIT_CACHE_DIR"].startswith(W)


def test_cited_source_lines_exist(real):
    from pathlib import Path

    root = Path(real["root"])
    cu = (root / "srt/layers/deep_gemm_wrapper/compile_utils.py").read_text()
    assert 'os.environ["DG_JIT_CACHE_DIR"] = envs.SGLANG_DG_CACHE_DIR.get()' in cu
    assert "typically 10-20 mins" in cu and COLD_JIT_S == 20 * 60  # the budget is SGLang's upper figure
    assert "chunked_prefill_size" in cu and "SGLANG_JIT_DEEPGEMM_FAST_WARMUP" in cu
    jit = (root / "kernels/jit/utils/compile/cache.py").read_text()
    assert 'envs.SGLANG_JIT_CACHE_DIR.get() or "~/.cache/sglang/jit"' in jit  # not under SGLANG_CACHE_DIR
    assert "TORCH_EXTENSIONS_DIR" in (root / "srt/utils/cpp_extension_loader.py").read_text()
