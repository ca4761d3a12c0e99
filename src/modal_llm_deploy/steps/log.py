"""Progress lines from a step."""

from __future__ import annotations

import sys
import time


def log(msg: str) -> None:
    """Progress/log line. Modal shows a container's stdout live, so print and flush."""
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stdout.flush()
