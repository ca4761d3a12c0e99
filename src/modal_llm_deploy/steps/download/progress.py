"""The progress/ETA line, and the silent progress bar handed to ``xet_get``."""

from __future__ import annotations

import threading
import time
from typing import Any


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
        self.waits: dict[str, tuple[float, int, int]] = {}  # path → (until, next attempt, attempts)

    def waiting(self, path: str, seconds: float, attempt: int, attempts: int) -> None:
        """A file is sleeping before its next attempt (``seconds=0``: not any more)."""
        with self.lock:
            if seconds > 0:
                self.waits[path] = (time.monotonic() + seconds, attempt, attempts)
            else:
                self.waits.pop(path, None)

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
            waits = sorted(self.waits.items(), key=lambda kv: kv[1][0])
        elapsed = max(time.monotonic() - self.t0, 1e-6)
        rate = fetched / elapsed
        left = max(self.bytes_total - done, 0)
        eta = _fmt_eta(left / rate) if rate > 0 else "?"
        pct = 100.0 * done / self.bytes_total if self.bytes_total else 100.0
        line = (f"download: {files_done}/{self.files_total} files, {done / 1e9:.2f}/{self.bytes_total / 1e9:.2f} GB "
                f"({pct:.1f}%), {rate / 1e6:.1f} MB/s, ETA {eta}")
        if waits:
            # The ETA assumes the current rate; say when a file is sleeping instead of fetching.
            path, (until, attempt, attempts) = waits[0]
            left = max(0, round(until - time.monotonic()))
            more = f" (and {len(waits) - 1} more file(s) waiting)" if len(waits) > 1 else ""
            line += f"; {path}: waiting {left} s before attempt {attempt} of {attempts}{more}"
        return line


class _SilentBar:
    """A stand-in for tqdm handed to ``xet_get``: counts bytes, prints nothing."""

    def __init__(self, progress: "_Progress", path: str):
        self.progress, self.path, self.n, self.total = progress, path, 0, None

    def update(self, n: int | float | None = 1) -> None:  # bytes written to the file
        self.n += int(n or 0)
        self.progress.set_have(self.path, self.n)

    def update_transfer(self, n: int | float | None = 1) -> None:  # bytes received from the network
        with self.progress.lock:
            self.progress.fetched += int(n or 0)

    def set_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def set_transfer_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass
