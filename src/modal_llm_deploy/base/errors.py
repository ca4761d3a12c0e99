"""The one error type a user can act on, shared by every layer that runs work."""

from __future__ import annotations


class StepError(RuntimeError):
    """A step failed for a reason the user can act on.

    ``str(err)`` is one line that says what is wrong and what to do. It never contains a
    secret value. The CLI prints it without a traceback and exits non-zero.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code
