"""Container steps: plain functions over paths.

Each step (download, compile, verify, serve) runs the same way inside a Modal container (where
the paths are volume mounts) and on a local machine through the CLI (where they are ordinary
directories). Nothing in this package imports ``modal``.
"""

from __future__ import annotations

import sys
import time


class StepError(RuntimeError):
    """A step failed for a reason the user can act on.

    ``str(err)`` is one line that says what is wrong and what to do. It never contains a
    secret value. The CLI prints it without a traceback and exits non-zero.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def log(msg: str) -> None:
    """Progress/log line. Modal shows a container's stdout live, so print and flush."""
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stdout.flush()
