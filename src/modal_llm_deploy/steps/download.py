"""The ``download`` step: fetch a pinned Hugging Face revision into ``weights_dir``, robustly.

Why not just ``snapshot_download``? Measured with huggingface_hub 2.4 (tests/test_download.py,
benchmarks/bench_download.py) and read in its source:

* one 5xx on one shard aborts the whole snapshot and leaves ``model.safetensors.index.json`` on disk
  while a shard is missing, so "the index exists" does not mean "the model is complete";
* a download writes to a process-unique ``<name>.<uuid>.incomplete`` file that is deleted when the
  attempt fails, so nothing is kept across attempts or container restarts;
* within an attempt, ``http_get`` buffers 10 MB before writing, so a cut connection loses up to
  10 MB, and a TCP reset (``httpx2.ReadError``) is not retried at all; a 429 sleeps for the whole
  ``Retry-After``, uncapped.

What this step does instead, still through the real client (``HfApi.model_info`` for the file list,
``get_hf_file_metadata`` for the per-file HEAD/redirect, the client's HTTP session and
``hf_raise_for_status`` for errors, ``xet_get`` for Xet storage):

* **Complete means complete.** ``manifest.json`` (every selected file, size, sha256) is written
  before any byte is fetched; ``COMPLETE.json`` is written last, only when every manifest file is
  at its final path with the manifest size. A file reaches its final path only by an atomic rename
  (after fsync) once its size and its sha256 (LFS) or git blob id, hashed as the bytes arrive,
  checked out.
* **Nothing is fetched twice.** A finished file is never fetched again; a partial file lives in
  ``.modal-llm-deploy/partial/<path>.<content id>.part`` and the next attempt, or the next process,
  continues it with an HTTP Range request. A complete tree with a matching marker is recognised
  from local sizes alone (no network at all for a pinned commit).
* **Bounded retries.** 5xx, 408, 429 (``Retry-After`` honoured, capped), connection resets,
  timeouts and truncated bodies are retried per file (``RetryPolicy``); an attempt that moved at
  least 1 MiB does not count against the budget (a flaky link that keeps making progress must not
  fail a 5 GB shard). 401/403/404/gated fail at once with a one-line ``StepError`` saying what to
  do. The token never appears in any message.
* **One runner at a time** per ``weights_dir``: a lease file (``download.lock``: owner, host, pid,
  heartbeat) refreshed while running, plus an ``flock`` on the state directory for runners on the
  same machine. A dead runner on the same machine is taken over at once; one elsewhere after
  ``lock_stale_after_s`` without heartbeat. On Modal a container only sees another container's
  lease after that one committed and this one reloaded, so the lease is best effort across
  containers: the app should not run two download functions for the same volume at once.
* ``checkpoint`` (e.g. ``volume.commit``) is called at safe points: after the manifest, after files
  complete (at most every ``checkpoint_every_s``), after the marker, and when the step fails, so a
  restarted container keeps every finished shard.

Environment (the container's job, not this function's): ``HF_XET_HIGH_PERFORMANCE=1`` lets the Xet
client use all cores and bandwidth; ``HF_HUB_DISABLE_XET=1`` forces plain HTTP (what the tests use
against their local fake hub). Xet downloads restart a file from its first byte on a new attempt
(the Xet chunk cache, ``HF_XET_CACHE``, makes that cheap within a container); plain HTTP resumes.
``HF_HUB_ETAG_TIMEOUT`` / ``HF_HUB_DOWNLOAD_TIMEOUT`` (seconds, default 10) bound the HEAD and a
stalled read.

This module never imports ``modal``.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from huggingface_hub import HfApi, constants
from huggingface_hub import errors as hf_errors
from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url, xet_get
from huggingface_hub.utils import build_hf_headers, filter_repo_objects, get_session, get_token, hf_raise_for_status
from huggingface_hub.utils._runtime import is_xet_available

try:  # marks our requests as downloads for the Hub's download counter, like hf_hub_download does
    from huggingface_hub.utils._http import flag_as_download_call
except ImportError:  # pragma: no cover - private helper, may move
    def flag_as_download_call(fn):  # type: ignore[no-redef]
        return fn

from . import StepError, log
from .layout import (
    CompletionMarker,
    Manifest,
    ManifestEntry,
    complete_path,
    lock_path,
    read_json,
    state_dir,
    write_json_atomic,
)

# Private to the download step (not read by verify/serve): partial files, and what the last run
# selected (patterns, resolved commit) so that a re-run can trust the marker without the network.
PARTIAL_DIR = "partial"
DOWNLOAD_STATE_NAME = "download-state.json"

# An attempt that wrote at least this much before failing made progress: it does not use up one of
# the file's attempts (a 5 GB shard over a link that resets every few GB must still finish).
PROGRESS_BYTES = 1 << 20
_HASH_BLOCK = 8 << 20
_COMMIT_RE = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # per file: tries without progress before the step fails
    delays_s: tuple[float, ...] = (30, 60, 90)  # wait before try 2, 3, ... (last value repeats)
    max_retry_after_s: float = 300  # cap on a server's Retry-After

    def delay(self, failures: int) -> float:
        if not self.delays_s:
            return 0.0
        return float(self.delays_s[min(failures, len(self.delays_s)) - 1])


@dataclass(frozen=True)
class DownloadResult:
    files_total: int
    files_fetched: int  # files that needed the network this run (new or resumed)
    files_skipped: int  # files already complete on disk
    bytes_total: int
    bytes_fetched: int  # bytes received from the network and written this run
    seconds: float
    already_complete: bool


# --- errors -----------------------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying; ``str()`` is a short description without URLs or secrets.

    ``always_counts``: uses up an attempt even if bytes arrived (bad content is not progress).
    """

    def __init__(self, desc: str, retry_after: float | None = None, *, always_counts: bool = False):
        super().__init__(desc)
        self.retry_after = retry_after
        self.always_counts = always_counts


class _Cancelled(Exception):
    """The run is stopping (another file failed for good, or the lease was lost)."""


class _FileFailed(Exception):
    def __init__(self, path: str, tries: int, last: str):
        super().__init__(f"{path} failed after {tries} attempts (last error: {last})")
        self.path, self.tries, self.last = path, tries, last


def _is_transport_error(exc: BaseException) -> bool:
    """The client's transport failures (connect/read errors, resets, timeouts, cut bodies).

    Matched by name rather than by importing the HTTP library: huggingface_hub has changed its
    HTTP stack across majors (requests, httpx, now httpx2), and it is huggingface_hub's dependency,
    not ours.
    """
    return any(c.__name__ == "TransportError" and c.__module__.split(".")[0].startswith("httpx")
               for c in type(exc).__mro__)


def _status(exc: BaseException) -> int | None:
    resp = getattr(exc, "response", None)
    return getattr(resp, "status_code", None)


def _retry_after(exc: BaseException) -> float | None:
    resp = getattr(exc, "response", None)
    value = resp.headers.get("Retry-After") if resp is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:  # an HTTP date: rare; fall back to our own backoff
        return None


class _Errors:
    """Turns client exceptions into either a one-line, actionable StepError or a _Transient."""

    def __init__(self, repo_id: str, revision: str, token_given: bool):
        self.repo_id, self.revision, self.token_given = repo_id, revision, token_given

    def classify(self, exc: BaseException, path: str | None) -> StepError | _Transient:
        repo, rev = self.repo_id, self.revision
        what = f" ({path})" if path else ""
        secret = ("create the Modal secret 'huggingface-secret' with HF_TOKEN=<a read token from "
                  "https://huggingface.co/settings/tokens> (or export HF_TOKEN locally)")
        status = _status(exc)
        if isinstance(exc, _Transient):
            return exc
        # Order matters: GatedRepoError is a RepositoryNotFoundError, all of them HfHubHTTPErrors.
        if isinstance(exc, hf_errors.GatedRepoError):
            if not self.token_given:
                return StepError(f"{repo} is gated and no HF_TOKEN was given: accept the licence at "
                                 f"https://huggingface.co/{repo}, then {secret}")
            return StepError(f"token has no access to {repo} (gated, HTTP {status}): accept the licence at "
                             f"https://huggingface.co/{repo} with the account that owns HF_TOKEN (approval may "
                             "take a while), or use a token of an account that has access")
        if isinstance(exc, hf_errors.RevisionNotFoundError):
            return StepError(f"repo or revision not found: revision '{rev}' does not exist in {repo} "
                             "(HTTP 404): check model.revision (a commit sha, branch or tag)")
        if isinstance(exc, hf_errors.RemoteEntryNotFoundError):
            return StepError(f"{path} is listed for {repo}@{rev} but the Hub answers 404: the revision "
                             "changed while downloading; pin model.revision to a commit sha and re-run")
        if isinstance(exc, hf_errors.RepositoryNotFoundError):
            if status == 401 and not self.token_given:
                return StepError(f"repo or revision not found: {repo} is private, gated or does not exist "
                                 f"(HTTP 401 without a token): check model.repo_id; if it needs a token, {secret}")
            return StepError(f"repo or revision not found: {repo} (HTTP {status}): check model.repo_id / "
                             "model.revision (and that HF_TOKEN's account can see it if it is private)")
        if isinstance(exc, hf_errors.DisabledRepoError):
            return StepError(f"{repo} has been disabled on the Hub: choose another model.repo_id")
        if isinstance(exc, hf_errors.HfHubHTTPError) and status is not None:
            if status == 401:
                return StepError(f"HF_TOKEN missing or invalid (HTTP 401 for {repo}{what}): {secret}")
            if status == 403:
                return StepError(f"token has no access to {repo} (HTTP 403{what}): accept the licence at "
                                 f"https://huggingface.co/{repo} with the token's account; a fine-grained "
                                 "token also needs read access to public gated repos")
            if status == 404:
                return StepError(f"repo or revision not found: {repo}@{rev}{what} (HTTP 404): check "
                                 "model.repo_id / model.revision")
            if status in (408, 429) or status >= 500:
                ra = _retry_after(exc)
                return _Transient(f"HTTP {status}" + (f" (Retry-After {ra:g} s)" if ra is not None else ""), ra)
            if status == 416:  # our partial is longer than the file: start it over
                return _Transient("HTTP 416 (range not satisfiable)")
            first = (getattr(exc, "server_message", None) or "").splitlines()[:1]
            return StepError(f"the Hub refused {repo}@{rev}{what} with HTTP {status}"
                             + (f": {first[0][:200]}" if first else ""))
        if isinstance(exc, hf_errors.FileMetadataError):
            return StepError(f"the endpoint does not answer like the Hugging Face Hub for {repo}{what} "
                             "(missing X-Repo-Commit/ETag): check HF_ENDPOINT and proxy settings")
        if isinstance(exc, hf_errors.OfflineModeIsEnabled):
            return StepError("HF_HUB_OFFLINE=1 is set in the download environment: unset it for the download step")
        if _is_transport_error(exc):  # connect/read errors, resets, timeouts, truncated bodies
            return _Transient(f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}")
        if type(exc).__module__.split(".")[0].startswith("httpx"):  # e.g. too many redirects
            return StepError(f"HTTP client error for {repo}{what}: {type(exc).__name__}: {str(exc)[:200]}")
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StepError(f"no space left while writing{what}: the weights volume/disk is full")
        if isinstance(exc, PermissionError):
            return StepError(f"permission denied writing{what}: {exc.filename}")
        if isinstance(exc, OSError):
            return _Transient(f"{type(exc).__name__}: {exc}")
        raise exc  # a bug: let it surface with its traceback


# --- files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Remote:
    """One selected file of the resolved revision."""

    path: str
    size: int
    sha256: str | None  # LFS files
    blob_id: str | None  # git object id (for LFS files: the pointer's)

    @property
    def content_id(self) -> str:
        return self.sha256 or self.blob_id or f"size{self.size}"

    def entry(self) -> ManifestEntry:
        return ManifestEntry(path=self.path, size=self.size, sha256=self.sha256)


class _Hasher:
    """sha256 for LFS files, git blob sha1 (``blob <size>\\0`` + data) for regular files."""

    def __init__(self, rf: _Remote):
        self.rf = rf
        self.kind = "sha256" if rf.sha256 else ("git" if rf.blob_id else None)
        self.reset()

    def reset(self) -> None:
        if self.kind == "sha256":
            self.h: Any = hashlib.sha256()
        elif self.kind == "git":
            self.h = hashlib.sha1(b"blob %d\0" % self.rf.size)
        else:
            self.h = None

    def update(self, data: bytes | memoryview) -> None:
        if self.h is not None:
            self.h.update(data)

    def ok(self) -> bool:
        if self.h is None:
            return True
        want = self.rf.sha256 if self.kind == "sha256" else self.rf.blob_id
        return self.h.hexdigest() == want


def _hash_file(path: Path, rf: _Remote, upto: int | None = None, into: _Hasher | None = None) -> _Hasher:
    h = into or _Hasher(rf)
    if h.h is None:
        return h
    left = upto if upto is not None else path.stat().st_size
    with open(path, "rb", buffering=0) as fh:
        while left > 0:
            block = fh.read(min(_HASH_BLOCK, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h


def _safe_relpath(path: str) -> str:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] in (".modal-llm-deploy", ".cache"):
        raise StepError(f"refusing to write unsafe repo path {path!r}")
    return path


def _file_size(path: Path) -> int | None:
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_size if os.path.isfile(path) else None


# --- progress ---------------------------------------------------------------------------------


def _fmt_eta(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class _Progress:
    def __init__(self, files_total: int, bytes_total: int, files_done: int, bytes_done: int):
        self.lock = threading.Lock()
        self.files_total, self.bytes_total = files_total, bytes_total
        self.files_done, self.bytes_base = files_done, bytes_done
        self.have: dict[str, int] = {}  # bytes on disk of files being fetched / fetched this run
        self.fetched = 0  # network bytes written this run
        self.files_fetched = 0
        self.t0 = time.monotonic()

    def set_have(self, path: str, n: int) -> None:
        with self.lock:
            self.have[path] = n

    def add(self, path: str, n: int) -> None:
        with self.lock:
            self.have[path] = self.have.get(path, 0) + n
            self.fetched += n

    def file_done(self) -> None:
        with self.lock:
            self.files_done += 1
            self.files_fetched += 1

    def line(self) -> str:
        with self.lock:
            done = self.bytes_base + sum(self.have.values())
            fetched, files_done = self.fetched, self.files_done
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = fetched / elapsed
        left = max(self.bytes_total - done, 0)
        eta = _fmt_eta(left / rate) if rate > 0 else "?"
        pct = 100.0 * done / self.bytes_total if self.bytes_total else 100.0
        return (f"download: {files_done}/{self.files_total} files, {done / 1e9:.2f}/{self.bytes_total / 1e9:.2f} GB "
                f"({pct:.1f}%), {rate / 1e6:.1f} MB/s, ETA {eta}")


class _SilentBar:
    """A stand-in for tqdm handed to ``xet_get``: counts bytes, prints nothing."""

    def __init__(self, run: "_Run", path: str):
        self.run, self.path, self.n, self.total = run, path, 0, None

    def update(self, n: int | float | None = 1) -> None:  # bytes written to the file
        self.n += int(n or 0)
        self.run.progress.set_have(self.path, self.n)

    def update_transfer(self, n: int | float | None = 1) -> None:  # bytes received from the network
        with self.run.progress.lock:
            self.run.progress.fetched += int(n or 0)

    def set_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def set_transfer_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


# --- lease ------------------------------------------------------------------------------------


def _host_id() -> str:
    """Identifies this machine/container: hostname + kernel boot id + pid namespace.

    Containers may share a hostname; the pid namespace tells them apart, so "same host" (where a
    dead pid means a dead runner) is never concluded across containers.
    """
    parts = [socket.gethostname()]
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8])
    except OSError:
        pass
    try:
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        pass
    return ":".join(parts)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Lease:
    def __init__(self, weights_dir: Path, *, stale_after_s: float, repo_id: str, revision: str):
        self.path = lock_path(weights_dir)
        self.sdir = state_dir(weights_dir)
        self.stale_after_s = stale_after_s
        self.owner = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.host_id = _host_id()
        self.info = {"owner": self.owner, "host": self.host, "host_id": self.host_id, "pid": os.getpid(),
                     "repo_id": repo_id, "revision": revision, "started_at": time.time()}
        self.heartbeat_s = max(0.2, min(30.0, stale_after_s / 6))
        self.lost: dict[str, Any] | None = None
        self._fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read(self) -> dict[str, Any] | None:
        try:
            d = read_json(self.path)
            return d if isinstance(d, dict) else None
        except (OSError, ValueError):
            return None

    def _busy(self, other: dict[str, Any] | None) -> StepError:
        if other:
            age = time.time() - float(other.get("heartbeat", 0))
            who = f"host {other.get('host', '?')}, pid {other.get('pid', '?')}, heartbeat {age:.0f} s ago"
        else:
            who = "another process on this machine holds the lock"
        return StepError(f"another download is running ({who}); wait for it or delete {self.path} if it died")

    def acquire(self) -> "_Lease":
        self.sdir.mkdir(parents=True, exist_ok=True)
        # Local exclusion: flock the state *directory* (the lease file itself is replaced atomically
        # on every heartbeat, so a lock on its inode would not exclude anybody).
        flocked = False
        try:
            self._fd = os.open(self.sdir, os.O_RDONLY)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            flocked = True
        except BlockingIOError:
            other = self._read()
            self._close_fd()
            raise self._busy(other) from None
        except OSError:  # a filesystem without flock (some network mounts): the lease alone decides
            self._close_fd()
        other = self._read()
        if other and other.get("owner") != self.owner:
            age = time.time() - float(other.get("heartbeat", 0))
            same_host = other.get("host_id") == self.host_id
            pid = int(other.get("pid", -1))
            if same_host and (flocked or not _pid_alive(pid)):
                log(f"download: taking over the lease of pid {pid} on this machine (it is no longer running)")
            elif age > self.stale_after_s:
                log(f"download: taking over a stale lease (host {other.get('host')}, pid {pid}, "
                    f"heartbeat {age:.0f} s ago > {self.stale_after_s:.0f} s)")
            else:
                self._close_fd()
                raise self._busy(other)
        self._write()
        self._thread = threading.Thread(target=self._beat, name="download-lease", daemon=True)
        self._thread.start()
        return self

    def _write(self) -> None:
        write_json_atomic(self.path, {**self.info, "heartbeat": time.time()})

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            current = self._read()
            if current is not None and current.get("owner") != self.owner:
                self.lost = current  # somebody decided we were dead and took over: stop writing
                return
            try:
                self._write()
            except OSError as exc:
                log(f"download: could not refresh the lease: {exc}")

    def _close_fd(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)  # also releases the flock
            finally:
                self._fd = None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        current = self._read()
        if current is not None and current.get("owner") == self.owner:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
        self._close_fd()

    def __enter__(self) -> "_Lease":
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


# --- the run ----------------------------------------------------------------------------------


class _Checkpointer:
    def __init__(self, fn: Callable[[], None] | None, every_s: float):
        self.fn, self.every_s = fn, every_s
        self.last = time.monotonic()
        self.dirty = False

    def __call__(self, reason: str, *, force: bool = False, must: bool = False) -> None:
        if self.fn is None:
            return
        if not force and (not self.dirty or time.monotonic() - self.last < self.every_s):
            return
        try:
            self.fn()
        except Exception as exc:  # a failed commit loses nothing locally; say so and carry on
            if must:
                raise StepError(f"checkpoint ({reason}) failed: {type(exc).__name__}: {exc}") from exc
            log(f"download: checkpoint ({reason}) failed, continuing: {type(exc).__name__}: {exc}")
            return
        self.last = time.monotonic()
        self.dirty = False


class _Run:
    def __init__(self, *, repo_id: str, revision: str, weights_dir: Path, allow_patterns: list[str] | None,
                 token: str | None, endpoint: str, retry: RetryPolicy, max_workers: int,
                 checkpoint: _Checkpointer, progress_every_s: float, lease: _Lease):
        self.repo_id, self.revision, self.weights_dir = repo_id, revision, weights_dir
        self.allow_patterns = allow_patterns
        self.token = token
        self.endpoint = endpoint
        self.retry, self.max_workers = retry, max_workers
        self.checkpoint, self.progress_every_s, self.lease = checkpoint, progress_every_s, lease
        try:  # the token the client will send (explicit, HF_TOKEN, or the stored login), for redaction
            self.effective_token = token or get_token()
        except Exception:  # e.g. a failed OIDC exchange: the client will report it on the first request
            self.effective_token = token
        self.errors = _Errors(repo_id, revision, token_given=bool(self.effective_token))
        self.stop = threading.Event()
        self.commit: str | None = None
        self.progress = _Progress(0, 0, 0, 0)

    # messages never carry the token, whatever a server or exception put in them
    def redact(self, text: str) -> str:
        tok = self.effective_token
        return text.replace(tok, "<HF_TOKEN>") if tok else text

    def say(self, msg: str) -> None:
        log(self.redact(msg))

    def fail(self, err: StepError) -> StepError:
        return StepError(self.redact(" ".join(str(err).split())), exit_code=err.exit_code)

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self.stop.wait(seconds):
            raise _Cancelled()

    def with_retries(self, what: str, path: str | None, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` under the retry policy (used for the file list; files have their own loop)."""
        failures = 0
        while True:
            try:
                return fn()
            except (StepError, _Cancelled):
                raise
            except Exception as exc:
                verdict = self.errors.classify(exc, path)
                if isinstance(verdict, StepError):
                    raise self.fail(verdict) from None
                failures += 1
                if failures >= self.retry.attempts:
                    raise self.fail(StepError(f"{what} failed after {failures} attempts (last error: {verdict})"))
                wait_s = self._wait_for(verdict, failures)
                self.say(f"download: {what}: {verdict}; retry {failures + 1}/{self.retry.attempts} in {wait_s:.1f} s")
                self.sleep(wait_s)

    def _wait_for(self, err: _Transient, failures: int) -> float:
        if err.retry_after is not None:
            return min(err.retry_after, self.retry.max_retry_after_s)
        return self.retry.delay(failures)

    # -- listing
    def list_remote(self) -> list[_Remote]:
        api = HfApi(endpoint=self.endpoint, token=self.token)
        info = self.with_retries(f"listing {self.repo_id}@{self.revision}", None,
                                 lambda: api.model_info(self.repo_id, revision=self.revision, files_metadata=True))
        self.commit = info.sha
        siblings = info.siblings or []
        names = set(filter_repo_objects([s.rfilename for s in siblings], allow_patterns=self.allow_patterns))
        out = []
        for s in siblings:
            if s.rfilename not in names:
                continue
            size = s.lfs.size if s.lfs is not None else s.size
            if size is None:
                raise StepError(f"the Hub listed {s.rfilename} without a size: cannot verify the download")
            out.append(_Remote(_safe_relpath(s.rfilename), int(size), s.lfs.sha256 if s.lfs else None, s.blob_id))
        if not out:
            pats = f" matching {self.allow_patterns}" if self.allow_patterns else ""
            raise StepError(f"{self.repo_id}@{self.revision} has no files{pats}: check model.repo_id / allow_patterns")
        return sorted(out, key=lambda r: r.path)

    # -- one file
    def partial_path(self, rf: _Remote, xet: bool = False) -> Path:
        suffix = ".xet.part" if xet else ".part"
        return state_dir(self.weights_dir) / PARTIAL_DIR / f"{rf.path}.{rf.content_id[:16]}{suffix}"

    def hub_headers(self) -> dict[str, str]:
        return build_hf_headers(token=self.token)

    def headers_for(self, location: str) -> dict[str, str]:
        headers = self.hub_headers()
        if _origin(location) != _origin(self.endpoint):
            # A redirect to the storage bridge/CDN carries a signed URL: the token stays on the Hub.
            headers.pop("authorization", None)
            headers.pop("Authorization", None)
        headers["Accept-Encoding"] = "identity"  # bytes on the wire == bytes of the file (Range works)
        return headers

    @flag_as_download_call
    def fetch_file(self, rf: _Remote) -> None:
        failures = 0
        while True:
            if self.stop.is_set():
                raise _Cancelled()
            moved = [0]
            try:
                self.attempt(rf, moved)
                self.progress.file_done()
                return
            except (_Cancelled, StepError):
                raise
            except Exception as exc:
                verdict = self.errors.classify(exc, rf.path)
                if isinstance(verdict, StepError):
                    raise self.fail(verdict) from None
                progressed = moved[0] >= PROGRESS_BYTES and not verdict.always_counts
                if not progressed:
                    failures += 1
                if failures >= self.retry.attempts:
                    raise _FileFailed(rf.path, failures, self.redact(str(verdict)))
                wait_s = 0.0 if progressed else self._wait_for(verdict, failures)
                kept = _file_size(self.partial_path(rf)) or 0
                self.say(f"download: {rf.path}: {verdict}; retry (failed attempts {failures}/{self.retry.attempts}) "
                         f"in {wait_s:.1f} s, {kept / 1e6:.1f} MB kept")
                self.sleep(wait_s)

    def attempt(self, rf: _Remote, moved: list[int]) -> None:
        url = hf_hub_url(self.repo_id, rf.path, revision=self.commit or self.revision, endpoint=self.endpoint)
        meta = get_hf_file_metadata(url, token=self.token, endpoint=self.endpoint, timeout=constants.HF_HUB_ETAG_TIMEOUT)
        if meta.size is not None and meta.size != rf.size:
            raise StepError(f"{rf.path}: the Hub reports {meta.size} bytes but listed {rf.size}: the revision "
                            "changed while downloading; pin model.revision to a commit sha and re-run")
        final = self.weights_dir / rf.path
        if meta.xet_file_data is not None and is_xet_available():
            part = self.partial_path(rf, xet=True)
            part.parent.mkdir(parents=True, exist_ok=True)
            part.unlink(missing_ok=True)  # Xet rewrites the whole file; its chunk cache makes that cheap
            bar = _SilentBar(self, rf.path)
            xet_get(incomplete_path=part, xet_file_data=meta.xet_file_data, headers=self.hub_headers(),
                    expected_size=rf.size, displayed_filename=rf.path, _tqdm_bar=bar)
            moved[0] += bar.n
            have = _file_size(part) or 0
            if have != rf.size:
                part.unlink(missing_ok=True)
                raise _Transient(f"Xet wrote {have} of {rf.size} bytes")
            # Xet verifies content-addressed chunks itself; only the size is checked here.
            self.finish(part, final)
            return
        self.http_get(rf, meta.location, moved)
        self.finish(self.partial_path(rf), final)

    def http_get(self, rf: _Remote, location: str, moved: list[int]) -> None:
        part = self.partial_path(rf)
        part.parent.mkdir(parents=True, exist_ok=True)
        hasher = _Hasher(rf)
        fd = os.open(part, os.O_RDWR | os.O_CREAT, 0o644)
        with os.fdopen(fd, "r+b", buffering=0) as fh:
            have = fh.seek(0, os.SEEK_END)
            if have > rf.size:
                fh.truncate(0)
                have = fh.seek(0)
            if have:  # a previous attempt or process left these bytes: hash them, then continue
                _hash_file(part, rf, upto=have, into=hasher)
            self.progress.set_have(rf.path, have)
            if have < rf.size:
                headers = self.headers_for(location)
                if have:
                    headers["Range"] = f"bytes={have}-"
                timeout = float(constants.HF_HUB_DOWNLOAD_TIMEOUT)  # connect, and each read (a stall)
                with get_session().stream("GET", location, headers=headers, timeout=timeout) as resp:
                    if resp.status_code == 416:  # our partial does not fit the file: start it over
                        fh.truncate(0)
                        self.progress.set_have(rf.path, 0)
                    hf_raise_for_status(resp)
                    if have and resp.status_code == 200:  # the server ignored Range: start over
                        fh.seek(0)
                        fh.truncate(0)
                        have = 0
                        hasher.reset()
                        self.progress.set_have(rf.path, 0)
                    elif resp.status_code == 206:
                        cr = resp.headers.get("Content-Range", "")
                        if not cr.startswith(f"bytes {have}-"):
                            raise _Transient(f"unexpected Content-Range {cr!r} for a resume at {have}",
                                             always_counts=True)
                    # Write what arrives as it arrives (no 10 MB buffer): a cut loses almost nothing.
                    for chunk in resp.iter_bytes():
                        if self.stop.is_set() or self.lease.lost is not None:
                            raise _Cancelled()
                        if have + len(chunk) > rf.size:
                            fh.truncate(0)
                            raise _Transient(f"server sent more than {rf.size} bytes; restarting the file",
                                             always_counts=True)
                        fh.write(chunk)
                        hasher.update(chunk)
                        have += len(chunk)
                        moved[0] += len(chunk)
                        self.progress.add(rf.path, len(chunk))
            if have != rf.size:
                raise _Transient(f"truncated body: {have} of {rf.size} bytes")
            if not hasher.ok():
                fh.truncate(0)
                self.progress.set_have(rf.path, 0)
                raise _Transient(f"{hasher.kind} mismatch; refetching the file", always_counts=True)
            os.fsync(fh.fileno())

    def finish(self, part: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        self.checkpoint.dirty = True


def _origin(url: str) -> tuple[str, str, int | None]:
    u = urlsplit(url)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    return (u.scheme, (u.hostname or "").lower(), port)


# --- state helpers ----------------------------------------------------------------------------


def _load(loader: Callable[[], Any]) -> Any:
    try:
        return loader()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _download_state_path(weights_dir: Path) -> Path:
    return state_dir(weights_dir) / DOWNLOAD_STATE_NAME


def _patterns_key(allow_patterns: Iterable[str] | None) -> list[str] | None:
    return sorted(set(allow_patterns)) if allow_patterns is not None else None


def _sizes_ok(weights_dir: Path, manifest: Manifest) -> bool:
    return all(_file_size(weights_dir / e.path) == e.size for e in manifest.files)


def _fast_path(weights_dir: Path, repo_id: str, revision: str, allow_patterns: list[str] | None) -> Manifest | None:
    """The tree is complete for this request, judged from local files only (pinned commits)."""
    marker = _load(lambda: CompletionMarker.load(weights_dir))
    manifest = _load(lambda: Manifest.load(weights_dir))
    state = _load(lambda: read_json(_download_state_path(weights_dir)))
    if marker is None or manifest is None or not isinstance(state, dict):
        return None
    if (marker.repo_id, marker.revision) != (repo_id, revision) or (manifest.repo_id, manifest.revision) != (
        repo_id, revision):
        return None
    if state.get("allow_patterns") != _patterns_key(allow_patterns) or state.get("repo_id") != repo_id:
        return None
    if marker.files != len(manifest.files) or marker.bytes != manifest.total_bytes:
        return None
    return manifest if _sizes_ok(weights_dir, manifest) else None


# --- the step ---------------------------------------------------------------------------------


def download_weights(
    repo_id: str,
    revision: str,
    weights_dir: Path,
    *,
    allow_patterns: list[str] | None = None,
    token: str | None = None,
    endpoint: str | None = None,
    retry: RetryPolicy = RetryPolicy(),
    max_workers: int = 8,
    checkpoint: Callable[[], None] | None = None,
    checkpoint_every_s: float = 120.0,
    lock_stale_after_s: float = 1800.0,
    progress_every_s: float = 10.0,
) -> DownloadResult:
    """Make ``weights_dir`` hold exactly ``repo_id@revision`` (filtered by ``allow_patterns``).

    Ends with ``COMPLETE.json`` written, or raises :class:`StepError` (one line, no secrets) and
    leaves no marker. Safe to re-run at any point: finished files are kept, partial files resume.
    ``token=None`` uses the client's usual lookup (``HF_TOKEN``, then the stored login);
    ``endpoint=None`` uses ``HF_ENDPOINT`` or huggingface.co. See the module docstring for the
    environment the container should set (``HF_XET_HIGH_PERFORMANCE=1``).
    """
    t0 = time.monotonic()
    weights_dir = Path(weights_dir)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    token = token or None
    try:
        return _download_weights(repo_id, revision, weights_dir, allow_patterns=allow_patterns, token=token,
                                 endpoint=endpoint, retry=retry, max_workers=max_workers,
                                 ckpt=_Checkpointer(checkpoint, checkpoint_every_s),
                                 lock_stale_after_s=lock_stale_after_s, progress_every_s=progress_every_s, t0=t0)
    except StepError:
        raise
    except OSError as exc:  # local disk trouble outside a file transfer (state files, mkdir, lease)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StepError(f"no space left in {weights_dir}: the weights volume/disk is full") from None
        raise StepError(f"cannot write to {weights_dir}: {type(exc).__name__}: {exc.strerror or exc}") from None


def _download_weights(repo_id: str, revision: str, weights_dir: Path, *, allow_patterns: list[str] | None,
                      token: str | None, endpoint: str, retry: RetryPolicy, max_workers: int, ckpt: _Checkpointer,
                      lock_stale_after_s: float, progress_every_s: float, t0: float) -> DownloadResult:
    weights_dir.mkdir(parents=True, exist_ok=True)
    with _Lease(weights_dir, stale_after_s=lock_stale_after_s, repo_id=repo_id, revision=revision) as lease:
        # 1. Already complete? A pinned commit needs no network at all, only local sizes.
        if _COMMIT_RE.fullmatch(revision):
            manifest = _fast_path(weights_dir, repo_id, revision, allow_patterns)
            if manifest is not None:
                secs = time.monotonic() - t0
                log(f"download: {repo_id}@{revision} already complete ({len(manifest.files)} files, "
                    f"{manifest.total_bytes / 1e9:.2f} GB, sizes checked) in {secs:.2f} s; nothing fetched")
                return DownloadResult(len(manifest.files), 0, len(manifest.files), manifest.total_bytes, 0, secs, True)

        run = _Run(repo_id=repo_id, revision=revision, weights_dir=weights_dir, allow_patterns=allow_patterns,
                   token=token, endpoint=endpoint, retry=retry, max_workers=max_workers, checkpoint=ckpt,
                   progress_every_s=progress_every_s, lease=lease)
        try:
            return _download(run, t0)
        except StepError as err:
            raise run.fail(err) from None
        finally:
            ckpt("after failure" if ckpt.dirty else "final", force=ckpt.dirty)


def _download(run: _Run, t0: float) -> DownloadResult:
    wd = run.weights_dir
    remote = run.list_remote()
    new_manifest = Manifest(run.repo_id, run.revision, tuple(r.entry() for r in remote))
    old_manifest: Manifest | None = _load(lambda: Manifest.load(wd))
    marker: CompletionMarker | None = _load(lambda: CompletionMarker.load(wd))
    state = _load(lambda: read_json(_download_state_path(wd)))
    new_state = {"repo_id": run.repo_id, "revision": run.revision, "commit": run.commit,
                 "allow_patterns": _patterns_key(run.allow_patterns)}

    # 2. Which local files are already right? A file at its final path is trusted by size if our
    # previous manifest vouches for the same content there (same sha256, or same revision);
    # otherwise it is hashed once, and deleted if it differs.
    old = {e.path: e for e in old_manifest.files} if old_manifest and old_manifest.repo_id == run.repo_id else {}
    same_rev = old_manifest is not None and old_manifest.revision == run.revision and old_manifest.repo_id == run.repo_id
    done: list[_Remote] = []
    todo: list[_Remote] = []
    unvouched: list[_Remote] = []
    delete: list[Path] = []
    for rf in remote:
        size = _file_size(wd / rf.path)
        if size is None:
            todo.append(rf)
        elif size != rf.size:
            delete.append(wd / rf.path)
            todo.append(rf)
        else:
            prev = old.get(rf.path)
            if prev is not None and prev.size == rf.size and prev.sha256 == rf.sha256 and (rf.sha256 or same_rev):
                done.append(rf)
            else:
                unvouched.append(rf)
    if unvouched:
        run.say(f"download: checking {len(unvouched)} existing file(s) not vouched for by a manifest (hashing)")
        with ThreadPoolExecutor(max_workers=max(1, run.max_workers)) as pool:
            verdicts = list(pool.map(lambda rf: _hash_file(wd / rf.path, rf).ok(), unvouched))
        for rf, ok in zip(unvouched, verdicts):
            (done if ok else todo).append(rf)
            if not ok:
                delete.append(wd / rf.path)
    selected = {r.path for r in remote}
    if old_manifest is not None and (old_manifest.repo_id, old_manifest.revision) != (run.repo_id, run.revision):
        # Files of the previous revision that this one does not have (e.g. renamed shards) would be
        # picked up by a loader that globs *.safetensors: remove them. (A narrower allow_patterns
        # on the same revision keeps them: re-downloading 750 GB for a typo would hurt more.)
        for e in old_manifest.files:
            try:
                stale = wd / _safe_relpath(e.path)
            except StepError:
                continue
            if e.path not in selected and _file_size(stale) is not None:
                delete.append(stale)

    nothing_to_do = not todo and not delete
    if (nothing_to_do and marker is not None and (marker.repo_id, marker.revision) == (run.repo_id, run.revision)
            and old_manifest == new_manifest and state == new_state):
        secs = time.monotonic() - t0
        run.say(f"download: {run.repo_id}@{run.revision} (commit {run.commit}) already complete "
                f"({len(remote)} files); nothing fetched, {secs:.2f} s")
        return DownloadResult(len(remote), 0, len(remote), new_manifest.total_bytes, 0, secs, True)

    # 3. From here on the tree is being changed: it must not look complete. Marker first, then the
    # files that differ, then the new manifest (so the manifest never vouches for a stale file).
    complete_path(wd).unlink(missing_ok=True)
    for p in delete:
        p.unlink(missing_ok=True)
    write_json_atomic(_download_state_path(wd), new_state)
    new_manifest.save(wd)
    run.checkpoint.dirty = True
    run.checkpoint("manifest written", force=True)

    done_bytes = sum(r.size for r in done)
    run.progress = _Progress(len(remote), new_manifest.total_bytes, len(done), done_bytes)
    if todo:
        run.say(f"download: {run.repo_id}@{run.revision} (commit {run.commit}): {len(todo)} of {len(remote)} files "
                f"to fetch ({sum(r.size for r in todo) / 1e9:.2f} GB), {len(done)} already present")
    failed = _fetch_all(run, todo)
    if failed:
        first = failed[0]
        more = f" and {len(failed) - 1} more file(s)" if len(failed) > 1 else ""
        raise StepError(f"download incomplete: {first}{more}; {run.progress.files_done}/{len(remote)} files done, "
                        "no COMPLETE marker written; re-run to resume (finished files are kept)")

    # 4. Complete means complete: every manifest file at its final path with its size, then the marker.
    missing = [e.path for e in new_manifest.files if _file_size(wd / e.path) != e.size]
    if missing:
        raise StepError(f"download incomplete: {len(missing)} file(s) missing or of the wrong size after the run "
                        f"(e.g. {missing[0]}); re-run to resume")
    CompletionMarker(run.repo_id, run.revision, len(new_manifest.files), new_manifest.total_bytes, time.time()).save(wd)
    _clean_partials(wd)
    run.checkpoint.dirty = True
    run.checkpoint("complete", force=True, must=True)
    secs = time.monotonic() - t0
    p = run.progress
    run.say(f"download: complete: {len(remote)} files, {new_manifest.total_bytes / 1e9:.2f} GB of "
            f"{run.repo_id}@{run.revision}; fetched {p.files_fetched} files / {p.fetched / 1e6:.1f} MB this run, "
            f"skipped {len(done)}, {secs:.1f} s ({p.fetched / 1e6 / max(secs, 1e-6):.1f} MB/s)")
    return DownloadResult(len(remote), p.files_fetched, len(done), new_manifest.total_bytes, p.fetched, secs, False)


def _fetch_all(run: _Run, todo: list[_Remote]) -> list[str]:
    """Fetch files in parallel; returns the failures (as text). A permanent error stops everything."""
    if not todo:
        return []
    failed: list[str] = []
    fatal: StepError | None = None
    last_log = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=max(1, run.max_workers), thread_name_prefix="download")
    futures: dict[Future, _Remote] = {pool.submit(run.fetch_file, rf): rf for rf in todo}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                exc = fut.exception()
                if exc is None or isinstance(exc, _Cancelled):
                    continue
                if isinstance(exc, _FileFailed):
                    failed.append(str(exc))
                    run.say(f"download: giving up on {exc}")
                elif isinstance(exc, StepError):
                    if fatal is None:
                        fatal = exc
                    run.stop.set()
                else:
                    run.stop.set()
                    raise exc
            if run.lease.lost is not None and fatal is None:
                other = run.lease.lost
                fatal = StepError(f"lost the download lease to host {other.get('host')} pid {other.get('pid')} "
                                  "(it thought this runner was dead): stopping; re-run once it has finished")
                run.stop.set()
            now = time.monotonic()
            if run.progress_every_s > 0 and now - last_log >= run.progress_every_s and pending:
                run.say(run.progress.line())
                last_log = now
            if fatal is None:
                run.checkpoint("files completed")
    except BaseException:
        run.stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    if fatal is not None:
        raise fatal
    return failed


def _clean_partials(weights_dir: Path) -> None:
    root = state_dir(weights_dir) / PARTIAL_DIR
    if not root.exists():
        return
    for p in sorted(root.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        try:
            p.rmdir() if p.is_dir() else p.unlink()
        except OSError:
            pass
    try:
        root.rmdir()
    except OSError:
        pass
