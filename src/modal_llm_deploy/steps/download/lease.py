"""One runner at a time per weights directory: a heartbeat lease file plus a local ``flock``."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import (
    lock_path,
    read_json,
    state_dir,
    write_json_atomic,
)
from modal_llm_deploy.steps.log import log


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
