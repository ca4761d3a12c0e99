"""compile: the plan's argv runs against the SGLang stand-in; the GPU probe runs the fake
nvidia-smi through the real code path."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))

from standin_trees import (  # noqa: E402
    BIN_DIR,
    FIXES,
    KERNEL,
    KEY_SM90,
    KEY_SM100,
    MARKER_NAME,
    REVISION,
    SGLANG_VERSION,
    child_env,
    free_port,
    make_tree,
    write_kernel_marker,
)

from modal_llm_deploy.base.errors import StepError  # noqa: E402
from modal_llm_deploy.steps import deepgemm  # noqa: E402
from modal_llm_deploy.steps.gpu import compute_cap_to_arch, probe_gpu  # noqa: E402
from modal_llm_deploy.base.layout import KernelMarker, complete_path, kernel_dir  # noqa: E402
from modal_llm_deploy.engine.caches import argv_hash  # noqa: E402
from modal_llm_deploy.steps.verify import verify_setup  # noqa: E402

pytestmark = pytest.mark.timeout(60)


def plan_argv(weights_dir: Path, timeout: int = 60, *extra: str) -> list[str]:
    """What the plan produces for the compile function (never --api-key)."""
    return [
        "python3", "-m", "sglang.compile_deep_gemm",
        "--model-path", str(weights_dir),
        "--tp-size", "8", "--ep-size", "1", "--trust-remote-code",
        "--served-model-name", "glm-5.1",
        "--host", "127.0.0.1", "--port", str(free_port()),
        *extra,
        "--timeout", str(timeout),
    ]  # fmt: skip


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "models" / "GLM-5.1-FP8", n_shards=3, shard_size=4096)


@pytest.fixture
def cache_root(tmp_path):
    return tmp_path / "kernel-cache"


@pytest.fixture
def b200(monkeypatch):
    """The fake nvidia-smi first on PATH, answering like one 8×B200 node."""
    monkeypatch.setenv("PATH", f"{BIN_DIR}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("STANDIN_GPU", "NVIDIA B200,10.0")
    monkeypatch.setenv("STANDIN_GPU_COUNT", "8")


@pytest.fixture
def logged(monkeypatch):
    """Record (monotonic time, line) of everything the compile step logs."""
    lines: list[tuple[float, str]] = []
    monkeypatch.setattr(deepgemm, "log", lambda msg: lines.append((time.monotonic(), msg)))
    return lines


def compile_(tree, cache_root, **kw):
    kw.setdefault("argv", plan_argv(tree.weights_dir))
    kw.setdefault("env", child_env())
    kw.setdefault("kernel", KERNEL)
    return deepgemm.compile_deepgemm(
        weights_dir=tree.weights_dir, cache_root=cache_root, revision=REVISION, fixes=FIXES, **kw
    )


def plan_argv_of(marker: KernelMarker) -> list[str]:
    return list(marker.argv or [])


# --- GPU probe -----------------------------------------------------------------------------


def test_compute_cap_to_arch():
    assert compute_cap_to_arch("10.0") == "sm100"
    assert compute_cap_to_arch("9.0") == "sm90"
    assert compute_cap_to_arch(" 8.9") == "sm89"
    assert compute_cap_to_arch("12.0") == "sm120"
    with pytest.raises(ValueError):
        compute_cap_to_arch("[N/A]")


def test_probe_gpu_with_fake_nvidia_smi(b200):
    g = probe_gpu()
    assert (g.name, g.arch, g.compute_cap, g.count) == ("NVIDIA B200", "sm100", "10.0", 8)


def test_probe_gpu_driver_failure(b200, monkeypatch):
    monkeypatch.setenv("STANDIN_GPU", "")
    with pytest.raises(StepError, match=r"no NVIDIA GPU visible \(nvidia-smi exit 9: NVIDIA-SMI has failed"):
        probe_gpu()


# --- the compile step ----------------------------------------------------------------------


def test_success_streams_lines_while_running_and_writes_marker(tree, cache_root, b200, logged, tmp_path, monkeypatch):
    handshake = tmp_path / "saw-first-line"
    seen = []

    def on_log(msg):  # the child waits until this file exists: proves live streaming
        seen.append((time.monotonic(), msg))
        if "Try DeepGEMM JIT Compiling" in msg:
            handshake.touch()

    monkeypatch.setattr(deepgemm, "log", on_log)
    res = compile_(tree, cache_root, env=child_env(STANDIN_COMPILE_HANDSHAKE=str(handshake)))
    end = time.monotonic()

    assert not res.skipped and res.gpu_name == "NVIDIA B200" and res.cache_files == 4
    marker_path = kernel_dir(cache_root, KEY_SM100) / MARKER_NAME
    assert res.marker_path == marker_path
    m = KernelMarker.load(marker_path)
    assert (m.key, m.arch, m.sglang_version, m.gpu_name) == (KEY_SM100, "sm100", SGLANG_VERSION, "NVIDIA B200")
    assert 0.5 < m.duration_s < 30 and m.extra["revision"] == REVISION and m.extra["gpu_count"] == 8
    assert "--api-key" not in m.argv and m.argv == plan_argv_of(m)
    assert m.argv_hash == argv_hash(m.argv)  # KERNEL carries no hash: the step computes it
    # kernels were built in the work dir, then the whole tree was copied under the key
    work = cache_root.resolve() / ".work"
    assert res.work_dir == work and m.extra["work_dir"] == str(work)
    kd = kernel_dir(cache_root, KEY_SM100)
    assert len(list((kd / "deep_gemm" / "cache").glob("*.cubin"))) == 4
    assert (kd / "jit").is_dir() and (kd / ".cache" / "flashinfer" / "standin_mla" / "build.ninja").is_file()
    assert not any(p.name.endswith(".lock") for p in kd.rglob("*"))

    texts = [t for _, t in seen]
    first = next(ts for ts, t in seen if "Try DeepGEMM JIT Compiling" in t)
    assert end - first > 0.5  # logged ~1 s before the child finished
    assert any("[compile] DeepGEMM Kernels compilation finished successfully." in t for t in texts)
    # \r progress bars are split into lines but rate-limited, not dumped as one giant line
    progress = [t for t in texts if "DeepGEMM warmup:" in t]
    assert progress and all("\r" not in t for t in progress) and len(progress) <= 8
    # the whole setup now verifies
    assert verify_setup(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES).ok


def test_skip_when_marker_exists(tree, cache_root, logged):
    write_kernel_marker(cache_root)

    def no_probe():
        raise AssertionError("GPU probed although the kernels exist")

    t0 = time.monotonic()
    res = compile_(tree, cache_root, env=child_env(STANDIN_COMPILE_FAIL="5"), gpu_probe=no_probe)
    assert res.skipped and res.duration_s == 0.0 and res.gpu_name == "NVIDIA B200"
    assert time.monotonic() - t0 < 1.0
    assert not any(t.startswith("[compile]") for _, t in logged)  # child never ran
    assert any("skipping" in t for _, t in logged)


def test_force_rebuilds(tree, cache_root, b200, logged):
    write_kernel_marker(cache_root, gpu_name="old")
    res = compile_(tree, cache_root, force=True)
    assert not res.skipped
    assert KernelMarker.load(res.marker_path).gpu_name == "NVIDIA B200"


def test_failure_raises_with_exit_code_and_last_lines_and_leaves_no_marker(tree, cache_root, b200, logged):
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root, env=child_env(STANDIN_COMPILE_FAIL="7"))
    msg = str(ei.value)
    assert "exit code 7" in msg and "nvcc exited with status 1" in msg
    assert "\n" not in msg and FIXES.compile in msg
    assert not (kernel_dir(cache_root, KEY_SM100) / MARKER_NAME).exists()
    assert (kernel_dir(cache_root, KEY_SM100) / "deep_gemm").is_dir()  # partial cache is fine


def test_failure_removes_a_mismatched_marker(tree, cache_root, b200, logged):
    # an sm90 marker copied under the sm100 key: recompile, and a failure must not leave it
    write_kernel_marker(cache_root, KEY_SM100, arch="sm90", marker_key=KEY_SM90)
    with pytest.raises(StepError):
        compile_(tree, cache_root, env=child_env(STANDIN_COMPILE_FAIL="1"))
    assert not (kernel_dir(cache_root, KEY_SM100) / MARKER_NAME).exists()


def test_incomplete_weights_refused_before_running(tree, cache_root, b200, logged):
    complete_path(tree.weights_dir).unlink()
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root)
    assert "no completion marker" in str(ei.value) and str(ei.value).endswith(f"→ run: {FIXES.download}")
    assert not any(t.startswith("[compile]") for _, t in logged)
    assert not kernel_dir(cache_root, KEY_SM100).exists()


def test_no_gpu_refused(tree, cache_root, monkeypatch, tmp_path, logged):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no nvidia-smi at all
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root)
    msg = str(ei.value)
    assert msg.startswith("no NVIDIA GPU visible") and "(sm100)" in msg and FIXES.compile in msg
    assert not any(t.startswith("[compile]") for _, t in logged)


def test_wrong_arch_refused(tree, cache_root, b200, monkeypatch, logged):
    monkeypatch.setenv("STANDIN_GPU", "NVIDIA H200,9.0")
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root)
    msg = str(ei.value)
    assert "NVIDIA H200 (sm90)" in msg and "sm100" in msg and FIXES.compile in msg
    assert not any(t.startswith("[compile]") for _, t in logged)


def test_too_few_gpus_refused(tree, cache_root, b200, monkeypatch, logged):
    monkeypatch.setenv("STANDIN_GPU_COUNT", "4")  # the argv says --tp-size 8
    with pytest.raises(StepError, match=r"4× NVIDIA B200 visible but the compile argv needs 8 GPUs"):
        compile_(tree, cache_root)
    assert not any(t.startswith("[compile]") for _, t in logged)


@pytest.mark.parametrize("form", [["--api-key", "sk-SENTINEL-123"], ["--api-key=sk-SENTINEL-123"]])
def test_api_key_in_argv_refused(tree, cache_root, b200, logged, form):
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root, argv=plan_argv(tree.weights_dir, 60, *form))
    assert "--api-key" in str(ei.value) and "SENTINEL" not in str(ei.value)
    assert not any("SENTINEL" in t for _, t in logged)


def test_dead_compile_server_is_noticed(tree, cache_root, b200, logged):
    """compile_deep_gemm keeps polling until --timeout after its server died; we stop it."""
    t0 = time.monotonic()
    with pytest.raises(StepError, match="server exited .* kept waiting"):
        compile_(
            tree, cache_root, argv=plan_argv(tree.weights_dir, 600), env=child_env(STANDIN_COMPILE_SERVER_DIES="1"),
            server_gone_grace_s=1.0, poll_s=0.1,
        )  # fmt: skip
    assert time.monotonic() - t0 < 15
    assert not (kernel_dir(cache_root, KEY_SM100) / MARKER_NAME).exists()


def test_compile_past_its_timeout_is_killed(tree, cache_root, b200, logged):
    """After --timeout the real tool may hang joining its server; we enforce timeout + margin."""
    t0 = time.monotonic()
    with pytest.raises(StepError, match=r"ran past --timeout 1 s"):
        compile_(
            tree, cache_root, argv=plan_argv(tree.weights_dir, 1), env=child_env(STANDIN_COMPILE_HANG="1"),
            deadline_margin_s=1.5, poll_s=0.1,
        )  # fmt: skip
    assert time.monotonic() - t0 < 15


def test_port_in_use_refused(tree, cache_root, b200, logged):
    import socket

    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        argv = plan_argv(tree.weights_dir)
        argv[argv.index("--port") + 1] = str(port)
        with pytest.raises(StepError, match=f"port {port} .* already in use"):
            compile_(tree, cache_root, argv=argv)
    assert not any(t.startswith("[compile]") for _, t in logged)


# --- one work directory, published under the key ----------------------------------------------


def test_failed_compile_publishes_partial_tree_and_the_rerun_resumes_from_it(tree, cache_root, b200, logged):
    with pytest.raises(StepError, match="kernels compiled so far are kept"):
        compile_(tree, cache_root, env=child_env(STANDIN_COMPILE_FAIL="3"))
    kd = kernel_dir(cache_root, KEY_SM100)
    partial = sorted(p.name for p in (kd / "deep_gemm" / "cache").glob("*.cubin"))
    assert partial == ["kernel_0.cubin", "kernel_1.cubin"] and not (kd / MARKER_NAME).exists()
    logged.clear()
    res = compile_(tree, cache_root)
    assert not res.skipped
    assert any("restored 2 cached files" in t for _, t in logged)  # resumed from the published tree
    assert KernelMarker.load(res.marker_path).extra["cache_files"] >= 4


def test_compile_in_an_explicit_work_dir_records_it(tree, cache_root, b200, logged, tmp_path):
    work = tmp_path / "opt" / "sglang-cache"
    kernel = KERNEL.__class__(**{**KERNEL.__dict__, "argv_hash": "0123456789"})
    res = compile_(tree, cache_root, work_dir=work, kernel=kernel)
    m = KernelMarker.load(res.marker_path)
    assert m.extra["work_dir"] == str(work) and m.argv_hash == "0123456789"
    assert m.extra["cache_env"]["SGLANG_JIT_CACHE_DIR"] == f"{work}/jit"
    # FlashInfer-like build file records the absolute path it was built at: the work dir
    ninja = kernel_dir(cache_root, KEY_SM100) / ".cache" / "flashinfer" / "standin_mla" / "build.ninja"
    assert str(work) in ninja.read_text()


def test_work_dir_in_use_is_refused(tree, cache_root, b200, logged):
    from modal_llm_deploy.steps.caches import WorkDirLock

    with WorkDirLock(cache_root.resolve() / ".work"):
        with pytest.raises(StepError, match="in use by another compile or serve"):
            compile_(tree, cache_root)
    assert not any(t.startswith("[compile]") for _, t in logged)


def test_verify_names_a_marker_for_other_arguments(tree, cache_root):
    # same key directory, marker written for another argument hash (e.g. copied by hand)
    path = write_kernel_marker(cache_root)
    m = KernelMarker.load(path)
    KernelMarker(**{**m.__dict__, "argv_hash": "aaaaaaaaaa"}).save(path)
    kernel = KERNEL.__class__(**{**KERNEL.__dict__, "argv_hash": "bbbbbbbbbb"})
    rep = verify_setup(tree.weights_dir, cache_root, revision=REVISION, kernel=kernel, fixes=FIXES)
    assert not rep.ok
    p = rep.problems[0]
    assert p.kind == "kernel.args_mismatch" and "aaaaaaaaaa" in p.message and "bbbbbbbbbb" in p.message
    assert str(p).endswith(f"→ run: {FIXES.compile}")


def test_publish_failure_is_one_line_and_writes_no_marker(tree, cache_root, b200, logged, monkeypatch):
    import shutil as _shutil

    def full(a, b):
        raise OSError(28, "No space left on device", b)

    monkeypatch.setattr(_shutil, "copy2", full)
    with pytest.raises(StepError) as ei:
        compile_(tree, cache_root)
    msg = str(ei.value)
    assert "No space left on device" in msg and "no marker was written" in msg and "\n" not in msg
    assert not (kernel_dir(cache_root, KEY_SM100) / MARKER_NAME).exists()
