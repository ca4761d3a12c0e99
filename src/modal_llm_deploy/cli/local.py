"""Local, offline commands: `profiles` and `plan`."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Optional

import typer

from ..plan import DeploymentPlan, build_plan
from ..plugins import list_profiles
from . import FileOpt, SetOpt, _guard, _load, _table, app, out


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
    t.add_row("weights", f"volume {w.volume} → {w.dir} (~{w.expected_size_bytes / 1e9:.0f} GB)")
    t.add_row("kernel cache", f"volume {k.volume} → {k.dir}" if k.enabled else "off")
    if k.enabled:
        t.add_row("kernel key", k.key)
        t.add_row("kernel marker", k.marker_path)
    auth = f"API key from secret {s.api_key_secret}:{s.api_key_env}" if s.auth == "api_key" else "PUBLIC (no API key)"
    t.add_row("server", f"port {s.port}, {auth}" + (", + Modal proxy auth" if s.modal_proxy_auth else ""))
    t.add_row("autoscaling", f"min {s.min_containers} / max {s.max_containers} containers, scaledown {s.scaledown_window_s} s, "
              f"concurrency target {s.target_concurrency:g} / max {s.max_concurrency}")
    t.add_row("startup", f"timeout {s.startup_timeout_s} s (estimate {s.startup_estimate_s} s), exit grace {s.exit_grace_period_s} s")
    out.print(t)

    u = _table("unit", "role", "image", "GPU", "volumes", "secrets", "timeout")
    for unit in p.units:
        vols = "\n".join(f"{m.volume} → {m.path} ({'ro' if m.read_only else 'rw'})" for m in unit.volumes)
        timeout = "-" if unit.role == "serve" else f"{unit.timeout_s} s"  # a server runs until scaled down
        u.add_row(unit.name, unit.role, unit.image, unit.gpu or "CPU", vols, ", ".join(unit.secrets) or "-", timeout)
    out.print(u)

    out.print("\n[bold]server argv[/] (--api-key is added in the container from the secret):")
    out.print(shlex.join(p.sglang_argv))
    if p.compile_argv:
        out.print("\n[bold]compile argv[/]:")
        out.print(shlex.join(p.compile_argv))
    out.print(
        f"\n[bold]cost[/] ({c.gpu} at ${c.gpu_usd_per_hour:.2f}/GPU-h): ${c.server_usd_per_hour:.2f}/h per container, "
        f"${c.idle_usd_per_hour:.2f}/h idle, up to ${c.max_usd_per_hour:.2f}/h at max scale; "
        f"kernel compile once ≈ ${c.compile_once_usd:.2f}, download once ≈ ${c.download_once_usd:.2f}. {c.note}"
    )
    # Both forms carry the overrides in effect (commands.py), so they act on this deployment.
    out.print("\n[bold]next[/]: " + "  →  ".join(p.commands[x] for x in ("setup_cli", "deploy_cli")))
    out.print("  or, with a deploy script: " + "  →  ".join(p.commands[x] for x in ("setup", "deploy")))


