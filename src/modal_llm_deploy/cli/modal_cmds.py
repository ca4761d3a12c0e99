"""Commands that talk to Modal (need a token): setup, deploy, url, scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

import typer

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.cli.common import (
    FileOpt,
    ProfileArg,
    SetOpt,
    UsageError,
    _guard,
    _load,
    app,
    out,
)
from modal_llm_deploy.cli.tables import per_month
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.plan.models import DeploymentPlan

# --- operate a deployed app (needs a Modal token) --------------------------------------------


def _deployed_server(p: DeploymentPlan):
    import modal

    return modal.Server.from_name(p.app_name, p.server.unit)


def _modal_call(what: str, fn: Callable[[], Any], plan: DeploymentPlan | None = None) -> Any:
    """Run a call against Modal; any failure (no token, app not deployed) is one line, exit 1.
    With ``plan``, a secret Modal does not know gets the printer's command that creates it."""
    import modal.exception

    try:
        return fn()
    except (modal.exception.Error, OSError) as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        hint = _missing_secret_hint(plan, msg) if isinstance(exc, modal.exception.NotFoundError) else ""
        raise StepError(f"{what}: {msg}{hint}") from None


def _missing_secret_hint(plan: DeploymentPlan | None, msg: str) -> str:
    """``; create it first (…): modal secret create NAME KEY="${KEY:?}"`` when Modal's not-found
    message names one of the plan's secrets (the first steps ``plan`` prints), else ``""``."""
    import shlex

    for key in ("hf_secret", "api_key_secret", "proxy_secret"):
        cmd = (plan.commands if plan else {}).get(key)
        if cmd and shlex.split(cmd)[3] in msg:  # modal secret create NAME …
            return f"; create it first (with the variable exported): {cmd}"
    return ""


def _built_app(p: DeploymentPlan):
    """The modal.App for this plan and its function handles (modal_app.render, offline)."""
    from modal_llm_deploy.modal_adapter.render import built, render

    modal_app = render(p)
    return modal_app, built(modal_app)[1]


@app.command()
def setup(
    profile: str = ProfileArg,
    deep: bool = typer.Option(False, "--deep", help="Verify also sha256-hashes every file."),
    force_compile: bool = typer.Option(False, "--force-compile", help="Recompile kernels even if the marker exists."),
    skip_preflight: bool = typer.Option(False, "--skip-preflight", help="Do not run `preflight` first."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """On Modal: preflight → download → compile kernels → verify.

    Each step in its own container; a failure stops before the next, more expensive one.

    The same pipeline as `modal run <deploy script>`, without a script (needs a Modal token)."""

    def run() -> None:
        import modal

        from modal_llm_deploy.modal_adapter.render import run_setup

        prof = _load(profile, sets, file)
        p = build_plan(prof)
        if not skip_preflight:
            # issue 16: a failed check stops setup before download_model is called
            from modal_llm_deploy.cli.preflight import checklist

            checklist(prof, p)
        modal_app, handles = _built_app(p)

        current: list[str] = []  # the step whose .remote() is running, for the verdict line

        class _Step:
            def __init__(self, name: str, fn: Any) -> None:
                self.name, self.fn = name, fn

            def remote(self, *a: Any, **kw: Any) -> Any:
                current.append(self.name)
                return self.fn.remote(*a, **kw)

        tracked = {n: _Step(n, f) if f is not None else None for n, f in handles.items()}

        def go() -> None:
            # app.run() creates an ephemeral app (Modal's Python API, as `modal run` does) and
            # streams the containers' logs here; each .remote() waits for its step.
            with modal.enable_output(), modal_app.run():
                try:
                    run_setup(p, tracked, deep_verify=deep, force_compile=force_compile)
                except SystemExit as exc:
                    # A failed step ends its call with SystemExit(code) after printing its one
                    # line (runtime._fail); the client re-raises it here (modal/_utils/
                    # function_utils.py: _process_result deserializes the remote exception).
                    # Unhandled, the CLI would exit silently: say which step stopped setup.
                    step = current[-1] if current else "a step"
                    code = exc.code if isinstance(exc.code, int) and exc.code else 1
                    raise StepError(f"setup of {p.app_name} stopped at {step} (exit {code}); the step's reason is "
                                    f"the line above; fix it, then re-run: {p.commands['setup_cli']}",
                                    exit_code=code) from None

        _modal_call(f"setting up {p.app_name} on Modal", go, p)
        # markup=False: rich would read "[app-name]" as a style tag and drop it (and a
        # command with "[...]" in an override value would lose it too).
        out.print(f"[{p.app_name}] volumes ready. Next: {p.commands['deploy_cli']}", markup=False, soft_wrap=True)

    _guard(run)


@app.command()
def deploy(
    profile: str = ProfileArg,
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Deploy the server on Modal.

    As `modal deploy <deploy script>` does (needs a Modal token).

    Run `setup` first: the server refuses to start on incomplete volumes."""

    def run() -> None:
        import modal

        p = build_plan(_load(profile, sets, file))
        modal_app, _ = _built_app(p)

        def go() -> str:
            with modal.enable_output():
                modal_app.deploy()
            return _deployed_server(p).get_url()

        server_url = _modal_call(f"deploying {p.app_name}", go, p)
        out.print(f"[{p.app_name}] deployed; server URL: {server_url}", markup=False, soft_wrap=True)

    _guard(run)


@app.command()
def url(profile: str = ProfileArg, sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Print the deployed server's URL (after `modal deploy`)."""

    def run() -> None:
        p = build_plan(_load(profile, sets, file))
        print(_modal_call(f"looking up {p.app_name}/{p.server.unit}", lambda: _deployed_server(p).get_url()))

    _guard(run)


@app.command()
def scale(
    profile: str = ProfileArg,
    min_containers: Optional[int] = typer.Option(None, "--min", help="Containers kept warm (0 = scale to zero)."),
    max_containers: Optional[int] = typer.Option(None, "--max", help="Container ceiling (cost cap)."),
    buffer_containers: Optional[int] = typer.Option(None, "--buffer", help="Idle headroom under load."),
    scaledown_window_s: Optional[int] = typer.Option(None, "--scaledown", help="Idle seconds before scale-down (2..3600)."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Change a deployed server's autoscaling now.

    Without a redeploy (a redeploy resets it).

    The new values are validated against the profile first (e.g. --min above --max is refused)."""

    def run() -> None:
        changes = {
            "serving.min_containers": min_containers,
            "serving.max_containers": max_containers,
            "serving.buffer_containers": buffer_containers,
            "serving.scaledown_window_s": scaledown_window_s,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one of --min, --max, --buffer, --scaledown")
        p = build_plan(_load(profile, sets, file, changes))
        s = p.server
        # Send only what the user changed: autoscaler.update leaves unset arguments alone, so
        # `scale --max 5` after `scale --min 1` keeps min at 1 (a profile value would reset it).
        # The values come from the validated plan (modal/_server.py: ServerAutoscaler.update).
        modal_args = {
            "serving.min_containers": ("min_containers", s.min_containers),
            "serving.max_containers": ("max_containers", s.max_containers),
            "serving.buffer_containers": ("buffer_containers", s.buffer_containers),
            "serving.scaledown_window_s": ("scaledown_window", s.scaledown_window_s),
        }
        update = dict(arg for key, arg in modal_args.items() if key in changes)
        now = _modal_call(
            f"updating the autoscaler of {p.app_name}/{s.unit}",
            lambda: _deployed_server(p).autoscaler.update(**update),
        )
        # Modal answers with the settings now in force (changed and unchanged ones).
        idle = (now.min_containers or 0) * p.cost.server_usd_per_hour
        out.print(f"{p.app_name}/{s.unit}: min {now.min_containers or 0}, max {now.max_containers}, buffer "
                  f"{now.buffer_containers or 0}, scaledown {now.scaledown_window} s (until the next deploy); "
                  f"idle cost now ${idle:.2f}/h{per_month(idle)}")

    _guard(run)


