"""SGLang's compiled-kernel caches on disk: restore a key's tree before SGLang starts, publish
a compile run's tree under its key, one user of the work directory at a time.

Which caches there are, where each lives and the kernel key's argument hash are engine facts
(``engine/caches.py``); this module only moves files.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path
from typing import IO, Sequence

from modal_llm_deploy.base.errors import StepError

# --- work directory: restore, publish, exclusive use -----------------------------------------


def _ignore(skip_names: Sequence[str]):
    # Lock files are per-run state (DeepGEMM's DG_JIT_CACHE_DIR/locks, FlashInfer's filelocks),
    # never a compiled kernel; markers belong to the volume's key directory only.
    def ignore(_dir: str, names: list[str]) -> set[str]:
        return {n for n in names if n.endswith(".lock") or n in skip_names}

    return ignore


COPY_WORKERS = 16


def copy_tree(src: Path, dst: Path, *, skip_names: Sequence[str] = (), workers: int = COPY_WORKERS) -> tuple[int, int]:
    """Copy ``src`` into ``dst`` (merging), files in parallel; symlinks stay symlinks.

    Parallel because the source of a restore is a Modal Volume mount, where each file costs a
    round trip, and a kernel cache is many small files. Returns (files, bytes) copied.
    """
    from concurrent.futures import ThreadPoolExecutor

    ignore = _ignore(skip_names)
    jobs: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        out = os.path.join(dst, rel) if rel != "." else str(dst)
        skipped = ignore(root, dirs + files)
        dirs[:] = [d for d in dirs if d not in skipped]
        os.makedirs(out, exist_ok=True)
        for d in dirs:
            sd = os.path.join(root, d)
            if os.path.islink(sd):  # os.walk does not descend into links; keep them as links
                td = os.path.join(out, d)
                if not os.path.lexists(td):
                    os.symlink(os.readlink(sd), td)
        jobs += [(os.path.join(root, f), os.path.join(out, f)) for f in files if f not in skipped]

    def one(job: tuple[str, str]) -> int:
        a, b = job
        if os.path.islink(a):
            if os.path.lexists(b):
                os.unlink(b)
            os.symlink(os.readlink(a), b)
            return 0
        shutil.copy2(a, b)  # keeps timestamps: build tools compare them (ninja for FlashInfer)
        return os.stat(b).st_size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        sizes = list(pool.map(one, jobs))
    return len(jobs), sum(sizes)


def clear_work_dir(work_dir: Path) -> None:
    work_dir = Path(work_dir)
    if work_dir.exists():
        shutil.rmtree(work_dir)  # never trust a leftover tree
    work_dir.mkdir(parents=True, exist_ok=True)


def restore(src: Path, work_dir: Path, *, skip_names: Sequence[str] = ()) -> tuple[int, int]:
    """Replace ``work_dir`` with a copy of the key directory ``src`` (if it exists).

    Returns (files, bytes) copied. The copy keeps relative layout, so each cache lands at the
    absolute path it was built at (the compile run used the same ``work_dir``).
    """
    try:
        clear_work_dir(work_dir)
        src = Path(src)
        if not src.is_dir():
            return 0, 0
        return copy_tree(src, Path(work_dir), skip_names=skip_names)
    except OSError as e:
        raise StepError(
            f"cannot restore the kernel cache {src} to {work_dir}: {e.strerror or e} "
            f"({e.filename or '?'}); free disk space or fix the directory's permissions"
        ) from None


def publish(work_dir: Path, dest: Path, *, skip_names: Sequence[str] = ()) -> tuple[int, int]:
    """Copy the work tree into the volume's key directory (merging with what is there).

    The caller writes the marker only after this returns: a reader never sees a marker next
    to a half-copied tree.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        return copy_tree(Path(work_dir), dest, skip_names=skip_names)
    except OSError as e:
        # No marker follows: the key stays "not compiled" and a re-run copies again.
        raise StepError(
            f"cannot copy the compiled caches from {work_dir} to {dest}: {e.strerror or e} "
            f"({e.filename or '?'}); no marker was written; free space on the cache volume and re-run the compile"
        ) from None


class WorkDirLock:
    """Exclusive use of a work directory for one compile or one server.

    In a container there is only ever one; on a local box a `compile` and a `serve` (or two
    serves of different profiles) with the same --cache-dir would otherwise wipe each other's
    tree. The lock file sits next to the directory, so clearing the directory keeps it.
    """

    def __init__(self, work_dir: Path):
        self.path = Path(str(Path(work_dir)) + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> "WorkDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            fh.close()
            raise StepError(
                f"SGLang cache work directory {str(self.path)[:-5]} is in use by another compile or serve "
                f"(pid {holder}); wait for it to finish or use another --cache-dir"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            try:
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> "WorkDirLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = ["WorkDirLock", "clear_work_dir", "copy_tree", "publish", "restore"]
