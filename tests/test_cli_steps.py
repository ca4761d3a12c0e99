"""The whole local pipeline through the real CLI, as a user with their own box would run it:

    modal-llm-deploy download → verify (fails, says which command fixes it) → compile → verify → serve

against the fake hub (real huggingface_hub client via HF_ENDPOINT) and the SGLang stand-in (the
one thing that needs a GPU), with the same plan and argv the Modal containers get.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import BIN_DIR, STANDIN_DIR, free_port  # noqa: E402

from modal_llm_deploy import build_plan, load_profile  # noqa: E402

pytestmark = pytest.mark.timeout(180)

CLI = str(Path(sys.executable).with_name("modal-llm-deploy"))
KEY = "sk-SENTINEL-cli-5b1e"


@pytest.fixture
def setup(tmp_path, hub_server, hub_repo):
    port = free_port()
    sets = [
        f"model.repo_id={hub_repo.repo_id}",
        f"model.revision={hub_repo.refs['main']}",
        "model.allow_patterns=none",
        f"serving.port={port}",
        "serving.exit_grace_period_s=10",
        "download.backoff_s=[0.01, 0.02]",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_"))}
    env.update(
        HF_ENDPOINT=hub_server.endpoint,
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HOME=str(tmp_path / "hf_home"),
        API_KEY=KEY,
        # The SGLang stand-in answers `python -m sglang.*`; a fake nvidia-smi reports 8×B200.
        PYTHONPATH=str(STANDIN_DIR),
        PATH=f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}",
        STANDIN_GPU="NVIDIA B200,10.0",
        STANDIN_GPU_COUNT="8",
        STANDIN_COMPILE_STEP_S="0.05",
        STANDIN_ENV_RECORD=str(tmp_path / "standin-env.jsonl"),  # each engine run's environment
    )
    w, c = tmp_path / "weights", tmp_path / "cache"
    dirs = ["--weights-dir", str(w), "--cache-dir", str(c)]
    args = [a for s in sets for a in ("--set", s)] + dirs
    return dict(env=env, args=args, weights=w, cache=c, port=port, sets=sets, record=tmp_path / "standin-env.jsonl")


def engine_runs(setup) -> list[dict]:
    p = setup["record"]
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


def serve_until_healthy_then_stop(setup, *extra: str) -> str:
    """`serve` in the background; once /health is 200, SIGTERM; returns its output (exit 0)."""
    proc = subprocess.Popen([CLI, "serve", "glm51_fp8", *setup["args"], *extra], env=setup["env"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(f"http://127.0.0.1:{setup['port']}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.2)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    return out


def cli(setup, cmd: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, cmd, "glm51_fp8", *setup["args"], *extra], env=setup["env"],
                          capture_output=True, text=True, timeout=120)


def get(url: str, key: str | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_local_pipeline(setup, hub_server, hub_files):
    # 1. download: the real client against the fake hub, one 503 burst on a shard on the way.
    hub_server.add_fault(kind="status", status=503, times=2, path="model-00002-of-00004.safetensors", where="cdn")
    hub_server.add_fault(kind="reset", path="model-00003-of-00004.safetensors", where="cdn", after_bytes=1 << 20)
    r = cli(setup, "download")
    assert r.returncode == 0, r.stderr + r.stdout
    assert len(hub_server.file_gets("model-00002-of-00004.safetensors")) == 3  # 503, 503, 200
    assert hub_server.bytes_sent("model-00003-of-00004.safetensors") == len(hub_files["model-00003-of-00004.safetensors"])
    model_dir = setup["weights"] / "GLM-tiny-FP8"
    for name, data in hub_files.items():
        assert (model_dir / name).read_bytes() == data, name

    # 2. verify before the kernels exist: exit 1, and the problem names the command that fixes it.
    r = cli(setup, "verify")
    assert r.returncode == 1
    assert "modal-llm-deploy compile glm51_fp8" in r.stdout + r.stderr

    # 2b. serve without compiled kernels: refused in one line with the compile command (no cold-JIT
    # loop), unless the profile allows cold JIT, whose startup budget must then hold it.
    r = cli(setup, "serve")
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "refusing to start without compiled kernels" in r.stderr and "modal-llm-deploy compile glm51_fp8" in r.stderr
    assert not engine_runs(setup)  # SGLang never started
    r = cli(setup, "serve", "--set", "kernel_cache.allow_cold_jit=true")
    assert r.returncode == 2 and "kernel_cache.allow_cold_jit" in r.stderr and "Traceback" not in r.stderr
    cold = serve_until_healthy_then_stop(setup, "--set", "kernel_cache.allow_cold_jit=true",
                                         "--set", "serving.startup_timeout_s=2400")
    assert "allow_cold_jit=true: SGLang will JIT-compile" in cold
    assert "Entering DeepGEMM JIT Pre-Compile session" in cold  # the engine found no kernels
    assert "JIT modules: 2 built, 0 reused" in cold
    setup["record"].unlink()

    # 3. compile on the (fake) 8×B200: the same argv the Modal container runs.
    r = cli(setup, "compile")
    assert r.returncode == 0, r.stderr + r.stdout
    plan = build_plan(load_profile("glm51_fp8", dict(s.split("=", 1) for s in setup["sets"][:2])))
    marker = setup["cache"] / plan.kernel_cache.key / ".compiled-GLM-5.1-FP8"
    meta = json.loads(marker.read_text())
    assert meta["key"] == plan.kernel_cache.key and meta["arch"] == "sm100" and meta["sglang_version"] == "0.5.23"
    again = cli(setup, "compile")
    assert again.returncode == 0 and "skip" in (again.stdout + again.stderr).lower()

    # 4. verify: complete now.
    r = cli(setup, "verify", "--deep")
    assert r.returncode == 0, r.stderr + r.stdout

    # 5. serve: supervised stand-in with the API key from the env; SIGTERM drains and exits 0.
    proc = subprocess.Popen([CLI, "serve", "glm51_fp8", *setup["args"]], env=setup["env"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{setup['port']}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(f"{base}/health")[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.2)
        status, body = get(f"{base}/v1/models", KEY)
        assert status == 200 and b"glm-5.1" in body
        assert get(f"{base}/v1/models")[0] == 401  # SGLang's --api-key is enforced
        assert get(f"{base}/metrics")[0] == 200  # Prometheus stays open
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert KEY not in out  # the stand-in logs server_args with the key, like SGLang: redacted

    # 6. compile and serve ran the engine with every cache variable set, at the same absolute
    # paths (under <--cache-dir>/.work), and the server reused what the compile built.
    runs = {r["tool"]: r for r in engine_runs(setup)}
    assert set(runs) == {"compile_deep_gemm", "launch_server"}
    work = str(setup["cache"].resolve() / ".work")
    want = plan_local_cache_env(setup)
    assert want["SGLANG_CACHE_DIR"] == work and len(want) >= 10
    for tool, rec in runs.items():
        assert {k: rec["env"].get(k) for k in want} == want, tool
        assert all(v.startswith(work) for v in rec["resolved"].values()), tool
    assert "JIT modules: 0 built, 2 reused" in out and "Entering DeepGEMM JIT" not in out

    # 7. a kernel-shaping flag changes the key: verify says the kernels are for other arguments
    # and names the compile command with that flag; the server refuses instead of a cold JIT.
    chunk = ("--set", "engine.flags.chunked-prefill-size=4096")
    r = cli(setup, "verify", *chunk)
    assert r.returncode == 1
    text = r.stdout + r.stderr
    assert f"kernels found for other SGLang arguments ({plan.kernel_cache.key}" in text
    assert "modal-llm-deploy compile glm51_fp8" in text and "--set engine.flags.chunked-prefill-size=4096" in text
    r = cli(setup, "serve", *chunk)
    assert r.returncode == 1 and "refusing to start without compiled kernels" in r.stderr
    assert "--set engine.flags.chunked-prefill-size=4096" in r.stderr


def plan_local_cache_env(setup) -> dict[str, str]:
    from modal_llm_deploy.engine.caches import cache_env, local_work_dir

    return cache_env(local_work_dir(setup["cache"]))


def test_serve_refuses_incomplete_weights(setup):
    r = cli(setup, "serve")
    assert r.returncode == 1
    assert "modal-llm-deploy download glm51_fp8" in r.stderr and "Traceback" not in r.stderr
