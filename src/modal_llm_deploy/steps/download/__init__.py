"""The ``download`` step: fetch one commit of a Hugging Face repo into ``weights_dir``, robustly,
and record which commit it was (the pin).

Modules: this one (the step), ``manifest`` (remote file entries, hashing, state files), ``fetch``
(one run: listing, per-file retries, HTTP/Xet, the parallel loop, syncing), ``lease`` (one runner
per directory), ``progress`` (the progress/ETA line), ``errors`` (client exceptions → retry or a
one-line StepError).

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
  at its final path with the manifest size and synced to disk. A file reaches its final path only
  by an atomic rename once its size and its sha256 (LFS) or git blob id, hashed as the bytes
  arrive, checked out; its fsync runs on a sync thread, off the worker's critical path, and the
  marker waits for all of them.
* **Pinned by the first download.** A branch or tag is resolved to its commit by the listing
  (``model_info(revision=ref).sha``); that commit is fetched and recorded in ``COMPLETE.json``.
  If the same ref later points elsewhere the step refuses unless ``update=True``, which fetches
  the new commit next to the old one and swaps it in at the end (base/layout.py).
* **Repairs repair.** ``repair=True`` hashes every file against the commit and re-fetches what
  differs (a size check cannot see a flipped byte).
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
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from huggingface_hub import HfApi, constants

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import (
    CompletionMarker,
    Manifest,
    complete_path,
    download_state_path,
    is_commit_sha,
    read_json,
    recorded_revision,
    state_dir,
    write_json_atomic,
)
from modal_llm_deploy.steps.download.errors import _Errors
from modal_llm_deploy.steps.download.fetch import (
    PROGRESS_BYTES,
    RetryPolicy,
    _Checkpointer,
    _fetch_all,
    _Run,
)
from modal_llm_deploy.steps.download.lease import _Lease
from modal_llm_deploy.steps.download.manifest import (
    PARTIAL_DIR,
    _fast_path,
    _file_size,
    _hash_file,
    _load,
    _patterns_key,
    _Remote,
    _safe_relpath,
)
from modal_llm_deploy.steps.download.progress import _Progress
from modal_llm_deploy.steps.log import log
from modal_llm_deploy.steps.network import FIRST_CONTACT_TIMEOUT_S, NETWORK_HINT, unreachable_error

__all__ = ["DownloadResult", "RetryPolicy", "download_weights", "resolve_revision", "PROGRESS_BYTES"]


@dataclass(frozen=True)
class DownloadResult:
    files_total: int
    files_fetched: int  # files that needed the network this run (new or resumed)
    files_skipped: int  # files already complete on disk
    bytes_total: int
    bytes_fetched: int  # bytes received from the network and written this run
    seconds: float
    already_complete: bool


def resolve_revision(repo_id: str, ref: str, token: str | None = None, *, endpoint: str | None = None,
                     retry: RetryPolicy = RetryPolicy(attempts=3, delays_s=(2.0, 5.0)),
                     fail_fast: bool = False, say: Callable[[str], None] | None = None) -> str:
    """The commit sha ``ref`` (branch, tag or sha) of ``repo_id`` resolves to on the Hub now.

    huggingface_hub 2.4 ``HfApi.model_info(repo_id, revision=ref)`` asks
    ``/api/models/{repo_id}/revision/{ref}`` and returns ``ModelInfo.sha``, the commit the ref
    points at (hf_api.py, ``model_info`` and ``ModelInfo.__init__``: ``self.sha = kwargs.pop("sha", None)``).
    Errors are the download step's one-line StepErrors (repo/revision not found, gated, token).

    ``fail_fast`` (the user's machine): a host name that does not resolve or a refused
    connection fails at once with the network hint (steps/network.py) instead of retrying.
    Every other transient fault is retried under ``retry``, each wait announced through ``say``.
    """
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    errors = _Errors(repo_id, ref, token_given=bool(token or _stored_token()))
    api = HfApi(endpoint=endpoint, token=token or None)
    failures = 0
    while True:
        try:
            sha = api.model_info(repo_id, revision=ref, timeout=FIRST_CONTACT_TIMEOUT_S if fail_fast else None).sha
            break
        except Exception as exc:
            verdict = errors.classify(exc, None)
            if isinstance(verdict, StepError):
                raise _redacted(verdict, token) from None
            offline = unreachable_error(f"resolving {repo_id}@{ref}", endpoint, exc) if fail_fast else None
            if offline is not None:
                raise _redacted(offline, token) from None
            failures += 1
            if failures >= retry.attempts:
                raise _redacted(StepError(f"resolving {repo_id}@{ref} failed after {failures} attempts "
                                          f"(last error: {verdict}): {NETWORK_HINT}"),
                                token) from None
            wait_s = retry.delay(failures)
            if say is not None:
                say(str(_redacted(StepError(f"resolving {repo_id}@{ref}: {verdict}; waiting {wait_s:g} s before "
                                            f"attempt {failures + 1} of {retry.attempts}"), token)))
            time.sleep(wait_s)
    if not sha or len(sha) != 40:
        raise StepError(f"the Hub answered for {repo_id}@{ref} without a commit sha: check HF_ENDPOINT")
    return sha


def _stored_token() -> str | None:
    from huggingface_hub.utils import get_token

    try:
        return get_token()
    except Exception:
        return None


def _redacted(err: StepError, token: str | None) -> StepError:
    msg = " ".join(str(err).split())
    return StepError(msg.replace(token, "<HF_TOKEN>") if token else msg, exit_code=err.exit_code)


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
    update: bool = False,
    repair: bool = False,
    fail_fast: bool = False,
) -> DownloadResult:
    """Make ``weights_dir`` hold exactly one commit of ``repo_id`` (filtered by ``allow_patterns``).

    ``revision`` is a commit sha, or a branch/tag that is resolved to its commit now. The commit
    downloaded is recorded in ``COMPLETE.json`` (the pin, see base/layout.py). If the volume already
    holds a complete download of ``revision`` and the ref has since moved upstream, the step
    refuses with one line, unless ``update=True``: then the new commit is fetched next to the old
    one and swapped in at the end (the old commit stays complete and servable until then).

    ``repair=True`` re-hashes every file on disk against the commit's sha256/git blob ids and
    re-fetches what differs (the fix verify --deep prints for a corrupt file); with a ref it
    repairs the recorded commit, not whatever the ref points at now.

    Ends with ``COMPLETE.json`` written, or raises :class:`StepError` (one line, no secrets) and
    leaves no marker claiming the new commit. Safe to re-run at any point: finished files are
    kept, partial files resume. ``token=None`` uses the client's usual lookup (``HF_TOKEN``, then
    the stored login); ``endpoint=None`` uses ``HF_ENDPOINT`` or huggingface.co. See the module
    docstring for the environment the container should set (``HF_XET_HIGH_PERFORMANCE=1``).

    ``fail_fast`` (the local CLI, not containers): when listing the revision, the first contact,
    a host name that does not resolve or a refused connection fails at once with the network
    hint (steps/network.py) instead of retrying; once the listing answered, every transient
    fault is retried as in a container.

    A failure leaves nothing new when nothing was written yet: the directories this call
    created (``weights_dir``, its parents, the state directory) are removed again while empty,
    so a later run or ``verify`` sees "not downloaded", as before. Once the download has
    started writing (state file, manifest, partial files) they stay: the next run resumes them,
    and ``verify`` reports the download as not complete (no completion marker).
    """
    t0 = time.monotonic()
    weights_dir = Path(weights_dir)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    token = token or None
    created = _missing_dirs(weights_dir, state_dir(weights_dir))
    try:
        try:
            return _download_weights(repo_id, revision, weights_dir, allow_patterns=allow_patterns, token=token,
                                     endpoint=endpoint, retry=retry, max_workers=max_workers,
                                     ckpt=_Checkpointer(checkpoint, checkpoint_every_s),
                                     lock_stale_after_s=lock_stale_after_s, progress_every_s=progress_every_s,
                                     t0=t0, update=update, repair=repair, fail_fast=fail_fast)
        except StepError:
            raise
        except OSError as exc:  # local disk trouble outside a file transfer (state files, mkdir, lease)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StepError(f"no space left in {weights_dir}: the weights volume/disk is full") from None
            raise StepError(f"cannot write to {weights_dir}: {type(exc).__name__}: {exc.strerror or exc}") from None
    except BaseException:
        _remove_if_empty(created)
        raise


def _missing_dirs(weights_dir: Path, sdir: Path) -> list[Path]:
    """The directories a download into ``weights_dir`` would create, deepest first: the state
    directory, ``weights_dir`` and its missing parents."""
    out = [] if sdir.exists() else [sdir]
    for d in (weights_dir.absolute(), *weights_dir.absolute().parents):
        if d.exists():
            break
        out.append(d)
    return out


def _remove_if_empty(dirs: list[Path]) -> None:
    """After a failure: remove the directories this run created while they are still empty
    (deepest first; a directory with anything in it, e.g. a resumable partial file, stays)."""
    for d in dirs:
        try:
            d.rmdir()
        except OSError:  # not empty (the download wrote there), already gone, or not ours to remove
            return


def _download_weights(repo_id: str, revision: str, weights_dir: Path, *, allow_patterns: list[str] | None,
                      token: str | None, endpoint: str, retry: RetryPolicy, max_workers: int, ckpt: _Checkpointer,
                      lock_stale_after_s: float, progress_every_s: float, t0: float, update: bool,
                      repair: bool, fail_fast: bool) -> DownloadResult:
    weights_dir.mkdir(parents=True, exist_ok=True)
    with _Lease(weights_dir, stale_after_s=lock_stale_after_s, repo_id=repo_id, revision=revision) as lease:
        # 1. Already complete? A pinned commit needs no network at all, only local sizes. (A repair
        # must hash, and a ref must be resolved to learn whether it moved.)
        if is_commit_sha(revision) and not repair:
            manifest = _fast_path(weights_dir, repo_id, revision, allow_patterns)
            if manifest is not None:
                secs = time.monotonic() - t0
                log(f"download: {repo_id}@{revision} already complete ({len(manifest.files)} files, "
                    f"{manifest.total_bytes / 1e9:.2f} GB, sizes checked) in {secs:.2f} s; nothing fetched")
                return DownloadResult(len(manifest.files), 0, len(manifest.files), manifest.total_bytes, 0, secs, True)

        recorded = recorded_revision(weights_dir)
        marker: CompletionMarker | None = _load(lambda: CompletionMarker.load(weights_dir))
        list_at = revision
        if repair and recorded is not None and not update and not is_commit_sha(revision) and marker is not None \
                and marker.repo_id == repo_id:
            list_at = recorded  # repair what is pinned, wherever the ref points now
        run = _Run(repo_id=repo_id, revision=list_at, weights_dir=weights_dir, allow_patterns=allow_patterns,
                   token=token, endpoint=endpoint, retry=retry, max_workers=max_workers, checkpoint=ckpt,
                   progress_every_s=progress_every_s, lease=lease, fail_fast=fail_fast)
        try:
            return _download(run, t0, ref=revision, recorded=recorded, marker=marker, update=update, repair=repair)
        except StepError as err:
            raise run.fail(err) from None
        finally:
            run.syncer.close()
            ckpt("after failure" if ckpt.dirty else "final", force=ckpt.dirty)


def _moved_error(run: _Run, ref: str, recorded: str) -> StepError:
    return StepError(
        f"model.revision {ref!r} of {run.repo_id} has moved upstream to commit {run.commit} but the weights volume "
        f"holds {recorded} (downloaded from {ref!r}), which compile, verify and serve keep using: to switch to the new "
        f"commit re-run the download with --update (it is fetched next to the old one and swapped in at the end), "
        f"or pin the current one with --set model.revision={recorded}")


def _download(run: _Run, t0: float, *, ref: str, recorded: str | None, marker: CompletionMarker | None,
              update: bool, repair: bool) -> DownloadResult:
    wd = run.weights_dir
    remote = run.list_remote()  # resolves the ref: run.commit is the commit it points at now
    commit = run.commit or run.revision
    same_repo = marker is not None and marker.repo_id == run.repo_id
    if (recorded is not None and same_repo and commit != recorded and not is_commit_sha(ref) and not update
            and marker is not None and marker.ref in (ref, None)):
        # The same ref now names another commit: never switch what is served behind the user's back.
        raise _moved_error(run, ref, recorded)
    new_manifest = Manifest(run.repo_id, commit, tuple(r.entry() for r in remote))
    old_manifest: Manifest | None = _load(lambda: Manifest.load(wd))
    state = _load(lambda: read_json(download_state_path(wd)))
    # An update of a complete download: fetch next to it, swap at the end (the old commit stays
    # complete and servable meanwhile). Otherwise the tree is changed in place, marker removed first.
    staged = recorded is not None and recorded != commit
    new_state = {"repo_id": run.repo_id, "revision": ref, "commit": commit,
                 "allow_patterns": _patterns_key(run.allow_patterns), "replacing": recorded if staged else None}
    run.staged = staged

    done, todo, delete = _local_files(run, remote, old_manifest, commit, repair)

    nothing_to_do = not todo and not delete
    if (nothing_to_do and marker is not None and (marker.repo_id, marker.revision, marker.ref) == (run.repo_id, commit, ref)
            and old_manifest == new_manifest and state == new_state):
        secs = time.monotonic() - t0
        what = "repair: every file matches; " if repair else ""
        run.say(f"download: {what}{run.repo_id}@{ref} (commit {commit}) already complete "
                f"({len(remote)} files); nothing fetched, {secs:.2f} s")
        return DownloadResult(len(remote), 0, len(remote), new_manifest.total_bytes, 0, secs, True)

    _start_changes(run, ref, commit, recorded, staged, delete, new_manifest, new_state)
    _fetch_missing(run, ref, commit, recorded, staged, remote, done, todo, new_manifest)
    return _complete(run, t0, ref, commit, staged, remote, done, todo, delete, new_manifest, new_state)


def _local_files(run: _Run, remote: list[_Remote], old_manifest: Manifest | None, commit: str,
                 repair: bool) -> tuple[list[_Remote], list[_Remote], list[Path]]:
    """Step 2: sort the commit's files into (already right, to fetch, local paths to delete)."""
    wd = run.weights_dir
    # 2. Which local files are already right? A file at its final path is trusted by size if our
    # previous manifest vouches for the same content there (same sha256, or same commit);
    # otherwise (and always in a repair) it is hashed once, and replaced if it differs.
    old = {e.path: e for e in old_manifest.files} if old_manifest and old_manifest.repo_id == run.repo_id else {}
    same_rev = old_manifest is not None and old_manifest.revision == commit and old_manifest.repo_id == run.repo_id
    done: list[_Remote] = []
    todo: list[_Remote] = []
    unvouched: list[_Remote] = []
    delete: list[Path] = []  # removed before fetching (in place) or at the swap (staged)
    for rf in remote:
        size = _file_size(wd / rf.path)
        if size is None:
            todo.append(rf)
        elif size != rf.size:
            delete.append(wd / rf.path)
            todo.append(rf)
        else:
            prev = old.get(rf.path)
            if prev is not None and prev.sha256 and rf.sha256 and prev.sha256 != rf.sha256:
                todo.append(rf)  # our manifest says it holds other content (an update): no need to hash
                delete.append(wd / rf.path)
            elif (not repair and prev is not None and prev.size == rf.size and prev.sha256 == rf.sha256
                    and (rf.sha256 or same_rev)):
                done.append(rf)
            else:
                unvouched.append(rf)
    if unvouched:
        _hash_unvouched(run, unvouched, commit, repair, done, todo, delete)
    delete += _stale_files(wd, old_manifest, remote, run.repo_id, commit)
    return done, todo, delete


def _hash_unvouched(run: _Run, unvouched: list[_Remote], commit: str, repair: bool, done: list[_Remote],
                    todo: list[_Remote], delete: list[Path]) -> None:
    """Hash the files no manifest vouches for; each goes to done, or to todo and delete."""
    wd = run.weights_dir
    mismatched: list[str] = []
    why = "repair: hashing" if repair else "checking"
    run.say(f"download: {why} {len(unvouched)} existing file(s) against commit {commit[:12]}"
            + ("" if repair else " (not vouched for by a manifest)"))
    with ThreadPoolExecutor(max_workers=max(1, run.max_workers)) as pool:
        verdicts = list(pool.map(lambda rf: _hash_file(wd / rf.path, rf).ok(), unvouched))
    for rf, ok in zip(unvouched, verdicts):
        (done if ok else todo).append(rf)
        if not ok:
            delete.append(wd / rf.path)
            mismatched.append(rf.path)
    if repair:
        run.say(f"download: repair: {len(mismatched)} file(s) differ from commit {commit[:12]}"
                + (f" ({', '.join(mismatched[:5])}{', …' if len(mismatched) > 5 else ''}): fetching them again"
                   if mismatched else ""))


def _stale_files(wd: Path, old_manifest: Manifest | None, remote: list[_Remote], repo_id: str,
                 commit: str) -> list[Path]:
    """Files of the previous revision that this commit does not have and that are still on disk."""
    selected = {r.path for r in remote}
    stale_files: list[Path] = []
    if old_manifest is not None and (old_manifest.repo_id, old_manifest.revision) != (repo_id, commit):
        # Files of the previous revision that this one does not have (e.g. renamed shards) would be
        # picked up by a loader that globs *.safetensors: remove them. (A narrower allow_patterns
        # on the same revision keeps them: re-downloading 750 GB for a typo would hurt more.)
        for e in old_manifest.files:
            try:
                stale = wd / _safe_relpath(e.path)
            except StepError:
                continue
            if e.path not in selected and _file_size(stale) is not None:
                stale_files.append(stale)
    return stale_files


def _start_changes(run: _Run, ref: str, commit: str, recorded: str | None, staged: bool, delete: list[Path],
                   new_manifest: Manifest, new_state: dict) -> None:
    """Step 3: record the state, then (in place) drop the marker and stale files and save the manifest."""
    wd = run.weights_dir
    # 3. From here on the tree is being changed. In place: it must not look complete, so marker
    # first, then the files that differ, then the new manifest (so the manifest never vouches for a
    # stale file). Staged: nothing at the final paths changes until every new file is ready.
    write_json_atomic(download_state_path(wd), new_state)
    if staged:
        run.say(f"download: update: {run.repo_id}@{ref} is commit {commit}; the volume holds {recorded}, which stays "
                "complete and servable until every new file is here, then the files are swapped")
    else:
        complete_path(wd).unlink(missing_ok=True)
        for p in delete:
            p.unlink(missing_ok=True)
        new_manifest.save(wd)
    run.checkpoint.dirty = True
    run.checkpoint("manifest written", force=True)


def _fetch_missing(run: _Run, ref: str, commit: str, recorded: str | None, staged: bool, remote: list[_Remote],
                   done: list[_Remote], todo: list[_Remote], new_manifest: Manifest) -> None:
    """Fetch ``todo`` with a progress line; raise if any file failed."""
    done_bytes = sum(r.size for r in done)
    run.progress = _Progress(len(remote), new_manifest.total_bytes, len(done), done_bytes)
    if todo:
        run.say(f"download: {run.repo_id}@{ref} (commit {commit}): {len(todo)} of {len(remote)} files "
                f"to fetch ({sum(r.size for r in todo) / 1e9:.2f} GB), {len(done)} already present")
    failed = _fetch_all(run, todo)
    if failed:
        first = failed[0]
        more = f" and {len(failed) - 1} more file(s)" if len(failed) > 1 else ""
        kept = f"; the volume still holds the complete commit {recorded}" if staged else ""
        raise StepError(f"download incomplete: {first}{more}; {run.progress.files_done}/{len(remote)} files done, "
                        f"no COMPLETE marker written for {commit[:12]}{kept}; re-run to resume (finished files are kept)")


def _complete(run: _Run, t0: float, ref: str, commit: str, staged: bool, remote: list[_Remote], done: list[_Remote],
              todo: list[_Remote], delete: list[Path], new_manifest: Manifest, new_state: dict) -> DownloadResult:
    """Steps 4–5: sync everything (swap in a staged update), check sizes, write the marker last."""
    wd = run.weights_dir
    # 4. Durable before it counts: every file of the commit synced (fetched files were synced off
    # the critical path as they finished; files from earlier runs are synced here, which is cheap
    # when the kernel already wrote them back).
    run.syncer.sync_all([wd / r.path for r in done])
    if staged:
        _swap(run, todo, delete, new_manifest, new_state)
    missing = [e.path for e in new_manifest.files if _file_size(wd / e.path) != e.size]
    if missing:
        raise StepError(f"download incomplete: {len(missing)} file(s) missing or of the wrong size after the run "
                        f"(e.g. {missing[0]}); re-run to resume")
    _sync_dirs(wd, new_manifest)
    # 5. Complete means complete: the marker, with the commit (the pin), last.
    CompletionMarker(run.repo_id, commit, len(new_manifest.files), new_manifest.total_bytes, time.time(),
                     ref=ref).save(wd)
    _clean_partials(wd)
    run.checkpoint.dirty = True
    run.checkpoint("complete", force=True, must=True)
    secs = time.monotonic() - t0
    p = run.progress
    run.say(f"download: complete: {len(remote)} files, {new_manifest.total_bytes / 1e9:.2f} GB of "
            f"{run.repo_id}@{ref} = commit {commit} (recorded as the pin); fetched {p.files_fetched} files / "
            f"{p.fetched / 1e6:.1f} MB this run, skipped {len(done)}, {secs:.1f} s "
            f"({p.fetched / 1e6 / max(secs, 1e-6):.1f} MB/s)")
    return DownloadResult(len(remote), p.files_fetched, len(done), new_manifest.total_bytes, p.fetched, secs, False)


def _swap(run: _Run, fetched: list[_Remote], delete: list[Path], manifest: Manifest, state: dict) -> None:
    """Replace the old commit's files by the new one's, all ready and synced in ``partial/``.

    The marker goes first, so from here until the new marker a reader sees an incomplete tree and
    ``pending_update`` explains it; the renames themselves take seconds."""
    wd = run.weights_dir
    complete_path(wd).unlink(missing_ok=True)
    _fsync_dir(state_dir(wd))
    for p in delete:
        p.unlink(missing_ok=True)
    for rf in fetched:
        final = wd / rf.path
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(run.staged_files[rf.path], final)
    manifest.save(wd)
    write_json_atomic(download_state_path(wd), {**state, "replacing": None})
    run.say(f"download: update: swapped in {len(fetched)} file(s) of commit {manifest.revision}")


def _fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory; the rename is what matters
        pass
    finally:
        os.close(fd)


def _sync_dirs(wd: Path, manifest: Manifest) -> None:
    """The renames that put files at their final paths are durable before the marker says so."""
    for d in sorted({(wd / e.path).parent for e in manifest.files}):
        _fsync_dir(d)


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
