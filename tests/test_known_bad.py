"""Known-bad (SGLang version, GPU, model family, flags) combinations are refused at validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.known_bad import BLACKWELL_ONLY, KNOWN_BAD, KnownBad, dsa_kv_dtype, find
from modal_llm_deploy.profile.overrides import apply_overrides, format_validation_error

from conftest import BUNDLED


def refused(profile, overrides: dict, entry_id: str) -> str:
    with pytest.raises(ValidationError) as info:
        apply_overrides(profile, overrides)
    line = format_validation_error(info.value)
    assert "\n" not in line and f"[{entry_id}; source:" in line and "instead:" in line, line
    return line


@pytest.fixture(scope="module")
def b200():
    return load_profile("glm51_fp8")


@pytest.fixture(scope="module")
def h200():
    return load_profile("glm51_fp8_h200")


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_profiles_match_no_entry(name):
    p = load_profile(name)
    g = p.hardware.gpu_type
    assert find(sglang_version=p.engine.sglang_version, sm=g.sm, architecture=p.engine.architecture,
                repo_id=p.model.repo_id, flags=p.engine.flags) is None
    build_plan(p)


def test_every_entry_has_a_source_and_an_alternative():
    ids = [e.id for e in KNOWN_BAD]
    assert len(ids) == len(set(ids))
    for e in KNOWN_BAD:
        assert e.source and e.instead and e.effect


def test_fp8_kv_cache_on_glm5(b200, h200):
    line = refused(h200, {"engine.flags.kv-cache-dtype": "fp8_e4m3"}, "glm5-fp8-kv-cache")
    assert "22671" in line and "kv-cache-dtype=bf16" in line
    # "auto" (or leaving it out) is fp8_e4m3 on Blackwell for DSA models: refused there...
    refused(b200, {"engine.flags.kv-cache-dtype": "auto"}, "glm5-fp8-kv-cache")
    refused(b200, {"engine.flags.kv-cache-dtype": None}, "glm5-fp8-kv-cache")
    # ...but auto is bfloat16 on Hopper, so it passes there
    assert dsa_kv_dtype({"kv-cache-dtype": "auto"}, 90) == "bfloat16"
    apply_overrides(h200, {"engine.flags.kv-cache-dtype": "auto"})


def test_flashmla_kv_decode_with_a_bf16_cache(h200):
    line = refused(h200, {"engine.flags.dsa-decode-backend": "flashmla_kv"}, "dsa-flashmla-kv-with-bf16-kv")
    assert "inefficiently quantize the whole cache" in line and "fa3" in line
    # flashmla_kv is the right decode kernel for an fp8 cache: not this entry (the fp8 one fires)
    refused(h200, {"engine.flags.dsa-decode-backend": "flashmla_kv", "engine.flags.kv-cache-dtype": "fp8_e4m3"},
            "glm5-fp8-kv-cache")


def test_flashmla_sparse_q8(b200, h200):
    refused(h200, {"engine.flags.dsa-decode-backend": "flashmla_sparse_q8"}, "dsa-flashmla-sparse-q8-decode")
    refused(b200, {"engine.flags.dsa-prefill-backend": "flashmla_sparse_q8"}, "dsa-flashmla-sparse-q8-prefill-not-sm90")
    apply_overrides(h200, {"engine.flags.dsa-prefill-backend": "flashmla_sparse_q8"})  # SM90 is where it runs


def test_rocm_only_dsa_backend(h200):
    refused(h200, {"engine.flags.dsa-prefill-backend": "triton"}, "dsa-triton-on-cuda")


def test_blackwell_only_table_is_corrected():
    # deprecated in 0.5.23 and enabled by SGLang itself on sm90 *and* sm100
    assert "enable-flashinfer-allreduce-fusion" not in BLACKWELL_ONLY
    # trtllm_mha runs on SM90 (attention_hook.py); flashinfer_cutedsl's check is about NVFP4
    assert all("trtllm_mha" not in v and "flashinfer_cutedsl" not in v for v in BLACKWELL_ONLY.values())


def test_blackwell_only_on_hopper(b200, h200):
    line = refused(b200, {"hardware.gpu": "H200"}, "blackwell-only-kernels-on-older-gpu")
    assert "Blackwell-only" in line and "H200" in line
    refused(h200, {"engine.flags.attention-backend": "trtllm_mla"}, "blackwell-only-kernels-on-older-gpu")
    refused(h200, {"engine.flags.moe-runner-backend": "flashinfer_trtllm"}, "blackwell-only-kernels-on-older-gpu")


def test_model_family_by_architecture_or_repo_glob(h200):
    bad = {"engine.flags.kv-cache-dtype": "fp8_e4m3"}
    # architecture stated: it decides, whatever the repo is called
    refused(h200, {**bad, "model.repo_id": "someone/my-finetune"}, "glm5-fp8-kv-cache")
    assert apply_overrides(h200, {**bad, "engine.architecture": "DeepseekV3ForCausalLM"}).engine.flags
    # architecture not stated: the repo id glob matches the family
    refused(h200, {**bad, "engine.architecture": None}, "glm5-fp8-kv-cache")
    ok = apply_overrides(h200, {**bad, "engine.architecture": None, "model.repo_id": "someone/my-finetune"})
    assert ok.engine.architecture is None


def test_version_range_is_honoured(monkeypatch):
    from modal_llm_deploy.engine import known_bad

    e = KnownBad(id="x", effect="e", match=lambda f, sm: "hit", source="s", instead="i", since="0.5.10", until="0.5.23")
    monkeypatch.setattr(known_bad, "KNOWN_BAD", (e,))
    args = dict(sm=90, architecture=None, repo_id="a/b", flags={})
    assert find(sglang_version="0.5.22", **args) == (e, "hit")
    assert find(sglang_version="0.5.10", **args) == (e, "hit")
    assert find(sglang_version="0.5.23", **args) is None
    assert find(sglang_version="0.5.9", **args) is None
