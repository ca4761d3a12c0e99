"""The plan: pure data with every value the deployment needs, and no Modal import."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.plan.argv import kernel_key
from modal_llm_deploy.engine.caches import argv_hash

GLM_FLAGS = {
    "--mem-fraction-static": "0.88",
    "--max-running-requests": "48",
    "--max-prefill-tokens": "32768",
    "--watchdog-timeout": "1200",
    "--tool-call-parser": "glm47",
    "--reasoning-parser": "glm45",
    "--kv-cache-dtype": "bf16",
    "--speculative-algorithm": "EAGLE",  # steps/top-k/draft tokens: SGLang's own (3, 1, 4) for this arch
    "--tp-size": "8",
    "--ep-size": "1",
    "--port": "8000",
    "--served-model-name": "glm-5.1",
    "--model-path": "/models/GLM-5.1-FP8",
    "--dsa-prefill-backend": "flashmla_sparse",
    "--dsa-decode-backend": "trtllm",
    "--moe-runner-backend": "flashinfer_trtllm",
}


def flag_values(argv: list[str]) -> dict[str, str | bool]:
    out: dict[str, str | bool] = {}
    for i, tok in enumerate(argv):
        if tok.startswith("--"):
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            out[tok] = nxt if nxt is not None and not nxt.startswith("--") else True
    return out


def test_plan_has_no_modal_import():
    code = (
        "import sys; from modal_llm_deploy import build_plan, load_profile;"
        "build_plan(load_profile('glm51_fp8')).model_dump_json();"
        "assert 'modal' not in sys.modules, 'plan imported modal'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_glm_plan_values():
    plan = build_plan(load_profile("glm51_fp8"))
    assert plan.app_name == "glm-5.1-production"
    assert plan.plugin == "glm51" and plan.plugin_module == "mld_glm51"
    flags = flag_values(plan.sglang_argv)
    for k, v in GLM_FLAGS.items():
        assert flags[k] == v, k
    assert flags["--enable-metrics"] is True
    # SGLang 0.5.23 sets these itself for GlmMoeDsaForCausalLM (see the profile's docstring)
    assert "--enable-flashinfer-allreduce-fusion" not in flags and "--attention-backend" not in flags
    assert flags["--trust-remote-code"] is True and flags["--host"] == ""  # engine/bind.py
    assert "--api-key" not in plan.sglang_argv
    assert plan.sglang_argv[:3] == ["python3", "-m", "sglang.launch_server"]

    units = {u.name: u for u in plan.units}
    assert list(units) == ["download_model", "compile_deepgemm", "verify_setup", "server", "bench", "eval_accuracy", "preflight_hub"]
    b = units["bench"]  # issue 9: SGLang's benchmark next to the server, CPU only, results to a volume
    assert b.image == "sglang" and b.gpu is None and b.secrets == units["server"].secrets
    assert [(m.volume, m.read_only) for m in b.volumes] == [("glm51-model-weights", True), ("glm-5.1-production-bench", False)]
    assert b.schedule is None and "keep_warm" not in units  # no warm windows in the bundled profile
    warm = build_plan(load_profile("glm51_fp8", {"serving.warm_windows": [
        {"days": ["mon-fri"], "start": "08:00", "end": "19:00", "timezone": "Europe/Berlin", "min_containers": 1}]}))
    kw = warm.unit("keep_warm")
    assert kw.schedule.timezone == "Europe/Berlin" and kw.schedule.cron == warm.keep_warm.cron and kw.gpu is None
    assert units["download_model"].gpu is None and units["verify_setup"].gpu is None
    assert units["compile_deepgemm"].gpu == "B200:8" and units["server"].gpu == "B200:8"
    assert units["download_model"].secrets == ["huggingface-secret"]
    assert units["server"].secrets == ["glm51-api-key"]
    assert units["compile_deepgemm"].secrets == []  # never an API key for compile
    mounts = {(m.volume, m.path, m.read_only) for m in units["server"].volumes}
    assert ("glm51-model-weights", "/models", True) in mounts
    assert ("glm51-deepgemm-cache", "/deepgemm-cache", True) in mounts  # Modal would commit a rw mount
    compile_mounts = {(m.volume, m.read_only) for m in units["compile_deepgemm"].volumes}
    assert compile_mounts == {("glm51-model-weights", True), ("glm51-deepgemm-cache", False)}
    assert units["download_model"].max_containers == 1 and units["compile_deepgemm"].max_containers == 1
    assert (units["server"].cpu, units["server"].memory_mib) == (32, 256 * 1024)
    assert units["download_model"].env["HF_XET_HIGH_PERFORMANCE"] == "1"
    assert units["server"].env["HF_HUB_OFFLINE"] == "1"

    s = plan.server
    assert (s.port, s.min_containers, s.max_containers, s.scaledown_window_s) == (8000, 0, 3, 900)
    assert (s.max_concurrency, s.target_concurrency) == (60, 36)  # SGLang batch 48 (+25 % queue), scale at 36
    assert (s.auth, s.api_key_secret, s.api_key_env) == ("api_key", "glm51-api-key", "API_KEY")
    assert s.startup_timeout_s >= s.startup_estimate_s

    k = plan.kernel_cache
    # the profile follows `main`: the key waits for the commit the first download records
    assert k.key == f"sm100-sglang0.5.23-glm-5.1-fp8-rev{{revision}}-tp8-ep1-{k.argv_hash}"
    assert re.fullmatch(r"[0-9a-f]{10}", k.argv_hash)
    assert k.argv_hash == argv_hash(plan.compile_argv, {}) == argv_hash(plan.sglang_argv, {})
    assert k.marker_path == f"/deepgemm-cache/{k.key}/.compiled-GLM-5.1-FP8"
    # ONE fixed work directory, not the volume and not key-dependent, for compile and serve
    assert k.work_dir == "/opt/modal-llm-deploy/sglang-cache"
    assert units["compile_deepgemm"].env | k.env == units["compile_deepgemm"].env
    assert units["server"].env | k.env == units["server"].env
    assert {c.env for c in k.caches} == set(k.env) and all(v.startswith(k.work_dir) for v in k.env.values())
    assert k.env["SGLANG_JIT_CACHE_DIR"] == f"{k.work_dir}/jit"  # not under SGLANG_CACHE_DIR by default
    assert k.env["SGLANG_DG_CACHE_DIR"] == k.env["DG_JIT_CACHE_DIR"] == f"{k.work_dir}/deep_gemm"
    assert k.env["FLASHINFER_WORKSPACE_BASE"] == k.work_dir
    assert not k.allow_cold_jit and k.cold_jit_estimate_s == 0
    # Modal's @app.server has no timeout: the plan must not pretend one
    assert units["server"].timeout_s is None and units["compile_deepgemm"].timeout_s > 3600
    assert plan.weights.expected_size_bytes == 750_000_000_000
    assert plan.commands["download"] == "modal run examples/glm51_deploy.py::download_model"
    assert plan.cost.server_usd_per_hour == 51.5  # 8 × $6.25 + 32 cores × $0.047


def test_compile_argv_is_server_args_without_key_plus_timeout():
    plan = build_plan(load_profile("glm51_fp8"))
    c = plan.compile_argv
    assert c is not None and c[:3] == ["python3", "-m", "sglang.compile_deep_gemm"]
    assert "--api-key" not in c and c[-2:] == ["--timeout", "3600"]
    cf, sf = flag_values(c), flag_values(plan.sglang_argv)
    differ = {k for k in set(cf) | set(sf) if cf.get(k) != sf.get(k)}
    assert differ == {"--host", "--port", "--timeout"}  # everything that shapes kernels is identical


def test_plan_is_json_roundtrip():
    plan = build_plan(load_profile("glm51_fp8"))
    again = DeploymentPlan.model_validate_json(plan.model_dump_json())
    assert again == plan
    json.loads(plan.model_dump_json())


def test_h200_differs_only_where_hardware_requires():
    b = build_plan(load_profile("glm51_fp8"))
    h = build_plan(load_profile("glm51_fp8_h200"))
    assert h.gpu_arch == "sm90" and h.kernel_cache.key.startswith("sm90-")
    assert h.kernel_cache.key != b.kernel_cache.key
    # arch and the argument hash differ (other backends), the rest of the key is the same
    assert h.kernel_cache.key.split("-", 1)[1].rsplit("-", 1)[0] == b.kernel_cache.key.split("-", 1)[1].rsplit("-", 1)[0]
    assert h.kernel_cache.argv_hash != b.kernel_cache.argv_hash
    assert h.kernel_cache.volume == b.kernel_cache.volume  # same volume, different key dir
    assert h.weights == b.weights  # same weights, no second 750 GB download
    bf, hf = flag_values(b.sglang_argv), flag_values(h.sglang_argv)
    differ = {k for k in set(bf) | set(hf) if bf.get(k) != hf.get(k)}
    assert differ == {
        "--dsa-decode-backend",  # bf16 decode: fa3 on Hopper, trtllm on Blackwell
        "--moe-runner-backend",  # Blackwell-only
        "--max-running-requests",  # smaller KV cache on 141 GB GPUs
    }
    assert {u.gpu for u in h.units if u.gpu} == {"H200:8"}
    assert h.app_name != b.app_name


def test_images_declare_library_plugin_and_runtime_deps():
    plan = build_plan(load_profile("glm51_fp8"))
    for img in plan.images.values():
        assert img.local_python_sources == ["modal_llm_deploy", "mld_glm51"]
    dl, sg = plan.images["download"], plan.images["sglang"]
    assert any(r.startswith("huggingface-hub") for r in dl.pip) and any(r.startswith("pluggy") for r in dl.pip)
    assert sg.ref == "lmsysorg/sglang:v0.5.23-cu130" and sg.clear_entrypoint
    assert any(r.startswith("pluggy") for r in sg.pip)


def test_deepgemm_off_drops_compile_unit():
    plan = build_plan(load_profile("glm51_fp8", {"kernel_cache.deepgemm": False}))
    assert plan.compile_argv is None and "compile_deepgemm" not in {u.name for u in plan.units}


def test_kernel_key_changes_with_kernel_shaping_flags_only():
    base = build_plan(load_profile("glm51_fp8")).kernel_cache
    chunk = build_plan(load_profile("glm51_fp8", {"engine.flags.chunked-prefill-size": 4096})).kernel_cache
    assert chunk.key != base.key and chunk.argv_hash != base.argv_hash
    assert chunk.key.rsplit("-", 1)[0] == base.key.rsplit("-", 1)[0]  # arch/version/rev/tp/ep unchanged
    fast = build_plan(load_profile("glm51_fp8", {"engine.env": {"SGLANG_JIT_DEEPGEMM_FAST_WARMUP": "1"}})).kernel_cache
    assert fast.key != base.key  # env that changes DeepGEMM's M list is hashed too
    for same in ({"serving.port": 8080}, {"model.served_name": "glm"}, {"storage.weights_mount": "/w"},
                 {"engine.python": "/usr/bin/python3.12"}, {"engine.flags.watchdog-timeout": 1800}):
        assert build_plan(load_profile("glm51_fp8", same)).kernel_cache.key == base.key, same


def test_pinned_to_fills_the_revision_placeholder():
    sha, other = "a" * 40, "b" * 40
    # A profile that names a commit is keyed for it at plan time: pinning to it is a no-op.
    fixed = build_plan(load_profile("glm51_fp8", {"model.revision": other}))
    assert fixed.weights.pinned and fixed.kernel_cache.revision_pinned
    assert fixed.pinned_to(other) == fixed
    with pytest.raises(ValueError, match="another revision"):
        fixed.pinned_to(sha)  # already keyed for the profile's commit
    # The bundled profile follows `main`: the key's revision part is a placeholder until pinned.
    ref_plan = build_plan(load_profile("glm51_fp8"))
    assert ref_plan.weights.revision == "main" and not ref_plan.weights.pinned
    assert "rev{revision}-" in ref_plan.kernel_cache.key and not ref_plan.kernel_cache.revision_pinned
    pinned = ref_plan.pinned_to(sha)
    k = pinned.kernel_cache
    assert pinned.weights.revision == sha and pinned.weights.pinned and k.revision_pinned
    assert k.key == kernel_key(load_profile("glm51_fp8"), sha) == fixed.kernel_cache.key.replace(other[:12], sha[:12])
    assert k.dir == f"/deepgemm-cache/{k.key}" and k.marker_path == f"{k.dir}/.compiled-GLM-5.1-FP8"
    assert "{revision}" not in pinned.model_dump_json(exclude={"kernel_cache": {"key_template"}})
    # everything else is untouched
    assert pinned.model_dump(exclude={"weights", "kernel_cache"}) == ref_plan.model_dump(exclude={"weights", "kernel_cache"})
    with pytest.raises(ValueError, match="full 40-hex"):
        ref_plan.pinned_to("main")


def test_cold_jit_must_fit_the_startup_budget():
    from pydantic import ValidationError

    from modal_llm_deploy.profile.model import COLD_JIT_S

    base = build_plan(load_profile("glm51_fp8"))
    with pytest.raises(ValidationError) as ei:
        load_profile("glm51_fp8", {"kernel_cache.allow_cold_jit": True})  # 675 + 1200 s > 1800 s
    msg = str(ei.value)
    assert "startup_timeout_s=1800" in msg and f"{COLD_JIT_S} s of cold DeepGEMM JIT" in msg
    assert "allow_cold_jit=false" in msg
    cold = build_plan(load_profile("glm51_fp8", {"kernel_cache.allow_cold_jit": True,
                                                 "serving.startup_timeout_s": 2400}))
    assert cold.server.startup_estimate_s == base.server.startup_estimate_s + COLD_JIT_S
    assert cold.kernel_cache.allow_cold_jit and cold.kernel_cache.cold_jit_estimate_s == COLD_JIT_S
    assert cold.kernel_cache.key == base.kernel_cache.key  # a policy, not a kernel-shaping argument
    # the compile unit's own timeout and the compile cost do not include the server's JIT allowance
    assert cold.unit("compile").timeout_s == base.unit("compile").timeout_s
    assert cold.cost.compile_once_usd == base.cost.compile_once_usd
