"""Every bundled profile's argv, parsed by the real SGLang argument parser of its pinned version."""

from __future__ import annotations

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.sglang_check import check_argvs

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
    assert v["tp_size"] == 8 and v["kv_cache_dtype"] == "bf16" and v["api_key"] is None
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
