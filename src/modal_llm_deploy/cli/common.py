"""The typer app every command group registers on, the options they share, and the one guard
that turns a user's mistake into one line and an exit code (2 for bad input, a step's own
code for a failed step)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from pydantic import ValidationError
from rich.console import Console, ConsoleDimensions

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.plan.commands import cli_usage
from modal_llm_deploy.profile.loader import load_profile
from modal_llm_deploy.profile.model import Profile
from modal_llm_deploy.profile.overrides import (
    OverrideError,
    format_validation_error,
    parse_set_options,
)
from modal_llm_deploy.profile.plugins import PluginError, UnknownProfileError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    # click's plain help: typer's rich panels label every flag "<bool>" ("--json <bool>"), which
    # reads as if the flag took a value (typer 0.29, core.py display_type).
    rich_markup_mode=None,
    help="Deploy very large open LLMs on Modal with SGLang. Profiles in, a complete Modal app out.",
)


def _version(value: bool) -> None:
    if value:
        from modal_llm_deploy.base.version import __version__

        print(f"modal-llm-deploy {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                 help="Print the version and exit."),
) -> None:
    """Deploy very large open LLMs on Modal with SGLang. Profiles in, a complete Modal app out."""
# A terminal gets its own width; piped output (CI logs, `| less`, a file) 80 columns, unless
# COLUMNS says otherwise (rich reads it when width is None). Rich alone would take a piped
# stdout's width from stdin or stderr when those are terminals (rich/console.py: Console.size
# tries each standard stream), so piped is decided here, on stdout. soft_wrap=True: a command
# printed with out.print stays one line (copyable); prose passes soft_wrap=False to wrap.
class _Console(Console):
    """Decides at each print, not at import: a command run by a caller that sets COLUMNS later
    (a test runner, a wrapper script) gets that width (rich/console.py: ``options`` and ``width``
    both read ``size``)."""

    @property
    def size(self) -> ConsoleDimensions:
        real = Console.size.fget(self)
        if self._width is None and not (sys.stdout.isatty() or os.environ.get("COLUMNS")):
            return ConsoleDimensions(80, real.height)
        return real

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)


out = _Console(highlight=False, soft_wrap=True)

ProfileArg = typer.Argument(..., metavar="PROFILE", help=f"Profile name (see `{cli_usage('profiles')}`).")
SetOpt = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override a profile field, e.g. serving.max_containers=5 (repeatable).")
FileOpt = typer.Option(None, "--file", "-f", metavar="TOML", help="TOML file of overrides.")


class UsageError(Exception):
    """Bad input: exit 2."""


def _fail(msg: str, code: int) -> None:
    # rich would wrap long lines; the contract is one line.
    sys.stderr.write(f"error: {msg}\n")
    raise typer.Exit(code)


def _load(name: str, sets: Optional[list[str]], file: Optional[Path], extra: dict[str, Any] | None = None) -> Profile:
    overrides = parse_set_options(sets or [])
    if extra:
        overrides.update(extra)
    return load_profile(name, overrides, file)


def _guard(fn: Callable[[], None]) -> None:
    try:
        fn()
    except (UnknownProfileError, OverrideError, UsageError, PluginError) as exc:
        _fail(str(exc), 2)
    except ValidationError as exc:
        _fail(format_validation_error(exc), 2)
    except StepError as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
