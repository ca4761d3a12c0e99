"""Every bundled profile's argv, parsed by the real SGLang argument parser of its pinned version."""

from __future__ import annotations

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.check import check_argvs

from conftest import BUNDLED


@pytest.fixture(scope="module")
def results(sglang_parser):
    out = {}
    for name in BUNDLED:
        plan = build_plan(load_profile(name))
        py = sglang_parser(plan.sglang_version)
        out[name] = (plan, check_argvs(py, {"launch": plan.sglang_argv, "compile": plan.compile_argv}))
    return out


@pytest.mark.parametrize("name", BUNDLED)
def test_launch_and_compile_argv_parse(results, name):
    plan, r = results[name]
    assert r["sglang_version"] == plan.sglang_version
    assert r["launch"]["ok"], r["launch"]["problems"]
    assert r["compile"]["ok"], r["compile"]["problems"]
    v = r["launch"]["values"]
    # TP 8 inside a node, one pipeline stage per node (issue 14); --nnodes only for multi-node (profile/topology.py)
    assert v["tp_size"] == 8 and v["pp_size"] == plan.topology.nodes and v["nnodes"] == plan.topology.nodes
    assert v["host"] == ""  # IPv4 and IPv6 on every interface (engine/bind.py)
    assert r["compile"]["values"]["nnodes"] == plan.topology.nodes
    assert v["kv_cache_dtype"] == "bf16" and v["api_key"] is None
    assert v["speculative_algorithm"] == "EAGLE" and v["enable_metrics"] is True
    assert v["served_model_name"] == "glm-5.1" and v["port"] == 8000
    assert r["compile"]["values"]["timeout"] == 3600 and r["compile"]["values"]["api_key"] is None


def test_parser_rejects_drifted_and_abbreviated_flags(results, sglang_parser):
    plan, _ = results["glm51_fp8"]
    py = sglang_parser(plan.sglang_version)
    old = plan.sglang_argv + ["--nsa-prefill-backend", "trtllm"]  # removed in 0.5.21
    abbrev = plan.sglang_argv + ["--tp", "8"]  # abbreviation of --tp-size
    bad_choice = plan.sglang_argv + ["--kv-cache-dtype", "fp9"]
    r = check_argvs(py, {"old": old, "abbrev": abbrev, "choice": bad_choice})
    assert not r["old"]["ok"] and "--nsa-prefill-backend" in r["old"]["problems"][0]
    assert not r["abbrev"]["ok"] and "abbreviation" in r["abbrev"]["problems"][0]
    assert not r["choice"]["ok"] and "fp9" in " ".join(r["choice"]["problems"])


def _sglang_source(py, rel: str) -> str:
    """Text of a file of the real sglang package in the parser interpreter (not imported)."""
    import subprocess
    from pathlib import Path

    r = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('sglang').submodule_search_locations[0])"],
                       capture_output=True, text=True, check=True)
    return (Path(r.stdout.strip()) / rel).read_text(encoding="utf-8")


def test_dsa_backends_are_the_ones_sglang_names_for_a_bf16_cache(results, sglang_parser):
    """Both GLM-5.1 profiles keep a bf16 KV cache, so their DSA decode backend must be one
    SGLang 0.5.23 documents for bfloat16 (srt/layers/attention/dsa_backend.py), never the
    fp8 kernel flashmla_kv; the deprecated fusion flag and the attention backend SGLang sets
    itself for GlmMoeDsaForCausalLM are left out."""
    py = sglang_parser("0.5.23")
    src = _sglang_source(py, "srt/layers/attention/dsa_backend.py")
    import re

    joined = re.sub(r'"\s*\n\s*"', "", src)  # undo implicit string concatenation across lines
    assert "(flashmla_kv for fp8_e4m3; tilelang or fa3 for bfloat16)" in joined
    assert "inefficiently quantize the whole cache" in src
    overrides = _sglang_source(py, "srt/arg_groups/overrides.py")
    # SGLang's own bf16 choice: decode trtllm on major >= 10, fa3 below; prefill flashmla_sparse
    assert 'declared["dsa_decode_backend"] = "trtllm" if major >= 10 else "fa3"' in overrides
    assert 'declared["dsa_prefill_backend"] = "flashmla_sparse"' in overrides
    expected = {"glm51_fp8": "trtllm", "glm51_fp8_h200": "fa3", "glm51_fp8_h100x2": "fa3"}
    for name, (plan, r) in results.items():
        v = r["launch"]["values"]
        assert v["kv_cache_dtype"] == "bf16"
        assert v["dsa_prefill_backend"] == "flashmla_sparse"
        assert v["dsa_decode_backend"] == expected[name] != "flashmla_kv"
        assert v["attention_backend"] is None  # SGLang sets dsa itself
        assert v["enable_flashinfer_allreduce_fusion"] is False  # deprecated; SGLang auto-enables it
        # EAGLE on, its shape left to SGLang's per-architecture choice (all three unset)
        assert v["speculative_algorithm"] == "EAGLE"
        assert v["speculative_num_steps"] is None and v["speculative_eagle_topk"] is None
        assert v["speculative_num_draft_tokens"] is None
    spec = _sglang_source(py, "srt/arg_groups/speculative_hook.py")
    auto = spec[spec.index("def _auto_choose_speculative_params"):]
    auto = auto[:auto.index("return (3, 1, 4)", auto.index('"GlmMoeDsaForCausalLM"'))]
    assert '"GlmMoeDsaForCausalLM"' in auto and "return (5, 4, 8)" not in auto[auto.index('"GlmMoeDsaForCausalLM"'):]
    assert "GlmMoeDsaForCausalLM" in overrides[overrides.index("_FLASHINFER_ALLREDUCE_FUSION_ARCHS = "):][:1500]
