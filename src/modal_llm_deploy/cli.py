"""``modal-llm-deploy``: list profiles, show plans, and run the container steps locally.

Thin by design: every command loads a profile, builds the plan and calls a step function.
Bad input exits 2 with one line on stderr; a failed step exits 1 with one line; no tracebacks.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from . import load_profile
from .overrides import OverrideError, format_validation_error, parse_set_options
from .local_engine import version_mismatch
from .plan import DeploymentPlan, build_plan
from .topology import describe as describe_topology
from .plugins import PluginError, UnknownProfileError, list_profiles
from .profile import Profile
from .steps import StepError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Deploy very large open LLMs on Modal with SGLang. Profiles in, a complete Modal app out.",
)
# Piped output (CI logs, `| less`) gets a wide console instead of rich's 80-column default.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)

SetOpt = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override a profile field, e.g. serving.max_containers=5 (repeatable).")
FileOpt = typer.Option(None, "--file", "-f", metavar="TOML", help="TOML file of overrides.")


def _table(*headers: str, **kw: Any) -> Table:
    """Values wrap instead of being cut with "…": a volume or secret name must be readable."""
    t = Table(**kw)
    for h in headers:
        t.add_column(h, overflow="fold")
    return t


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


# --- profiles & plan ---------------------------------------------------------------------------


@app.command()
def profiles(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List installed profiles: name, model, GPU, plugin."""

    def run() -> None:
        rows = list_profiles()
        if as_json:
            print(json.dumps([
                {"name": r.profile.name, "model": r.profile.model.repo_id, "gpu": r.profile.hardware.modal_gpu,
                 "plugin": r.plugin, "distribution": r.distribution, "description": r.profile.description}
                for r in rows
            ], indent=2))
            return
        t = _table("profile", "model", "GPU", "plugin", "description")
        for r in rows:
            t.add_row(r.profile.name, r.profile.model.repo_id, r.profile.hardware.modal_gpu,
                      f"{r.plugin} ({r.distribution})" if r.distribution else r.plugin, r.profile.description)
        out.print(t)

    _guard(run)


@app.command()
def plan(
    profile: str = typer.Argument(..., help="Profile name (see `modal-llm-deploy profiles`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Show the offline deployment plan: images, containers, volumes, SGLang argv, cost."""

    def run() -> None:
        p = build_plan(_load(profile, sets, file))
        if as_json:
            print(p.model_dump_json(indent=2))
        else:
            print_plan(p)

    _guard(run)


def print_plan(p: DeploymentPlan) -> None:
    s, w, k, c = p.server, p.weights, p.kernel_cache, p.cost
    out.print(f"[bold]{p.profile}[/] → Modal app [bold]{p.app_name}[/]  ({p.description})")
    out.print(f"plugin {p.plugin} ({p.plugin_module}); SGLang {p.sglang_version}; GPU arch {p.gpu_arch}\n")

    t = _table("setting", "value", show_header=False, box=None)
    t.add_row("model", f"{w.repo_id} @ {w.revision}")
    t.add_row("topology", describe_topology(p.topology))  # issue 10: nodes × GPUs, TP/PP/DP, memory fit
    t.add_row("weights", f"volume {w.volume} → {w.dir} (~{w.expected_size_bytes / 1e9:.0f} GB)")
    t.add_row("kernel cache", f"volume {k.volume} → {k.dir}" if k.enabled else "off")
    if k.enabled:
        t.add_row("kernel key", f"{k.key} (last part: hash of the kernel-shaping arguments)")
        t.add_row("kernel marker", k.marker_path)
        t.add_row("cold JIT", (
            f"ALLOWED (kernel_cache.allow_cold_jit): a server without compiled kernels JIT-compiles them "
            f"itself; +{k.cold_jit_estimate_s} s in the startup estimate" if k.allow_cold_jit else
            "refused: a server without compiled kernels for its key does not start (run the compile step; "
            "kernel_cache.allow_cold_jit=true to allow)"))
    t.add_row("SGLang caches", f"{k.work_dir} in compile and serve" + (
        f"; compiled tree published to {k.dir}" if k.enabled else " (not kept: no compile step)"))
    auth = f"API key from secret {s.api_key_secret}:{s.api_key_env}" if s.auth == "api_key" else "PUBLIC (no API key)"
    t.add_row("server", f"port {s.port}, {auth}" + (", + Modal proxy auth" if s.modal_proxy_auth else ""))
    t.add_row("autoscaling", f"min {s.min_containers} / max {s.max_containers} containers, scaledown {s.scaledown_window_s} s, "
              f"concurrency target {s.target_concurrency:g} / max {s.max_concurrency}")
    t.add_row("startup", f"timeout {s.startup_timeout_s} s (estimate {s.startup_estimate_s} s), exit grace {s.exit_grace_period_s} s")
    out.print(t)

    u = _table("unit", "role", "image", "GPU", "volumes", "secrets", "timeout")
    for unit in p.units:
        vols = "\n".join(f"{m.volume} → {m.path} ({'ro' if m.read_only else 'rw'})" for m in unit.volumes)
        timeout = "-" if unit.timeout_s is None else f"{unit.timeout_s} s"  # a server runs until scaled down
        u.add_row(unit.name, unit.role, unit.image, unit.gpu or "CPU", vols, ", ".join(unit.secrets) or "-", timeout)
    out.print(u)

    ct = _table("cache", "env var", "path", "holds")
    for loc in k.caches:
        ct.add_row(loc.name, loc.env, loc.path, loc.holds)
    out.print(ct)

    out.print("\n[bold]server argv[/] (--api-key is added in the container from the secret):")
    out.print(shlex.join(p.sglang_argv))
    if p.compile_argv:
        out.print("\n[bold]compile argv[/]:")
        out.print(shlex.join(p.compile_argv))
    out.print(
        f"\n[bold]cost[/] ({c.gpu} at ${c.gpu_usd_per_hour:.2f}/GPU-h): ${c.server_usd_per_hour:.2f}/h per container, "
        + (f"${c.cluster_usd_per_hour:.2f}/h per {p.topology.nodes}-node cluster (one replica), "
           if p.topology.nodes > 1 else "")
        + f"${c.idle_usd_per_hour:.2f}/h idle, up to ${c.max_usd_per_hour:.2f}/h at max scale; "
        f"kernel compile once ≈ ${c.compile_once_usd:.2f} (again after any kernel-shaping flag change: new key), "
        f"download once ≈ ${c.download_once_usd:.2f}. {c.note}"
    )
    out.print("\n[bold]next[/]: " + "  →  ".join(p.commands[x] for x in ("setup", "deploy")))


# --- local twins of the container steps --------------------------------------------------------

WeightsDir = typer.Option(..., "--weights-dir", help="Local directory standing in for the weights volume.")
CacheDir = typer.Option(..., "--cache-dir", help="Local directory standing in for the kernel-cache volume.")
PythonOpt = typer.Option(sys.executable, "--python", help="Interpreter that has SGLang (for compile/serve).")


def _local_plan(profile: str, sets, file, weights_dir: Path, cache_dir: Path, python: str | None = None) -> DeploymentPlan:
    """The same plan, with the volume mounts pointed at local directories."""
    extra: dict[str, Any] = {
        "storage.weights_mount": str(weights_dir.resolve()),
        "storage.cache_mount": str(cache_dir.resolve()),
    }
    if python:
        extra["engine.python"] = python
    from .steps.caches import local_work_dir

    # compile and serve with the same --cache-dir run SGLang's caches at the same absolute path
    return build_plan(_load(profile, sets, file, extra), cache_work_dir=str(local_work_dir(cache_dir)))


def _one_node(p: DeploymentPlan, what: str) -> None:
    """A multi-node profile cannot compile or serve on this one machine: its SGLang would wait for
    the other nodes forever (topology.py). Say so instead of hanging."""
    if p.topology.nodes > 1:
        raise UsageError(
            f"profile {p.profile!r} spans hardware.nodes={p.topology.nodes} machines: local {what} runs one node "
            f"only; use {p.commands['setup']} / {p.commands['deploy']} (a Modal cluster), or --set hardware.nodes=1 "
            "with a tensor_parallel_size that fits this machine"
        )


def _local_fixes(profile: str, weights_dir: Path, cache_dir: Path, sets=None, file=None):
    from .steps.verify import Fixes

    dirs = f"--weights-dir {shlex.quote(str(weights_dir))} --cache-dir {shlex.quote(str(cache_dir))}"
    # The same overrides: a kernel-shaping --set is part of the kernel key the fix must build.
    dirs += "".join(f" --set {shlex.quote(x)}" for x in sets or [])
    dirs += f" --file {shlex.quote(str(file))}" if file else ""
    return Fixes(
        download=f"modal-llm-deploy download {profile} {dirs}",
        compile=f"modal-llm-deploy compile {profile} {dirs}",
    )


@app.command()
def download(profile: str, weights_dir: Path = WeightsDir, cache_dir: Path = typer.Option(Path("."), "--cache-dir", hidden=True),
             sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Download the pinned weights into a local directory (token from HF_TOKEN)."""

    def run() -> None:
        import os

        from .steps.download import RetryPolicy, download_weights

        p = _local_plan(profile, sets, file, weights_dir, cache_dir)
        w = p.weights
        download_weights(
            w.repo_id, w.revision, Path(w.dir), allow_patterns=w.allow_patterns,
            token=os.environ.get(w.token_env) or None,
            retry=RetryPolicy(attempts=w.attempts, delays_s=tuple(w.backoff_s)),
            max_workers=w.max_workers,
        )

    _guard(run)


@app.command("compile")
def compile_cmd(profile: str, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir, python: str = PythonOpt,
                force: bool = typer.Option(False, "--force", help="Recompile even if the marker exists."),
                sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Pre-compile DeepGEMM kernels on this machine's GPU into the cache directory."""

    def run() -> None:
        from .runtime import kernel_expectation
        from .steps.deepgemm import compile_deepgemm

        p = _local_plan(profile, sets, file, weights_dir, cache_dir, python)
        _one_node(p, "compile/serve")
        if msg := version_mismatch(p.sglang_argv[0], p.sglang_version):  # flags proven for one release
            raise UsageError(msg)
        kernel = kernel_expectation(p)
        if kernel is None or p.compile_argv is None:
            raise UsageError(f"profile {profile!r} has kernel_cache.deepgemm=false: nothing to compile")
        compile_deepgemm(
            argv=p.compile_argv, weights_dir=Path(p.weights.dir), cache_root=cache_dir.resolve(),
            kernel=kernel, revision=p.weights.revision, fixes=_local_fixes(profile, weights_dir, cache_dir, sets, file), force=force,
            work_dir=Path(p.kernel_cache.work_dir),
        )

    _guard(run)


@app.command()
def verify(profile: str, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir,
           deep: bool = typer.Option(False, "--deep", help="Also sha256 every file against the manifest."),
           sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Prove the weights and the kernel cache are complete for this profile."""

    def run() -> None:
        from .runtime import kernel_expectation
        from .steps.verify import verify_setup

        p = _local_plan(profile, sets, file, weights_dir, cache_dir)
        report = verify_setup(
            Path(p.weights.dir), cache_dir.resolve(), revision=p.weights.revision,
            kernel=kernel_expectation(p), fixes=_local_fixes(profile, weights_dir, cache_dir, sets, file), deep=deep,
        )
        if not report.ok:  # the report already logged each problem with its fix command
            raise typer.Exit(1)

    _guard(run)


@app.command()
def serve(profile: str, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir, python: str = PythonOpt,
          sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Run the SGLang server locally, supervised exactly as in the Modal container.

    The API key comes from the variable the profile names (API_KEY by default)."""

    def run() -> None:
        import os

        from .runtime import kernel_expectation
        from .steps.serve import prepare_serve, serve_forever

        p = _local_plan(profile, sets, file, weights_dir, cache_dir, python)
        _one_node(p, "compile/serve")
        if msg := version_mismatch(p.sglang_argv[0], p.sglang_version):  # flags proven for one release
            raise UsageError(msg)
        s = p.server
        api_key = None
        if s.auth == "api_key":
            api_key = os.environ.get(s.api_key_env)
            if not api_key:
                raise UsageError(f"{s.api_key_env} is not set: export the API key clients will send (or --set serving.public=true --set serving.api_key_secret=none)")
        env = prepare_serve(  # refuses incomplete weights before SGLang spends minutes loading
            Path(p.weights.dir), cache_dir.resolve(), revision=p.weights.revision, kernel=kernel_expectation(p),
            fixes=_local_fixes(profile, weights_dir, cache_dir, sets, file), deepgemm=p.kernel_cache.enabled,
            allow_cold_jit=p.kernel_cache.allow_cold_jit, work_dir=Path(p.kernel_cache.work_dir),
        )
        code = serve_forever(
            p.sglang_argv, env={**p.unit("serve").env, **env}, port=s.port, ready_timeout_s=s.startup_timeout_s,
            grace_s=s.exit_grace_period_s, api_key=api_key, served_model_name=s.served_name,
        )
        raise typer.Exit(code)

    _guard(run)


# --- operate a deployed app (needs a Modal token) --------------------------------------------


def _deployed_server(p: DeploymentPlan):
    import modal

    return modal.Server.from_name(p.app_name, p.server.unit)


def _modal_call(what: str, fn: Callable[[], Any]) -> Any:
    """Run a call against Modal; any failure (no token, app not deployed) is one line, exit 1."""
    import modal.exception

    try:
        return fn()
    except (modal.exception.Error, OSError) as exc:
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise StepError(f"{what}: {msg}") from None


@app.command()
def url(profile: str, sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Print the deployed server's URL (after `modal deploy`)."""

    def run() -> None:
        p = build_plan(_load(profile, sets, file))
        print(_modal_call(f"looking up {p.app_name}/{p.server.unit}", lambda: _deployed_server(p).get_url()))

    _guard(run)


@app.command()
def scale(
    profile: str,
    min_containers: Optional[int] = typer.Option(None, "--min", help="Containers kept warm (0 = scale to zero)."),
    max_containers: Optional[int] = typer.Option(None, "--max", help="Container ceiling (cost cap)."),
    buffer_containers: Optional[int] = typer.Option(None, "--buffer", help="Idle headroom under load."),
    scaledown_window_s: Optional[int] = typer.Option(None, "--scaledown", help="Idle seconds before scale-down (2..3600)."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Change a deployed server's autoscaling now, without a redeploy (a redeploy resets it).

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
        out.print(f"{p.app_name}/{s.unit}: min {now.min_containers or 0}, max {now.max_containers}, buffer "
                  f"{now.buffer_containers or 0}, scaledown {now.scaledown_window} s (until the next deploy); "
                  f"idle cost now ${(now.min_containers or 0) * p.cost.server_usd_per_hour:.2f}/h")

    _guard(run)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
