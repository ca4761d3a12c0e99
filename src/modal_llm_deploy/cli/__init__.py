"""``modal-llm-deploy``: list profiles, show plans, run the container steps locally, and set up,
deploy and operate the app on Modal.

Thin by design: every command loads a profile, builds the plan and calls a step function or
Modal's Python API. Bad input exits 2 with one line on stderr; a failed step exits 1 with one
line; no tracebacks.

One module per command group, each registering its commands on ``app``:
``local`` (profiles, plan), ``steps`` (download, compile, verify, serve on local directories),
``modal_cmds`` (setup, deploy, url, scale: need a Modal token), ``operate`` (smoke, bench,
logs, triage, cost), ``revision`` (online: the sha a ref resolves to and the override to pin it).
Only ``modal_cmds`` imports
Modal, and only inside its commands, so the local commands start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from pydantic import ValidationError
from rich.console import Console

from .. import load_profile
from ..overrides import OverrideError, format_validation_error, parse_set_options
from ..plugins import PluginError, UnknownProfileError
from ..profile import Profile
from ..steps import StepError

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
        from .. import __version__

        print(f"modal-llm-deploy {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                 help="Print the version and exit."),
) -> None:
    """Deploy very large open LLMs on Modal with SGLang. Profiles in, a complete Modal app out."""
# Piped output (CI logs, `| less`) gets a wide console instead of rich's 80-column default,
# unless COLUMNS says otherwise (rich reads it when width is None).
out = Console(highlight=False, soft_wrap=True,
              width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)

ProfileArg = typer.Argument(..., metavar="PROFILE", help="Profile name (see `modal-llm-deploy profiles`).")
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


# Register the command groups (each module adds its commands to `app`).
from . import local, steps, modal_cmds  # noqa: E402,F401
from . import operate  # noqa: E402,F401  (smoke, bench, logs, triage, cost: issue 9)
from . import revision  # noqa: E402,F401  (resolve a ref to the sha that pins it: issue 7)

def main() -> None:
    app()


if __name__ == "__main__":
    main()
