"""serve: SGLangSupervisor against the SGLang stand-in (same argv shape as the plan's)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))

from standin_trees import (  # noqa: E402
    FIXES,
    KERNEL,
    KEY_SM100,
    MARKER_NAME,
    REVISION,
    child_env,
    free_port,
    make_tree,
    write_kernel_marker,
)

from modal_llm_deploy.base.errors import StepError  # noqa: E402
from modal_llm_deploy.steps import serve  # noqa: E402
from modal_llm_deploy.engine.caches import SGLANG_CACHES, cache_env
from modal_llm_deploy.steps.caches import WorkDirLock  # noqa: E402
from modal_llm_deploy.base.layout import complete_path, kernel_dir  # noqa: E402
from modal_llm_deploy.steps.serve import Redactor, SGLangSupervisor, prepare_serve, serve_forever  # noqa: E402

pytestmark = pytest.mark.timeout(60)

KEY = "sk-SENTINEL-7f3a9c2e"  # must never show up in any log line or exception


@pytest.fixture(autouse=True)
def key_never_logged(capsys):
    yield
    out = capsys.readouterr()
    assert KEY not in out.out and KEY not in out.err


@pytest.fixture(autouse=True)
def release_work_dirs():
    yield
    for w in list(serve._HELD):
        serve.release_work_dir(w)


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "models" / "GLM-5.1-FP8", n_shards=3, shard_size=4096)


@pytest.fixture
def cache_root(tmp_path):
    root = tmp_path / "kernel-cache"
    write_kernel_marker(root)
    return root


def plan_argv(weights_dir: Path, port: int) -> list[str]:
    """The plan's server argv (the key is added by the supervisor at run time)."""
    return [
        "python3", "-m", "sglang.launch_server",
        "--model-path", str(weights_dir), "--served-model-name", "glm-5.1",
        "--tp-size", "8", "--trust-remote-code", "--enable-metrics",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


@pytest.fixture
def make_sup(tree):
    made: list[SGLangSupervisor] = []

    def make(api_key: str | None = KEY, *, ready_timeout_s=15.0, grace_s=5.0, on_child_exit=None, **standin_env):
        port = free_port()
        sup = SGLangSupervisor(
            plan_argv(tree.weights_dir, port),
            env=child_env(**{k: str(v) for k, v in standin_env.items()}),
            port=port,
            ready_timeout_s=ready_timeout_s,
            grace_s=grace_s,
            api_key=api_key,
            served_model_name="glm-5.1",
            on_child_exit=on_child_exit,
            poll_interval_s=0.05,
        )
        made.append(sup)
        return sup

    yield make
    for s in made:
        if s._child is not None and s._child.poll() is None:
            s.stop()


def http(method: str, url: str, *, key: str | None = None, body: dict | None = None, timeout: float = 10):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            st = fh.read()
    except OSError:
        return False
    return st[st.rfind(b")") + 2 :][:1] not in (b"Z", b"X")


def wait_until(cond, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


CHAT = {"model": "glm-5.1", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}


# --- startup -------------------------------------------------------------------------------


def test_ready_after_delay_then_warmup_with_key(make_sup, capsys):
    sup = make_sup(STANDIN_LISTEN_DELAY_S=0.3, STANDIN_READY_DELAY_S=0.8)
    sup.start()
    took = sup.wait_ready()
    assert took >= 1.0  # connection refused, then 503, then 200
    sup.warmup()  # the stand-in answers 401 without the right Bearer: this proves the key was sent
    base = sup.base_url
    assert http("GET", f"{base}/v1/models")[0] == 401
    assert http("POST", f"{base}/v1/chat/completions", body=CHAT)[0] == 401
    assert http("POST", f"{base}/v1/chat/completions", key="wrong", body=CHAT)[0] == 401
    code, body = http("GET", f"{base}/v1/models", key=KEY)
    assert code == 200 and json.loads(body)["data"][0]["id"] == "glm-5.1"
    assert http("GET", f"{base}/health")[0] == 200  # probes need no key
    code, metrics = http("GET", f"{base}/metrics")
    assert code == 200 and b"sglang:num_running_reqs" in metrics
    assert sup.stop() == 0

    out = capsys.readouterr().out
    # SGLang 0.5.23 logs the resolved args with the key in clear; we pass it on redacted.
    assert "[sglang] " in out and "server_args={" in out and "'api_key': '***'" in out
    assert "--api-key ***" in out  # our own "starting SGLang" line
    assert KEY not in repr(sup)
    capsys.readouterr()
    print(out, end="")  # let the autouse check see it too


def test_ready_timeout(make_sup):
    sup = make_sup(STANDIN_READY_DELAY_S=30, ready_timeout_s=1.0)
    sup.start()
    t0 = time.monotonic()
    with pytest.raises(StepError) as ei:
        sup.wait_ready()
    assert time.monotonic() - t0 < 5
    msg = str(ei.value)
    assert "not ready after 1 s" in msg and "/health: 503" in msg and KEY not in msg
    assert sup.stop() == 0


def test_crash_during_startup(make_sup):
    sup = make_sup(STANDIN_READY_DELAY_S=10, STANDIN_CRASH_AFTER_S=0.4, STANDIN_EXIT_CODE=3)
    sup.start()
    with pytest.raises(StepError) as ei:
        sup.wait_ready()
    msg = str(ei.value)
    assert "exited with code 3 during startup" in msg
    assert "illegal memory access" in msg and "api_key='***'" in msg  # last lines, redacted
    assert KEY not in msg and "\n" not in msg


def test_crash_after_ready_calls_on_child_exit_and_kills_leftovers(make_sup, tmp_path):
    got: list[tuple[int, list[str]]] = []
    ev = threading.Event()
    pidfile = tmp_path / "pids.json"

    def on_exit(code, lines):
        got.append((code, lines))
        ev.set()

    sup = make_sup(
        on_child_exit=on_exit, STANDIN_READY_DELAY_S=0.1, STANDIN_CRASH_AFTER_S=1.0, STANDIN_EXIT_CODE=3,
        STANDIN_WORKERS=2, STANDIN_PIDFILE=pidfile,
    )  # fmt: skip
    sup.start()
    sup.wait_ready()
    sup.monitor()
    assert ev.wait(15), "on_child_exit was not called"
    code, lines = got[0]
    assert code == 3
    assert any("illegal memory access" in ln for ln in lines) and not any(KEY in ln for ln in lines)
    workers = json.loads(pidfile.read_text())["workers"]
    assert wait_until(lambda: not any(alive(p) for p in workers), 5), "scheduler stand-ins survived"


# --- stop ----------------------------------------------------------------------------------


def test_sigterm_drains_in_flight_request(make_sup):
    sup = make_sup(STANDIN_READY_DELAY_S=0.1, STANDIN_REQUEST_DELAY_S=1.5, grace_s=8)
    sup.start()
    sup.wait_ready()
    result: list[int] = []
    t = threading.Thread(target=lambda: result.append(http("POST", f"{sup.base_url}/v1/chat/completions",
                                                            key=KEY, body=CHAT)[0]))
    t.start()
    time.sleep(0.4)  # the request is in flight
    t0 = time.monotonic()
    rc = sup.stop()
    took = time.monotonic() - t0
    t.join(5)
    assert result == [200]  # finished during the drain
    assert rc == 0
    assert 0.5 < took < 8  # waited for the request, well within grace


def test_child_ignoring_sigterm_is_killed_after_grace(make_sup, tmp_path):
    pidfile = tmp_path / "pids.json"
    sup = make_sup(grace_s=1.0, STANDIN_READY_DELAY_S=0.1, STANDIN_IGNORE_SIGTERM=1, STANDIN_WORKERS=1,
                   STANDIN_PIDFILE=pidfile)
    sup.start()
    sup.wait_ready()
    sup.monitor()  # a requested stop must not be reported as a crash
    t0 = time.monotonic()
    rc = sup.stop()
    took = time.monotonic() - t0
    assert rc == -signal.SIGKILL
    assert 0.9 < took < 4
    workers = json.loads(pidfile.read_text())["workers"]
    assert wait_until(lambda: not any(alive(p) for p in workers), 5)


# --- API key -------------------------------------------------------------------------------


def test_api_key_in_argv_refused(tree):
    with pytest.raises(StepError) as ei:
        SGLangSupervisor(
            plan_argv(tree.weights_dir, 8000) + ["--api-key", KEY], env={}, port=8000, ready_timeout_s=1,
            grace_s=1, api_key=KEY, served_model_name="glm-5.1",
        )  # fmt: skip
    assert KEY not in str(ei.value)


def test_no_key_means_open_endpoints(make_sup):
    sup = make_sup(api_key=None, STANDIN_READY_DELAY_S=0.1)
    sup.start()
    sup.wait_ready()
    sup.warmup()
    assert http("GET", f"{sup.base_url}/v1/models")[0] == 200
    assert sup.stop() == 0


def test_port_in_use_refused(make_sup):
    import socket

    sup = make_sup()
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", sup.port))
        srv.listen()
        with pytest.raises(StepError, match="already in use"):
            sup.start()
    assert sup._child is None


def test_redactor_spellings():
    r = Redactor(["a\\b'c"])
    assert r("x a\\b'c y") == "x *** y"
    assert r(repr("a\\b'c")) == '"***"'  # repr escapes the backslash
    assert r(json.dumps({"k": "a\\b'c"})) == '{"k": "***"}'
    assert Redactor([None])("nothing") == "nothing"


# --- prepare_serve -------------------------------------------------------------------------


def test_prepare_serve_fails_fast_on_incomplete_weights(tree, cache_root):
    complete_path(tree.weights_dir).unlink()
    t0 = time.monotonic()
    with pytest.raises(StepError) as ei:
        prepare_serve(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True)
    assert time.monotonic() - t0 < 1
    assert "no completion marker" in str(ei.value) and str(ei.value).endswith(f"→ run: {FIXES.download}")


def test_prepare_serve_refuses_to_start_without_kernels(tree, tmp_path):
    """No marker for the key: SGLang would JIT for 10-20 min past the startup timeout, in a loop."""
    empty_cache = tmp_path / "empty-cache"
    empty_cache.mkdir()
    t0 = time.monotonic()
    with pytest.raises(StepError) as ei:
        prepare_serve(tree.weights_dir, empty_cache, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True)
    msg = str(ei.value)
    assert time.monotonic() - t0 < 1 and "\n" not in msg
    assert msg.startswith("refusing to start without compiled kernels") and f"→ run: {FIXES.compile}" in msg
    assert "kernel_cache.allow_cold_jit=true" in msg and KEY_SM100 in msg
    assert not (empty_cache / ".work").exists()  # refused before touching anything


def test_prepare_serve_with_cold_jit_allowed_warns(tree, tmp_path, capsys):
    empty_cache = tmp_path / "empty-cache"
    empty_cache.mkdir()
    env = prepare_serve(tree.weights_dir, empty_cache, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True,
                        allow_cold_jit=True)
    work = empty_cache.resolve() / ".work"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env == {"HF_HUB_OFFLINE": "1", **cache_env(work)}
    out = capsys.readouterr().out
    assert "allow_cold_jit=true" in out and "JIT-compile DeepGEMM kernels" in out and FIXES.compile in out


def test_prepare_serve_restores_the_key_tree_to_the_work_dir(tree, cache_root, tmp_path, capsys):
    kd = kernel_dir(cache_root, KEY_SM100)
    (kd / "jit" / "mod").mkdir(parents=True)
    (kd / "jit" / "mod" / "m.so").write_bytes(b"so")
    (kd / "deep_gemm" / "locks").mkdir()
    (kd / "deep_gemm" / "locks" / "x.lock").write_text("")
    work = tmp_path / "fixed" / "sglang-cache"
    (work / "stale").mkdir(parents=True)  # a leftover tree is never trusted
    env = prepare_serve(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True,
                        work_dir=work)
    assert env == {"HF_HUB_OFFLINE": "1", **cache_env(work)}
    assert set(env) >= {c.env for c in SGLANG_CACHES}
    assert (work / "jit" / "mod" / "m.so").read_bytes() == b"so"
    assert len(list((work / "deep_gemm" / "cache").glob("*.cubin"))) == 1
    assert not (work / "stale").exists() and not (work / MARKER_NAME).exists()
    assert not (work / "deep_gemm" / "locks" / "x.lock").exists()
    assert "refusing" not in capsys.readouterr().out


def test_prepare_serve_refuses_a_work_dir_in_use(tree, cache_root, tmp_path):
    work = tmp_path / "w"
    with WorkDirLock(work):  # e.g. a local `compile` running with the same --cache-dir
        with pytest.raises(StepError, match=r"in use by another compile or serve \(pid \d+\)"):
            prepare_serve(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES,
                          deepgemm=True, work_dir=work)


def test_prepare_serve_refuses_read_only_kernel_cache(tree, cache_root, monkeypatch):
    monkeypatch.setattr(serve.os, "access", lambda *a, **k: False)  # root ignores chmod; fake EROFS
    with pytest.raises(StepError, match="not writable.*writable directory"):
        prepare_serve(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True)


# --- serve_forever (CLI twin) --------------------------------------------------------------


def _serve_forever(tree, cache_root, port, env):
    prepared = prepare_serve(tree.weights_dir, cache_root, revision=REVISION, kernel=KERNEL, fixes=FIXES, deepgemm=True)
    return serve_forever(
        plan_argv(tree.weights_dir, port), env={**env, **prepared}, port=port, ready_timeout_s=15, grace_s=5,
        api_key=KEY, served_model_name="glm-5.1", poll_interval_s=0.05,
    )


def test_serve_forever_stops_cleanly_on_sigint(tree, cache_root):
    port = free_port()

    def interrupt_when_ready():
        url = f"http://127.0.0.1:{port}/v1/models"
        wait_until(lambda: http("GET", url, key=KEY, timeout=1)[0] == 200 if _port_open(port) else False, 20)
        time.sleep(0.3)  # past warmup
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_ready, daemon=True).start()
    assert _serve_forever(tree, cache_root, port, env=child_env(STANDIN_READY_DELAY_S="0.2")) == 0


def test_serve_forever_returns_child_exit_code(tree, cache_root):
    port = free_port()
    env = child_env(STANDIN_READY_DELAY_S="0.1", STANDIN_CRASH_AFTER_S="1.0", STANDIN_EXIT_CODE="4")
    assert _serve_forever(tree, cache_root, port, env=env) == 4


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("tail", [0, 1, 7])
def test_key_at_the_flush_boundary_of_a_huge_line_is_redacted(tail):
    """A >1 MiB line without newline is flushed in pieces; a key that ends right at a piece
    boundary (64 KiB pipe reads: the 17th read crosses 1 MiB) must not be split and leak."""
    from modal_llm_deploy.steps.serve import StreamedChild

    boundary = 17 * 65536
    script = (
        "import sys, time\n"
        f"sys.stdout.write('x' * ({boundary} - {len(KEY)} - {tail}) + {KEY!r} + 'y' * {tail})\n"
        "sys.stdout.flush(); time.sleep(0.3); sys.stdout.write('\\nend\\n')\n"
    )
    lines: list[str] = []
    child = StreamedChild([sys.executable, "-c", script], env=dict(os.environ), prefix="", redactor=Redactor([KEY]),
                          on_line=lines.append)
    child.start()
    child.wait(30)
    child.finish_output(5)
    text = "\n".join(lines)
    assert "end" in text and len(text) > boundary - 100
    assert KEY not in text and KEY[:8] not in text.replace("x", "")
