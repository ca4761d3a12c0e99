"""The container-side glue in runtime.py, run here for real against local directories.

Only the Modal Volume handle is replaced (there is no Modal account here) by a recorder that
counts reload/commit, so we can check the glue reloads before reading and commits after
writing. Everything else is the real thing: the plan travels as MODAL_LLM_DEPLOY_PLAN, secrets
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

from modal_llm_deploy import build_plan, load_profile, runtime  # noqa: E402
from modal_llm_deploy.plan import PLAN_ENV  # noqa: E402
from modal_llm_deploy.steps.layout import complete_path  # noqa: E402

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
    plan = build_plan(profile)
    # the server's private kernel-cache copy goes to this test's tmp dir, not /tmp/modal-llm-deploy
    local = tmp_path / "local-cache" / plan.kernel_cache.key
    plan = plan.model_copy(update={"kernel_cache": plan.kernel_cache.model_copy(update={"server_local_dir": str(local)})})
    volumes: dict[str, RecordingVolume] = {}
    monkeypatch.setattr(runtime, "_volume", lambda name: volumes.setdefault(name, RecordingVolume(name)))
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


def test_setup_steps_then_server(container, capsys):
    plan, volumes, port = container
    weights, cache = volumes.setdefault(plan.weights.volume, RecordingVolume("w")), None

    runtime.download_model()
    assert complete_path(Path(plan.weights.dir)).exists()
    assert weights.reloads >= 1 and weights.commits >= 1  # finished shards are made durable

    runtime.compile_deepgemm()
    cache = volumes[plan.kernel_cache.volume]
    assert Path(plan.kernel_cache.marker_path).exists() and cache.commits == 1

    runtime.verify_setup()  # raises SystemExit(1) on any problem
    runtime.verify_setup(deep=True)

    commits_before = cache.commits
    server = runtime.SGLangServer()
    server.boot()
    try:
        # it serves from a private local copy of the key directory, marker included
        assert (Path(plan.kernel_cache.server_local_dir) / ".compiled-GLM-5.1-FP8").exists()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": f"Bearer {KEY}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert b"glm-5.1" in r.read()
    finally:
        server.shutdown()
    assert cache.commits == commits_before  # the server never publishes into the cache volume
    out = capsys.readouterr()
    assert KEY not in out.out + out.err and TOKEN not in out.out + out.err
    # issue 9: one structured cold-start line with every phase timed from the engine's own lines
    (line,) = [ln for ln in out.out.splitlines() if ln.startswith("cold-start phases:")]
    phases = json.loads(line.split(":", 1)[1])
    assert all(isinstance(phases[k], float) for k in ("volume_reload", "kernel_cache_restore", "weights",
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

    monkeypatch.delenv("API_KEY")
    runtime.download_model()
    with pytest.raises(SystemExit):
        runtime.SGLangServer().boot()
    assert "modal secret create glm51-api-key API_KEY=<key>" in capsys.readouterr().err
