"""The container-side glue in modal_adapter/runtime.py, run here for real against local directories.

Only the Modal Volume handle is replaced (there is no Modal account here) by a recorder that
counts reload/commit, so we can check the glue reloads only where a reload can show something
new (a warm container's later calls, never the server's fresh mount) and commits after writing. Everything else is the real thing: the plan travels as MODAL_LLM_DEPLOY_PLAN, secrets
come from env, the steps run, and the server class boots the SGLang stand-in.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest


sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import BIN_DIR, STANDIN_DIR, free_port  # noqa: E402

from modal_llm_deploy import build_plan, load_profile  # noqa: E402
from modal_llm_deploy.modal_adapter import runtime  # noqa: E402
from modal_llm_deploy.plan.models import PLAN_ENV  # noqa: E402
from modal_llm_deploy.steps import serve  # noqa: E402
from modal_llm_deploy.base.layout import complete_path  # noqa: E402

pytestmark = pytest.mark.timeout(120)
KEY = "sk-SENTINEL-glue-91c3"
TOKEN = "hf_SENTINEL_glue_token"


class RecordingVolume:
    def __init__(self, name: str):
        self.name, self.reloads, self.commits = name, 0, 0

    def reload(self) -> None:
        self.reloads += 1

    def commit(self) -> None:
        self.commits += 1


@pytest.fixture
def container(tmp_path, monkeypatch, hub_server, hub_repo):
    port = free_port()
    profile = load_profile("glm51_fp8", {
        "model.repo_id": hub_repo.repo_id,
        "model.revision": hub_repo.refs["main"],
        "model.allow_patterns": None,
        "storage.weights_mount": str(tmp_path / "models"),
        "storage.cache_mount": str(tmp_path / "kernels"),
        "engine.python": sys.executable,
        "serving.port": port,
        "serving.exit_grace_period_s": 10,
        "download.backoff_s": [0.01],
    })
    # The container's fixed SGLang cache work dir, under this test's tmp dir instead of /opt.
    plan = build_plan(profile, cache_work_dir=str(tmp_path / "opt" / "sglang-cache"))
    volumes: dict[str, RecordingVolume] = {}
    monkeypatch.setattr(runtime, "_volume", lambda name: volumes.setdefault(name, RecordingVolume(name)))
    monkeypatch.setattr(runtime, "_SEEN", set())  # a fresh container
    monkeypatch.setattr(serve, "_HELD", {})
    monkeypatch.setenv("STANDIN_ENV_RECORD", str(tmp_path / "standin-env.jsonl"))
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv("HF_ENDPOINT", hub_server.endpoint)
    monkeypatch.setenv("HF_TOKEN", TOKEN)  # what the huggingface-secret injects
    monkeypatch.setenv("API_KEY", KEY)  # what the glm51-api-key secret injects
    monkeypatch.setenv("PYTHONPATH", str(STANDIN_DIR))  # the engine is the stand-in
    monkeypatch.setenv("PATH", f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("STANDIN_GPU", "NVIDIA B200,10.0")
    monkeypatch.setenv("STANDIN_GPU_COUNT", "8")
    monkeypatch.setenv("STANDIN_COMPILE_STEP_S", "0.05")
    return plan, volumes, port


def test_setup_steps_then_server(container, capsys, tmp_path):
    plan, volumes, port = container
    weights, cache = volumes.setdefault(plan.weights.volume, RecordingVolume("w")), None

    runtime.download_model()
    assert complete_path(Path(plan.weights.dir)).exists()
    assert weights.commits >= 1  # finished shards are made durable

    runtime.compile_deepgemm()
    cache = volumes[plan.kernel_cache.volume]
    assert Path(plan.kernel_cache.marker_path).exists() and cache.commits == 1
    # the compile ran in a fresh container: its mounts already showed the latest commits
    assert cache.reloads == 0

    reloads = weights.reloads
    runtime.verify_setup()  # raises SystemExit(1) on any problem; first call: fresh mount, no reload
    assert weights.reloads == reloads
    runtime.verify_setup(deep=True)  # a warm container's next call: others may have committed since
    assert weights.reloads == reloads + 1 and cache.reloads == 1

    commits_before, reloads_before = cache.commits, (weights.reloads, cache.reloads)
    server = runtime.SGLangServer()
    server.boot()
    try:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert b"glm-5.1" in r.read()
    finally:
        server.shutdown()
    assert cache.commits == commits_before  # the server never publishes into the cache volume
    assert (weights.reloads, cache.reloads) == reloads_before  # nor reloads its fresh read-only mounts

    # compile and server ran SGLang with every cache at the same absolute path, and the server
    # found what the compile built (the FlashInfer-like module was reused, not rebuilt)
    runs = {r["tool"]: r for r in map(json.loads, (tmp_path / "standin-env.jsonl").read_text().splitlines())}
    kc = plan.kernel_cache
    for tool in ("compile_deep_gemm", "launch_server"):
        env = runs[tool]["env"]
        assert {k: env.get(k) for k in kc.env} == kc.env, tool
        assert set(runs[tool]["resolved"].values()) <= set(kc.env.values()), tool
    out = capsys.readouterr()
    assert "JIT modules: 0 built, 2 reused" in out.out and "rebuilding" not in out.out
    assert "Entering DeepGEMM JIT Pre-Compile session" not in out.out
    assert KEY not in out.out + out.err and TOKEN not in out.out + out.err
    # issue 9: one structured cold-start line with every phase timed from the engine's own lines
    (line,) = [ln for ln in out.out.splitlines() if ln.startswith("cold-start phases:")]
    phases = json.loads(line.split(":", 1)[1])
    assert all(isinstance(phases[k], float) for k in ("volume_check", "kernel_cache_restore", "weights",
                                                        "graph_capture", "ready", "warmup", "total"))


def test_failures_are_one_line_and_fail_the_call(container, capsys, monkeypatch):
    plan, volumes, _ = container
    with pytest.raises(SystemExit) as info:
        runtime.verify_setup()  # nothing downloaded yet
    assert info.value.code == 1
    assert plan.commands["download"] in capsys.readouterr().out

    with pytest.raises(SystemExit):
        runtime.compile_deepgemm()  # refuses before touching the GPU: weights incomplete
    assert plan.commands["download"] in capsys.readouterr().err

    runtime.download_model()
    # weights ready, kernels never compiled: the server refuses instead of a cold-JIT loop
    t0 = __import__("time").monotonic()
    with pytest.raises(SystemExit):
        runtime.SGLangServer().boot()
    err = capsys.readouterr().err
    assert err.startswith("ERROR: refusing to start without compiled kernels") and err.count("\n") == 1
    assert plan.commands["compile"] in err and __import__("time").monotonic() - t0 < 5

    monkeypatch.delenv("API_KEY")
    with pytest.raises(SystemExit):
        runtime.SGLangServer().boot()
    assert 'modal secret create glm51-api-key API_KEY="${API_KEY:?}" --force' in capsys.readouterr().err
