"""Profile validation and overrides: every rule fails with a message that names the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modal_llm_deploy import OverrideError, Profile, apply_overrides, load_profile
from modal_llm_deploy.base.hardware import gpu_type
from modal_llm_deploy.profile.overrides import format_validation_error, parse_value


@pytest.fixture
def glm():
    return load_profile("glm51_fp8")


def bad(profile: Profile, overrides: dict, *fragments: str) -> str:
    with pytest.raises(ValidationError) as info:
        apply_overrides(profile, overrides)
    line = format_validation_error(info.value)
    assert "\n" not in line
    for f in fragments:
        assert f in line, line
    return line


def test_glm_profile_values(glm):
    assert glm.model.repo_id == "zai-org/GLM-5.1-FP8"
    assert glm.model.served_name == "glm-5.1"
    assert glm.hardware.modal_gpu == "B200:8" and glm.hardware.arch == "sm100"
    assert glm.engine.tensor_parallel_size == 8 and glm.engine.expert_parallel_size == 1
    assert glm.engine.flags["kv-cache-dtype"] == "bf16"
    assert glm.max_concurrency == 60 and glm.target_concurrency == 36
    assert glm.serving.api_key_secret == "glm51-api-key" and not glm.serving.public


def test_profiles_are_immutable(glm):
    with pytest.raises(ValidationError):
        glm.app_name = "other"  # type: ignore[misc]


def test_unknown_fields_rejected(glm):
    data = glm.model_dump()
    data["serving"]["max_contaners"] = 3
    with pytest.raises(ValidationError, match="max_contaners"):
        Profile.model_validate(data)


@pytest.mark.parametrize(
    "gpu,arch", [("B200", "sm100"), ("B300", "sm103"), ("H200", "sm90"), ("H100", "sm90"),
                 ("A100-80GB", "sm80"), ("L40S", "sm89"), ("h100!", "sm90")],
)
def test_arch_table(gpu, arch):
    assert gpu_type(gpu).arch == arch


def test_revision_is_a_ref_or_a_full_sha(glm):
    assert glm.model.revision == "main" and not glm.model.pinned  # bundled profiles ship no unresolved sha
    for ref in ("main", "v1.0", "release/2026-01", "refs/pr/12", "deadbeef"):
        p = apply_overrides(glm, {"model.revision": ref})
        assert p.model.revision == ref and not p.model.pinned
    sha = "0123456789ABCDEF0123456789abcdef01234567"
    p = apply_overrides(glm, {"model.revision": sha})
    assert p.model.revision == sha.lower() and p.model.pinned
    # errors in words, never a regex
    for value, words in [
        ("8f3b1c2d4e5a", "model.revision: '8f3b1c2d4e5a' looks like a shortened commit sha (12 characters)"),
        ("", "model.revision: empty"),
        ("main branch", "contains ' '"),
        ("a..b", "not a valid branch or tag name"),
        ("-x", "may not start with"),
    ]:
        line = bad(glm, {"model.revision": value}, "model.revision", words)
        assert "pattern" not in line and "[0-9a-f]" not in line


def test_download_waits_and_attempts_agree(glm):
    d = glm.download
    assert d.attempts - 1 == len(d.backoff_s)  # every configured wait is used by default
    assert sum(d.backoff_s) <= 300  # a real outage fails a file in minutes, not an hour
    bad(glm, {"download.attempts": 3}, "download.backoff_s has 4 waits", "attempts=3", "never be used",
        "raise download.attempts to 5")
    bad(glm, {"download.backoff_s": []}, "download.backoff_s is empty")
    bad(glm, {"download.backoff_s": [5, -1]}, "between 0 and 3600")
    ok = apply_overrides(glm, {"download.attempts": 8, "download.backoff_s": [1, 2]})  # last wait repeats
    assert ok.download.backoff_s == (1, 2)
    assert apply_overrides(glm, {"download.attempts": 1, "download.backoff_s": []}).download.attempts == 1


def test_unknown_gpu_and_impossible_count(glm):
    bad(glm, {"hardware.gpu": "B2000"}, "hardware.gpu", "unknown GPU type 'B2000'")
    bad(glm, {"hardware.count": 16, "engine.tensor_parallel_size": 16}, "at most 8")
    bad(glm, {"hardware.count": 0}, "hardware.count")


def test_tp_must_match_gpu_count(glm):
    bad(glm, {"hardware.count": 4}, "tensor_parallel_size=8", "hardware.count=4")
    # attention DP shares the tp group (SGLang 0.5.23 spells it --attn-dp-size; the old
    # --dp-size N --enable-dp-attention is deprecated and refused); plain dp multiplies it
    ok = apply_overrides(glm, {"engine.flags.attn-dp-size": 8})
    assert ok.engine.flags["attn-dp-size"] == 8
    bad(glm, {"engine.flags.dp-size": 2}, "uses 16 GPUs")


def test_ep_must_divide_tp(glm):
    bad(glm, {"engine.expert_parallel_size": 3}, "expert_parallel_size=3")
    assert apply_overrides(glm, {"engine.expert_parallel_size": 8}).engine.expert_parallel_size == 8


def test_deepgemm_needs_sm90(glm):
    line = bad(glm, {"hardware.gpu": "A100-80GB", "engine.flags": {}}, "deepgemm", "sm80")
    assert "kernel_cache.deepgemm=false" in line


def test_blackwell_backends_refused_on_hopper(glm):
    bad(glm, {"hardware.gpu": "H200"}, "Blackwell-only", "H200")
    h200 = load_profile("glm51_fp8_h200")
    bad(h200, {"engine.flags.moe-runner-backend": "flashinfer_trtllm"}, "moe-runner-backend", "Blackwell-only")


def test_concurrency_vs_max_running_requests(glm):
    # the guide's mismatch: Modal 20 per container vs SGLang's batch of 48
    bad(glm, {"serving.max_concurrency": 20}, "max_concurrency=20", "max-running-requests=48", "never")
    bad(glm, {"serving.target_concurrency": 56}, "target_concurrency=56", "batch is full")
    bad(glm, {"engine.flags.max-running-requests": 30, "serving.max_concurrency": 30, "serving.target_concurrency": 31},
        "target_concurrency=31")
    ok = apply_overrides(glm, {"serving.max_concurrency": 48, "engine.flags.max-running-requests": 48})
    assert ok.max_concurrency == 48 and ok.target_concurrency == 36
    assert apply_overrides(glm, {"engine.flags.max-running-requests": 64}).max_concurrency == 80


def test_startup_must_cover_weight_load(glm):
    bad(glm, {"serving.startup_timeout_s": 300}, "startup_timeout_s=300", "estimated start-up")


def test_watchdog_must_cover_a_cold_jit_batch_not_the_weight_load(glm):
    """SGLang's scheduler watchdog is armed after the weights are loaded (srt/managers/
    scheduler.py: init_model_worker, then init_watch_dog_memory_saver_input_blocker), so a
    watchdog shorter than the weight load is fine; what it kills is a batch stuck longer than
    the timeout, such as a cold DeepGEMM JIT that kernel_cache.allow_cold_jit allows."""
    assert glm.weight_load_estimate_s > 300
    assert apply_overrides(glm, {"engine.flags.watchdog-timeout": 300}).engine.flags["watchdog-timeout"] == 300
    cold = {"kernel_cache.allow_cold_jit": True, "serving.startup_timeout_s": 3600}
    line = bad(glm, {**cold, "engine.flags.watchdog-timeout": 600}, "watchdog-timeout=600", "cold DeepGEMM JIT",
               "allow_cold_jit=false")
    assert "loading" not in line
    bad(glm, {**cold, "engine.flags.watchdog-timeout": 300}, "watchdog-timeout=300")  # SGLang's default, too
    from modal_llm_deploy.profile.model import COLD_JIT_S

    ok = apply_overrides(glm, {**cold, "engine.flags.watchdog-timeout": COLD_JIT_S})
    assert ok.cold_jit_estimate_s == COLD_JIT_S
    # no DeepGEMM: no JIT, no constraint
    apply_overrides(glm, {**cold, "kernel_cache.deepgemm": False, "engine.flags.watchdog-timeout": 300})


def test_gpu_count_rule_uses_the_replacement_of_enable_dp_attention(glm):
    """--enable-dp-attention is refused as deprecated; the flag data names its replacement
    (--attn-dp-size), which splits attention inside the TP group: no extra GPUs, unlike --dp-size."""
    from modal_llm_deploy.engine import flags as sglang_flags
    from modal_llm_deploy.profile.model import _attn_dp_flag

    dep = sglang_flags.table("0.5.23").flags["enable-dp-attention"].deprecated
    assert dep["replacement"].startswith("--attn-dp-size") and _attn_dp_flag("0.5.23") == "attn-dp-size"
    bad(glm, {"engine.flags.enable-dp-attention": True}, "deprecated", "--attn-dp-size")
    assert apply_overrides(glm, {"engine.flags.attn-dp-size": 8}).engine.flags["attn-dp-size"] == 8  # 8 GPUs still
    bad(glm, {"engine.flags.dp-size": 2}, "uses 16 GPUs", "hardware.count=8")  # replicas do need GPUs
    bad(glm, {"engine.flags.attn-dp-size": 3}, "attn-dp-size=3 must divide", "tensor_parallel_size=8")
    bad(glm, {"engine.flags.attention-data-parallel-size": 3}, "attention-data-parallel-size=3 must divide")
    bad(glm, {"engine.flags.attn-dp-size": 2, "engine.flags.dp-size": 2, "engine.tensor_parallel_size": 4},
        "dp-size=2 with engine.flags.attn-dp-size=2", "not support")


def test_no_key_is_never_the_silent_default(glm):
    bad(glm, {"serving.api_key_secret": None}, "no API key", "public=true")
    bad(glm, {"serving.public": True}, "exclusive")
    pub = apply_overrides(glm, {"serving.api_key_secret": None, "serving.public": True})
    assert pub.serving.public


def test_list_valued_flags_are_validation_errors_not_crashes(glm):
    # arity comes from SGLang's parser data (engine/flags.py): these take exactly one value
    bad(glm, {"engine.flags.watchdog-timeout": ["1", "2"]}, "watchdog-timeout", "not a list")
    h200 = load_profile("glm51_fp8_h200")
    bad(h200, {"engine.flags.moe-runner-backend": ["a"]}, "moe-runner-backend", "not a list")


def test_no_upgrade_suffix_is_kept(glm):
    assert apply_overrides(glm, {"hardware.gpu": "b200!"}).hardware.modal_gpu == "B200!:8"


def test_flags_owned_elsewhere_and_secret_env(glm):
    bad(glm, {"engine.flags.tp-size": 4}, "engine.tensor_parallel_size")
    bad(glm, {"engine.flags.api-key": "x"}, "serving.api_key_secret")
    bad(glm, {"engine.flags": {"--mem-fraction-static": 0.8}}, "without leading dashes")
    bad(glm, {"engine.env.HF_TOKEN": "x"}, "looks like a secret")


def test_scaling_bounds(glm):
    bad(glm, {"serving.scaledown_window_s": 1}, "scaledown_window_s")
    bad(glm, {"serving.min_containers": 4}, "min_containers=4 exceeds max_containers=3")


def test_storage_rules(glm):
    bad(glm, {"storage.cache_volume": "glm51-model-weights"}, "different volumes")
    bad(glm, {"storage.cache_mount": "/models/cache"}, "contain each other")
    bad(glm, {"storage.weights_mount": "models"}, "absolute")


# --- overrides -------------------------------------------------------------------------------


def test_dotted_overrides_revalidate(glm):
    p = load_profile("glm51_fp8", {"serving.max_containers": 5, "engine.flags.max-prefill-tokens": 16384})
    assert p.serving.max_containers == 5 and p.engine.flags["max-prefill-tokens"] == 16384
    assert glm.serving.max_containers == 3  # the registered profile is untouched


def test_override_none_removes_a_flag():
    p = load_profile("glm51_fp8", {"engine.flags.enable-metrics": None})
    assert "enable-metrics" not in p.engine.flags


def test_unknown_override_key_suggests(glm):
    with pytest.raises(OverrideError, match=r"did you mean serving.max_containers"):
        apply_overrides(glm, {"serving.max_container": 5})
    with pytest.raises(OverrideError, match="not a section"):
        apply_overrides(glm, {"serving.port.x": 5})


def test_override_file(tmp_path):
    f = tmp_path / "o.toml"
    f.write_text('[serving]\nmax_containers = 6\n[engine.flags]\n"max-running-requests" = 40\n')
    p = load_profile("glm51_fp8", file=f)
    assert p.serving.max_containers == 6 and p.max_concurrency == 50 and p.target_concurrency == 30
    f.write_text("serving = [")
    with pytest.raises(OverrideError, match="not valid TOML"):
        load_profile("glm51_fp8", file=f)
    with pytest.raises(OverrideError, match="file not found"):
        load_profile("glm51_fp8", file=tmp_path / "missing.toml")


def test_cli_values_parse_as_toml_literals():
    assert parse_value("5") == 5 and parse_value("true") is True and parse_value("0.9") == 0.9
    assert parse_value("B200") == "B200" and parse_value("none") is None
    assert parse_value('["a", "b"]') == ["a", "b"]
