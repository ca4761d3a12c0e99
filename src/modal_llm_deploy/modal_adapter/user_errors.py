"""A user's mistake in a deploy script's ``build_app("name")``, said in one line under Modal's CLI.

What Modal's CLI does with an exception raised while it imports the deploy script (modal 1.6.4):

* ``modal/cli/import_refs.py`` ``import_file_or_module`` runs the script inside
  ``execution_context._import_context()`` and wraps any ``Exception`` in
  ``_CliUserExecutionError`` (``except Exception as exc: raise _CliUserExecutionError(...) from
  exc``);
* ``modal/__main__.py`` ``main`` answers ``_CliUserExecutionError`` with
  ``sys.excepthook(type(exc.__cause__), exc.__cause__, tb)``, the Rich traceback panel
  (``cli/_traceback.py`` ``setup_rich_traceback``): 13 lines of frames from the script down
  before the message, 16 to 20 lines in all by terminal width;
* a ``SystemExit`` is a ``BaseException``, not an ``Exception``: neither ``except`` catches it,
  nor does ``main``'s ``except Exception``, so it leaves the interpreter, which prints its
  message alone on stderr and exits 1.

So the exception has to differ by caller, and one class cannot be both: a class that is a
``SystemExit`` and one of our ``Exception`` types (``OverrideError`` is a ``ValueError``) is
caught by Modal's ``except Exception`` and gets the panel again; a plain ``SystemExit`` would
escape a library user's ``except OverrideError`` and end their program. Hence: while Modal's CLI
imports a script (``modal._runtime.execution_context._in_import_context()``, set only by
``import_file_or_module``'s ``_import_context``), the mistake is raised as
``SystemExit("error: <one line>")``; everywhere else (``build_app`` called from Python, a test,
a notebook) as the catchable ``OverrideError`` / ``UnknownProfileError`` / ``PluginError``,
without our internal frames. ``_in_import_context`` is private to Modal: if a later modal drops
it, ``under_modal_cli`` answers False and the message still comes, inside Modal's panel.
A deploy script that wants to handle the mistake itself under ``modal deploy`` calls
``load_profile(name)`` first (it always raises the catchable errors) and passes the Profile.
"""

from __future__ import annotations

import sys


def under_modal_cli() -> bool:
    """True while Modal's CLI (``modal deploy``/``run``/``serve``/``shell``) imports a script."""
    try:
        from modal._runtime.execution_context import _in_import_context  # modal 1.6.4
    except ImportError:  # a modal without it: fall back to the catchable exception
        return False
    return bool(_in_import_context())


def user_error(exc: BaseException, profile: object) -> BaseException | None:
    """The exception to raise instead of ``exc`` when ``exc`` is a user's mistake (a bad override,
    an unknown profile, a broken plugin); None for anything else (a bug keeps its traceback)."""
    from modal_llm_deploy.profile.overrides import OverrideError
    from modal_llm_deploy.profile.plugins import PluginError, UnknownProfileError

    if isinstance(exc, (OverrideError, PluginError, UnknownProfileError)):
        err: BaseException = exc.with_traceback(None)
    elif isinstance(profile, str) and _is_validation_error(exc):
        # A bad value in `overrides` or `file`: one line naming the field, as the
        # environment's overrides get, instead of pydantic's frames.
        from modal_llm_deploy.profile.overrides import format_validation_error

        err = OverrideError(f"{profile}: {format_validation_error(exc)}")
    else:
        return None
    if under_modal_cli():
        return SystemExit(f"error: {' '.join(str(err).split())}")
    return err


def _is_validation_error(exc: BaseException) -> bool:
    pydantic = sys.modules.get("pydantic")  # only loaded if something was validated
    return pydantic is not None and isinstance(exc, pydantic.ValidationError)
