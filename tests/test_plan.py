"""The plan: pure data with every value the deployment needs, and no Modal import."""

from __future__ import annotations

import json
import subprocess
import sys

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.plan import DeploymentPlan

GLM_FLAGS = {
    "--mem-fraction-static": "0.88",
    "--max-running-requests": "48",
    "--max-prefill-tokens": "32768",
    "--watchdog-timeout": "1200",
    "--tool-call-parser": "glm47",
    "--reasoning-parser": "glm45",
    "--kv-cache-dtype": "bf16",
    "--speculative-algorithm": "EAGLE",
    "--speculative-num-steps": "3",
    "--speculative-eagle-topk": "1",
    "--speculative-num-draft-tokens": "4",
    "--tp-size": "8",
    "--ep-size": "1",
    "--port": "8000",
    "--served-model-name": "glm-5.1",
    "--model-path": "/models/GLM-5.1-FP8",
    "--dsa-prefill-backend": "trtllm",
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
    assert flags["--enable-metrics"] is True and flags["--enable-flashinfer-allreduce-fusion"] is True
    assert flags["--trust-remote-code"] is True and flags["--host"] == "0.0.0.0"
    assert "--api-key" not in plan.sglang_argv
    assert plan.sglang_argv[:3] == ["python3", "-m", "sglang.launch_server"]

    units = {u.name: u for u in plan.units}
    assert list(units) == ["download_model", "compile_deepgemm", "verify_setup", "server"]
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
    assert k.key == "sm100-sglang0.5.23-glm-5.1-fp8-rev{revision}-tp8-ep1"
    assert k.marker_path == f"/deepgemm-cache/{k.key}/.compiled-GLM-5.1-FP8"
    assert k.env == {"SGLANG_CACHE_DIR": f"/deepgemm-cache/{k.key}", "SGLANG_DG_CACHE_DIR": f"/deepgemm-cache/{k.key}/deep_gemm"}
    assert units["compile_deepgemm"].env["SGLANG_DG_CACHE_DIR"] == k.env["SGLANG_DG_CACHE_DIR"]
    # the server reads its private local copy of the key directory
    assert units["server"].env["SGLANG_DG_CACHE_DIR"] == f"{k.server_local_dir}/deep_gemm"
    assert k.server_local_dir.endswith(k.key) and not k.server_local_dir.startswith("/deepgemm-cache")
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
    assert h.kernel_cache.key.split("-", 1)[1] == b.kernel_cache.key.split("-", 1)[1]  # only arch differs
    assert h.kernel_cache.volume == b.kernel_cache.volume  # same volume, different key dir
    assert h.weights == b.weights  # same weights, no second 750 GB download
    bf, hf = flag_values(b.sglang_argv), flag_values(h.sglang_argv)
    differ = {k for k in set(bf) | set(hf) if bf.get(k) != hf.get(k)}
    assert differ == {
        "--dsa-prefill-backend", "--dsa-decode-backend",  # FlashMLA on Hopper, TRT-LLM on Blackwell
        "--moe-runner-backend", "--enable-flashinfer-allreduce-fusion",  # Blackwell-only
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
