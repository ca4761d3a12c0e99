"""One run of the download: listing the revision, fetching each file under the retry policy
(HTTP with Range resume, or Xet), and the parallel fetch loop."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from huggingface_hub import HfApi, constants
from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url, xet_get
from huggingface_hub.utils import (
    build_hf_headers,
    filter_repo_objects,
    get_session,
    get_token,
    hf_raise_for_status,
)
from huggingface_hub.utils._runtime import is_xet_available

try:  # marks our requests as downloads for the Hub's download counter, like hf_hub_download does
    from huggingface_hub.utils._http import flag_as_download_call
except ImportError:  # pragma: no cover - private helper, may move
    def flag_as_download_call(fn):  # type: ignore[no-redef]
        return fn

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import state_dir
from modal_llm_deploy.steps.download.errors import (
    _Cancelled,
    _Errors,
    _FileFailed,
    _is_timeout,
    _Transient,
)
from modal_llm_deploy.steps.download.lease import _Lease
from modal_llm_deploy.steps.download.manifest import (
    PARTIAL_DIR,
    _file_size,
    _hash_file,
    _Hasher,
    _Remote,
    _safe_relpath,
)
from modal_llm_deploy.steps.download.progress import _Progress, _SilentBar
from modal_llm_deploy.steps.log import log
from modal_llm_deploy.steps.network import FIRST_CONTACT_TIMEOUT_S, NETWORK_HINT, unreachable, unreachable_error

# An attempt that wrote at least this much before failing made progress: it does not use up one of
# the file's attempts (a 5 GB shard over a link that resets every few GB must still finish).
PROGRESS_BYTES = 1 << 20


# A timeout before the first byte of a response (a dropped connection, a proxy that swallowed the
# request) says nothing about the server being overloaded: retry it after this, not the backoff.
QUICK_RETRY_S = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    """Same defaults as ``DownloadSpec`` (profile/model.py), which validates a profile's values."""

    attempts: int = 5  # per file: tries without progress before the step fails
    delays_s: tuple[float, ...] = (5, 15, 30, 60)  # wait before try 2, 3, ... (last value repeats)
    max_retry_after_s: float = 300  # cap on a server's Retry-After

    def delay(self, failures: int) -> float:
        if not self.delays_s:
            return 0.0
        return float(self.delays_s[min(failures, len(self.delays_s)) - 1])


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


class _Syncer:
    """fsync finished files off the download's critical path; ``sync_all`` waits for them.

    One fsync per file inside each worker (before its rename) stalled that worker until the
    kernel had written the file back: measured 1.245× the wall time of plain snapshot_download
    (issue 7). Here workers hand the finished file to two sync threads and fetch the next one;
    the completion marker waits for every sync (``sync_all``), so a file still counts only once
    its bytes are durable.
    """

    def __init__(self, workers: int = 2):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="download-sync")
        self.pending: list[Future] = []
        self.lock = threading.Lock()

    def submit(self, path: Path) -> None:
        fut = self.pool.submit(_fsync_file, path)
        with self.lock:
            self.pending.append(fut)

    def sync_all(self, more: list[Path] = ()) -> None:  # type: ignore[assignment]
        for p in more:
            self.submit(p)
        with self.lock:
            pending, self.pending = self.pending, []
        for fut in pending:
            fut.result()  # an OSError (EIO, ENOSPC on writeback) fails the step: nothing counts

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Run:
    def __init__(self, *, repo_id: str, revision: str, weights_dir: Path, allow_patterns: list[str] | None,
                 token: str | None, endpoint: str, retry: RetryPolicy, max_workers: int,
                 checkpoint: _Checkpointer, progress_every_s: float, lease: _Lease, fail_fast: bool = False):
        self.repo_id, self.revision, self.weights_dir = repo_id, revision, weights_dir
        self.allow_patterns = allow_patterns
        self.token = token
        self.endpoint = endpoint
        self.retry, self.max_workers = retry, max_workers
        self.checkpoint, self.progress_every_s, self.lease = checkpoint, progress_every_s, lease
        # The user's machine: the listing (first contact) fails at once when the Hub cannot be
        # reached at all (steps/network.py); containers keep every retry.
        self.fail_fast = fail_fast
        try:  # the token the client will send (explicit, HF_TOKEN, or the stored login), for redaction
            self.effective_token = token or get_token()
        except Exception:  # e.g. a failed OIDC exchange: the client will report it on the first request
            self.effective_token = token
        self.errors = _Errors(repo_id, revision, token_given=bool(self.effective_token))
        self.stop = threading.Event()
        self.commit: str | None = None
        self.progress = _Progress(0, 0, 0, 0)
        self.syncer = _Syncer()
        # An update: finished files wait in partial/ (staged_files: repo path → file) for the swap.
        self.staged = False
        self.staged_files: dict[str, Path] = {}

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
                offline = unreachable_error(f"download: {what}", self.endpoint, exc) if self.fail_fast else None
                if offline is not None:
                    raise self.fail(offline) from None
                failures += 1
                if failures >= self.retry.attempts:
                    hint = f"; {NETWORK_HINT}" if unreachable(exc) else ""
                    raise self.fail(StepError(f"{what} failed after {failures} attempts (last error: {verdict}){hint}"))
                wait_s = self._wait_for(verdict, failures)
                self.say(f"download: {what}: {verdict}; waiting {wait_s:g} s before attempt {failures + 1} of "
                         f"{self.retry.attempts}")
                self.sleep(wait_s)

    def _wait_for(self, err: _Transient, failures: int) -> float:
        if err.retry_after is not None:
            return min(err.retry_after, self.retry.max_retry_after_s)
        return self.retry.delay(failures)

    # -- listing
    def list_remote(self) -> list[_Remote]:
        api = HfApi(endpoint=self.endpoint, token=self.token)
        info = self.with_retries(f"listing {self.repo_id}@{self.revision}", None,
                                 lambda: api.model_info(self.repo_id, revision=self.revision, files_metadata=True,
                                                        timeout=FIRST_CONTACT_TIMEOUT_S if self.fail_fast else None))
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
                if progressed:
                    wait_s = 0.0
                elif moved[0] == 0 and _is_timeout(exc):
                    wait_s = min(QUICK_RETRY_S, self._wait_for(verdict, failures))
                else:
                    wait_s = self._wait_for(verdict, failures)
                kept = _file_size(self.partial_path(rf)) or 0
                self.say(f"download: {rf.path}: {verdict}; waiting {wait_s:g} s before attempt {failures + 1} of "
                         f"{self.retry.attempts} ({kept / 1e6:.1f} MB kept"
                         + (", the last try moved data so it does not count" if progressed else "") + ")")
                self.progress.waiting(rf.path, wait_s, failures + 1, self.retry.attempts)
                try:
                    self.sleep(wait_s)
                finally:
                    self.progress.waiting(rf.path, 0, 0, 0)

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
            bar = _SilentBar(self.progress, rf.path)
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
            # No fsync here: the syncer does it off this worker's critical path (see _Syncer).

    def finish(self, part: Path, final: Path) -> None:
        if self.staged:  # an update: the old commit's file stays at the final path until the swap
            rel = final.relative_to(self.weights_dir).as_posix()
            self.staged_files[rel] = part
            self.syncer.submit(part)
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)
        self.syncer.submit(final)
        self.checkpoint.dirty = True


def _origin(url: str) -> tuple[str, str, int | None]:
    u = urlsplit(url)
    port = u.port or {"http": 80, "https": 443}.get(u.scheme)
    return (u.scheme, (u.hostname or "").lower(), port)


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
