"""Run SGLang as a supervised child: ready check, warmup, crash detection, graceful drain.

The same code runs inside the Modal server class (``@modal.enter`` → prepare/start/wait_ready/
warmup/monitor, ``@modal.exit`` → stop) and in the CLI (:func:`serve_forever`).

What SGLang 0.5.23 does that shapes this module (read in its source):

* At startup it logs ``server_args={...}`` — the resolved arguments as a dict, **including
  ``'api_key': '<the key>'``** (only watermark secrets are redacted). ``repr(ServerArgs)`` and
  ``ServerArgs.launch_command`` hold the key too. Every child line therefore passes through
  :class:`Redactor` before it reaches our log (= Modal's log).
* ``/health`` answers 503 while the server is starting (until its own warmup request has
  succeeded) and while it drains after SIGTERM; otherwise it runs a 1-token generation
  (``SGLANG_HEALTH_CHECK_TIMEOUT``, 20 s). ``/health*``, ``/ready*``, ``/metrics*`` need no key.
* On SIGTERM the tokenizer manager sets ``gracefully_exit``, polls every 5 s until no request is
  left, then stops its schedulers. The scheduler processes install no SIGTERM handler, so the
  signal must go to the **main process only**: signalling the whole process group would kill the
  schedulers mid-request. After the grace period the whole group gets SIGKILL (and after any
  exit, stragglers of the group are killed: they would otherwise hold GPU memory).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Mapping, Sequence

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import KernelExpectation, kernel_dir
from modal_llm_deploy.engine import caches as engine_caches
from modal_llm_deploy.engine.bind import loopback_for, url_host
from modal_llm_deploy.steps import caches
from modal_llm_deploy.steps.log import log
from modal_llm_deploy.steps.release import require_sglang_release
from modal_llm_deploy.steps.verify import Fixes, verify_setup

KEEP_LINES = 50
TAIL_IN_ERRORS = 5
REDACTED = "***"


# --- child process plumbing (shared with deepgemm) -----------------------------------------


class Redactor:
    """Replaces secret values (and their repr/JSON-escaped spellings) in text."""

    def __init__(self, secrets: Sequence[str | None] = ()):
        forms: set[str] = set()
        for s in secrets:
            if not s:
                continue
            forms.add(s)
            forms.add(repr(s)[1:-1])
            forms.add(json.dumps(s)[1:-1])
        # Longest first, so a spelling that contains another is replaced whole.
        self._forms = sorted((f for f in forms if f), key=len, reverse=True)
        self.max_len = max((len(f.encode()) for f in self._forms), default=0)

    def __call__(self, text: str) -> str:
        for f in self._forms:
            if f in text:
                text = text.replace(f, REDACTED)
        return text


def _process_group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid`` (Linux /proc scan)."""
    out: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        rest = stat[stat.rfind(b")") + 2 :].split()
        # rest[0] = state, rest[1] = ppid, rest[2] = pgrp
        if len(rest) > 2 and int(rest[2]) == pgid and rest[0] not in (b"Z", b"X"):
            out.append(int(name))
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


class StreamedChild:
    """A child in its own process group whose merged stdout/stderr is logged line by line as it
    arrives (``\\n`` and ``\\r`` both end a line; ``\\r`` progress bars are rate-limited),
    redacted, with the last ``keep`` lines kept for error reports."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        prefix: str,
        redactor: Redactor | None = None,
        keep: int = KEEP_LINES,
        on_line: Callable[[str], None] | None = None,
        cr_interval_s: float = 2.0,
    ):
        self.argv = list(argv)
        self.env = dict(env)
        self.prefix = prefix
        self.redact = redactor or Redactor()
        self.on_line = on_line or (lambda line: log(f"{self.prefix}{line}"))
        self.cr_interval_s = cr_interval_s
        self._tail: collections.deque[str] = collections.deque(maxlen=keep)
        self._tail_lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self.started_at = 0.0

    # -- lifecycle
    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: we can kill every descendant
                bufsize=0,
            )
        except OSError as e:
            # argv may carry a secret (--api-key): name only the program.
            raise StepError(f"cannot start {self.argv[0]!r}: {e.strerror or e}") from None
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._read, name=f"{self.prefix.strip()}-output", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def signal_leader(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def kill_group(self) -> None:
        """SIGKILL every process of the child's group (the leader and any stragglers)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def group_members(self, *, exclude_leader: bool = True) -> list[int]:
        if self.proc is None:
            return []
        pids = _process_group_members(self.proc.pid)
        return [p for p in pids if not (exclude_leader and p == self.proc.pid)]

    def finish_output(self, timeout: float = 5.0) -> None:
        if self._reader is not None:
            self._reader.join(timeout)

    @property
    def last_lines(self) -> list[str]:
        with self._tail_lock:
            return list(self._tail)

    def tail_text(self, n: int = TAIL_IN_ERRORS) -> str:
        lines = [ln.strip()[:300] for ln in self.last_lines if ln.strip()][-n:]
        return " | ".join(lines) if lines else "(no output)"

    # -- output
    def _emit(self, raw: bytes, from_cr: bool, state: dict) -> None:
        line = self.redact(raw.decode("utf-8", "replace"))
        if not line.strip():
            return
        with self._tail_lock:
            if state.get("tail_cr") and self._tail:
                self._tail[-1] = line  # one progress bar = one line in the crash tail
            else:
                self._tail.append(line)
        state["tail_cr"] = from_cr
        if from_cr:
            now = time.monotonic()
            if now - state["last_cr"] < self.cr_interval_s:
                state["pending_cr"] = line
                return
            state["last_cr"] = now
        state["pending_cr"] = None
        self.on_line(line)

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        buf = b""
        state: dict = {"last_cr": 0.0, "pending_cr": None}
        keep = max(self.redact.max_len - 1, 0)
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    i_n, i_r = buf.find(b"\n"), buf.find(b"\r")
                    if i_n < 0 and i_r < 0:
                        break
                    if i_r < 0 or (0 <= i_n < i_r):
                        seg, buf, from_cr = buf[:i_n], buf[i_n + 1 :], False
                    elif i_n == i_r + 1:  # "\r\n" is a plain line end
                        seg, buf, from_cr = buf[:i_r], buf[i_n + 1 :], False
                    else:
                        seg, buf, from_cr = buf[:i_r], buf[i_r + 1 :], True
                    self._emit(seg, from_cr, state)
                if len(buf) > (1 << 20):  # a huge line without newline: flush, keep a secret-sized tail
                    # Redact first, so a key ending exactly at the cut is not split across two
                    # lines; only a key *prefix* (< max_len bytes) can remain in the kept tail.
                    buf = self.redact(buf.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
                    cut = len(buf) - keep
                    self._emit(buf[:cut], False, state)
                    buf = buf[cut:]
            if buf:
                self._emit(buf, False, state)
            if state["pending_cr"]:
                self.on_line(state["pending_cr"])
        except OSError:
            pass
        finally:
            try:
                self.proc.stdout.close()
            except OSError:
                pass


def exit_status(rc: int) -> int:
    """Popen return code → shell-style exit status (killed by signal N → 128+N)."""
    return 128 - rc if rc < 0 else rc


# --- prepare -------------------------------------------------------------------------------


# Work directories this process holds (one server per container; the CLI serves one profile).
_HELD: dict[str, caches.WorkDirLock] = {}


def hold_work_dir(work_dir: Path) -> None:
    """Exclusive use of ``work_dir`` until :func:`release_work_dir` or process exit."""
    k = str(Path(work_dir))
    if k not in _HELD:
        _HELD[k] = caches.WorkDirLock(Path(work_dir)).acquire()


def release_work_dir(work_dir: Path) -> None:
    lock = _HELD.pop(str(Path(work_dir)), None)
    if lock is not None:
        lock.release()


def prepare_serve(
    weights_dir: Path,
    cache_root: Path | None,
    *,
    revision: str | None,
    kernel: KernelExpectation | None,
    fixes: Fixes,
    deepgemm: bool,
    allow_cold_jit: bool = False,
    work_dir: Path | None = None,
    sglang: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Quick verify before spending minutes loading weights, restore the compiled caches;
    returns the env for SGLang.

    Incomplete weights → StepError (SGLang would fail after minutes, or serve a wrong revision).
    No compiled kernels for this key → StepError with the compile command, unless
    ``allow_cold_jit``: SGLang would JIT-compile them in every cold container ("typically 10-20
    mins", sglang srt/layers/deep_gemm_wrapper/compile_utils.py), on top of a ~14-minute cold start,
    which outlasts the startup timeout: Modal kills the container, nothing is kept, and the
    next one starts over — a loop at the full GPU price.

    The key's tree is copied from ``cache_root/<key>`` (the read-only volume mount) to
    ``work_dir`` — the same absolute path the compile run built it at (FlashInfer writes
    absolute paths into its build files) — and every cache variable points under it.
    ``work_dir`` defaults to ``<cache_root>/.work`` (local CLI); the container passes the plan's,
    and ``sglang`` = (interpreter, release): that SGLang's release is checked first (steps/release.py).
    """
    if sglang is not None:
        require_sglang_release(*sglang, what="serve")
    report = verify_setup(
        weights_dir,
        cache_root,
        revision=revision,
        kernel=kernel if deepgemm else None,
        fixes=fixes,
        kernel_required=False,
        log_summary=True,
    )
    if wp := report.weight_problems:
        more = f" (+{len(wp) - 1} more problem(s))" if len(wp) > 1 else ""
        raise StepError(f"weights not ready to serve: {wp[0].message}{more} → run: {fixes.download}")
    if deepgemm and kernel is not None and report.kernel_marker is None:
        why = next((w.message for w in report.warnings if w.is_kernel and w.kind != "kernel.cache_empty"), "")
        if not allow_cold_jit:
            raise StepError(
                f"refusing to start without compiled kernels: {why}; SGLang would JIT-compile them in every cold "
                f"container (typically 10-20 min) past the startup timeout → run: {fixes.compile} "
                "(or set kernel_cache.allow_cold_jit=true to accept a cold JIT in every new container)"
            )
        log(
            f"WARNING: {why}. kernel_cache.allow_cold_jit=true: SGLang will JIT-compile DeepGEMM kernels in this "
            f"container (typically 10-20 min of GPU time, lost when it stops); run {fixes.compile} once to avoid it"
        )

    env = {"HF_HUB_OFFLINE": "1"}
    if work_dir is None and cache_root is None:
        return env
    work = Path(work_dir) if work_dir is not None else engine_caches.local_work_dir(Path(cache_root))  # type: ignore[arg-type]
    hold_work_dir(work)
    if kernel is not None and cache_root is not None:
        t = time.monotonic()
        n, b = caches.restore(kernel_dir(cache_root, kernel.key), work, skip_names=(kernel.marker_name,))
        log(f"restored {n} cached kernel files ({b / 1e6:.1f} MB) of {kernel.key} to {work} in "
            f"{time.monotonic() - t:.1f} s")
    else:
        caches.clear_work_dir(work)
    try:
        writable = os.access(work, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        raise StepError(
            f"SGLang cache work directory {work} is not writable: SGLang opens lock files under "
            "SGLANG_DG_CACHE_DIR/locks and writes its JIT caches there even when every kernel is cached; "
            "point --cache-dir at a writable directory"
        )
    env.update(engine_caches.cache_env(work))
    return env


# --- supervisor ----------------------------------------------------------------------------


def _has_flag(argv: Sequence[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in argv)


def _flag_value(argv: Sequence[str], flag: str) -> str | None:
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


def ensure_port_free(host: str, port: int, what: str) -> None:
    """Refuse to start when something already answers on the port: a leftover server would
    answer our readiness poll while our own child is still loading."""
    import socket

    target = loopback_for(host)  # engine/bind.py: where a bind on ``host`` is reached from here
    try:
        with socket.create_connection((target, port), timeout=1.0):
            pass
    except OSError:
        return
    raise StepError(f"port {port} on {target} is already in use: stop the process listening there before {what}")


class SGLangSupervisor:
    """Start SGLang, wait for ``/health`` 200, warm it up, watch it, stop it gracefully."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: Mapping[str, str],
        port: int,
        ready_timeout_s: float,
        grace_s: float,
        api_key: str | None,
        served_model_name: str,
        on_child_exit: Callable[[int, list[str]], None] | None = None,
        host: str = "127.0.0.1",
        poll_interval_s: float = 1.0,
        health_timeout_s: float = 30.0,
        warmup_timeout_s: float = 600.0,
        progress_every_s: float = 30.0,
    ):
        if _has_flag(argv, "--api-key"):
            raise StepError(
                "the server argv already contains --api-key; pass the key as api_key= so it is added at "
                "run time and redacted from logs"
            )
        if api_key is not None and (not api_key.strip() or any(c.isspace() for c in api_key)):
            raise StepError("the API key is empty or contains whitespace; check the Modal secret that holds it")
        self.argv = list(argv)
        self.env = dict(env)
        self.port = port
        self.host = host
        self.ready_timeout_s = ready_timeout_s
        self.grace_s = grace_s
        self._api_key = api_key
        self.served_model_name = served_model_name
        self.on_child_exit = on_child_exit
        self.poll_interval_s = poll_interval_s
        self.health_timeout_s = health_timeout_s
        self.warmup_timeout_s = warmup_timeout_s
        self.progress_every_s = progress_every_s
        self.redact = Redactor([api_key])
        self.cancel = threading.Event()  # set (e.g. by a signal handler) to abort wait_ready
        self._child: StreamedChild | None = None
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._exit_reported = False

    def __repr__(self) -> str:  # never show the key
        return f"SGLangSupervisor(port={self.port}, served_model_name={self.served_model_name!r})"

    @property
    def base_url(self) -> str:
        # ``host`` is SGLang's --host: probe where that bind is reached from inside the container,
        # by SGLang's own rule (ServerArgs.url(), engine/bind.py): "" and 0.0.0.0 → 127.0.0.1,
        # :: → ::1 (an IPv6-only listener refuses 127.0.0.1).
        return f"http://{url_host(loopback_for(self.host))}:{self.port}"

    @property
    def child(self) -> StreamedChild:
        if self._child is None:
            raise StepError("SGLang was not started")
        return self._child

    @property
    def last_lines(self) -> list[str]:
        return self._child.last_lines if self._child else []

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}

    def _err(self, msg: str) -> StepError:
        return StepError(self.redact(msg))

    # -- start / ready / warmup
    def start(self) -> None:
        if self._child is not None:
            raise StepError("SGLang already started")
        ensure_port_free(self.host, self.port, "starting SGLang")
        argv = list(self.argv)
        if self._api_key:
            argv += ["--api-key", self._api_key]
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self._child = StreamedChild(argv, env=env, prefix="[sglang] ", redactor=self.redact)
        log(f"starting SGLang: {self.redact(' '.join(argv))}")
        self._child.start()

    def wait_ready(self) -> float:
        """Block until the child is alive and ``GET /health`` answers 200; seconds since start."""
        child = self.child
        deadline = child.started_at + self.ready_timeout_s
        last = "no answer yet"
        next_progress = time.monotonic() + self.progress_every_s
        while True:
            rc = child.poll()
            if rc is not None:
                child.kill_group()  # leftovers of a dead server hold GPU memory and our pipe
                child.finish_output(2.0)
                el = time.monotonic() - child.started_at
                raise self._err(
                    f"SGLang exited with code {rc} during startup ({el:.0f} s after start); "
                    f"last lines: {child.tail_text()}"
                )
            if self.cancel.is_set():
                raise self._err("interrupted while waiting for SGLang to become ready")
            now = time.monotonic()
            if now >= deadline:
                raise self._err(
                    f"SGLang not ready after {self.ready_timeout_s:.0f} s (/health: {last}); "
                    f"last lines: {child.tail_text()}"
                )
            code, last = self._health(min(self.health_timeout_s, max(deadline - now, 0.1)))
            if code == 200 and child.poll() is None:
                el = time.monotonic() - child.started_at
                log(f"SGLang ready after {el:.1f} s")
                return el
            if time.monotonic() >= next_progress:
                log(f"waiting for SGLang: {time.monotonic() - child.started_at:.0f} s, /health: {last}")
                next_progress = time.monotonic() + self.progress_every_s
            self.cancel.wait(self.poll_interval_s)

    def _health(self, timeout: float) -> tuple[int | None, str]:
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=timeout) as r:
                return r.status, str(r.status)
        except urllib.error.HTTPError as e:
            e.close()
            return e.code, str(e.code)
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            return None, type(reason).__name__ if not isinstance(reason, str) else reason

    def _request(self, method: str, path: str, body: dict | None, timeout: float) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", **self._auth()}
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            try:
                return e.code, e.read()
            finally:
                e.close()
        except (urllib.error.URLError, OSError) as e:
            raise self._err(f"{method} {path} failed: {getattr(e, 'reason', e)}") from None

    def warmup(self) -> float:
        """One tiny authenticated chat completion, so the first user request is not the first
        one through the engine. Also checks ``/v1/models`` serves ``served_model_name``."""
        t0 = time.monotonic()
        code, body = self._request("GET", "/v1/models", None, self.health_timeout_s)
        if code != 200:
            raise self._err(f"warmup: GET /v1/models answered HTTP {code}: {body[:200].decode('utf-8', 'replace')}")
        try:
            ids = [m.get("id") for m in json.loads(body).get("data", [])]
        except (ValueError, AttributeError):
            ids = []
        if self.served_model_name not in ids:
            log(f"WARNING: /v1/models lists {ids}, not {self.served_model_name!r}: check --served-model-name")
        payload = {
            "model": self.served_model_name,
            "messages": [{"role": "user", "content": "Say OK."}],
            "max_tokens": 4,
            "temperature": 0,
        }
        code, body = self._request("POST", "/v1/chat/completions", payload, self.warmup_timeout_s)
        if code != 200:
            raise self._err(
                f"warmup: POST /v1/chat/completions answered HTTP {code}: {body[:200].decode('utf-8', 'replace')}"
            )
        el = time.monotonic() - t0
        log(f"SGLang warmup request done in {el:.2f} s")
        return el

    # -- monitor / stop
    def monitor(self) -> None:
        """Watch the child from a background thread: an exit we did not ask for is logged with
        the last lines and reported through ``on_child_exit(code, last_lines)`` (the Modal
        wrapper then ``os._exit``s so Modal replaces the container)."""
        child = self.child
        if self._monitor is not None:
            return

        def watch() -> None:
            rc = child.wait()
            if self._stopping.is_set():
                return
            stray = child.group_members(exclude_leader=False)
            child.kill_group()  # schedulers left behind would hold GPU memory (and our pipe)
            child.finish_output(2.0)
            lines = child.last_lines
            log(
                f"SGLang exited unexpectedly with code {rc}"
                + (f" (killed {len(stray)} leftover process(es))" if stray else "")
                + "; last lines:"
            )
            for line in lines[-20:]:
                log(f"  | {line}")
            self._exit_reported = True
            if self.on_child_exit is not None:
                self.on_child_exit(rc, lines)

        self._monitor = threading.Thread(target=watch, name="sglang-monitor", daemon=True)
        self._monitor.start()

    def kill(self) -> None:
        """SIGKILL the whole process group now, no drain: for a multi-node rank whose peer is
        gone (its SGLang would hang in a collective; steps/cluster.py)."""
        self._stopping.set()
        self.cancel.set()
        if self._child is not None:
            self._child.kill_group()

    def stop(self) -> int:
        """SIGTERM to SGLang's main process, up to ``grace_s`` for in-flight requests to drain,
        then SIGKILL to the whole process group. Returns the child's return code (negative =
        killed by that signal, as in ``subprocess``)."""
        self._stopping.set()
        self.cancel.set()
        child = self._child
        if child is None:
            return 0
        t0 = time.monotonic()
        rc = child.poll()
        if rc is None:
            log(f"stopping SGLang: SIGTERM, up to {self.grace_s:.0f} s to drain in-flight requests")
            child.signal_leader(signal.SIGTERM)
            try:
                rc = child.wait(self.grace_s)
            except subprocess.TimeoutExpired:
                log(f"SGLang still running {self.grace_s:.0f} s after SIGTERM: SIGKILL to its process group")
                child.kill_group()
                rc = child.wait()
        child.kill_group()  # stragglers (schedulers, detokenizer) of a leader that already exited
        child.finish_output(5.0)
        log(f"SGLang stopped with code {rc} after {time.monotonic() - t0:.1f} s")
        return rc


# --- CLI twin ------------------------------------------------------------------------------


def serve_forever(
    argv: list[str],
    *,
    port: int,
    ready_timeout_s: float,
    grace_s: float,
    api_key: str | None,
    served_model_name: str,
    env: Mapping[str, str] | None = None,
    host: str = "127.0.0.1",
    do_warmup: bool = True,
    poll_interval_s: float = 1.0,
) -> int:
    """start → wait_ready → warmup → block until the child exits or we get SIGINT/SIGTERM →
    stop. ``env`` is SGLang's environment, normally ``prepare_serve``'s result (call it first:
    it refuses incomplete weights). Returns an exit status (0 after a requested, clean stop)."""
    run_env = dict(env or {})
    done = threading.Event()
    exited: list[int] = []

    def child_exit(code: int, _lines: list[str]) -> None:
        exited.append(code)
        done.set()

    sup = SGLangSupervisor(
        argv,
        env=run_env,
        port=port,
        ready_timeout_s=ready_timeout_s,
        grace_s=grace_s,
        api_key=api_key,
        served_model_name=served_model_name,
        on_child_exit=child_exit,
        host=host,
        poll_interval_s=poll_interval_s,
    )
    signalled: list[int] = []

    def on_signal(signum, _frame) -> None:
        signalled.append(signum)
        sup.cancel.set()
        done.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            previous[s] = signal.signal(s, on_signal)
    try:
        sup.start()
        try:
            sup.wait_ready()
            if not signalled and do_warmup:
                sup.warmup()
        except StepError:
            rc = sup.stop()
            if signalled:
                return 0 if rc in (0, -signal.SIGTERM) else exit_status(rc)
            raise
        sup.monitor()
        if not signalled:
            log(f"serving {served_model_name!r} on {sup.base_url} (Ctrl-C to stop)")
        while not done.wait(1.0):
            pass
        if exited and not signalled:
            rc = exited[0]
            return exit_status(rc) or 1
        rc = sup.stop()
        return 0 if rc in (0, -signal.SIGTERM) else exit_status(rc)
    finally:
        if sup._child is not None and sup._child.poll() is None:
            sup.stop()
        for s, h in previous.items():
            signal.signal(s, h)
