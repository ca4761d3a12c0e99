"""Local, offline commands: `profiles` and `plan`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from modal_llm_deploy.cli.common import (
    FileOpt,
    ProfileArg,
    SetOpt,
    _guard,
    _load,
    app,
    out,
)
from modal_llm_deploy.cli.tables import argv_lines, pairs, per_month, records
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.profile.plugins import broken_plugins, list_profiles
from modal_llm_deploy.profile.topology import describe as describe_topology
from modal_llm_deploy.profile.topology import describe_rows as topology_rows

# --- profiles & plan ---------------------------------------------------------------------------


@app.command()
def profiles(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List installed profiles: name, model, GPU, plugin."""

    def run() -> None:
        rows = list_profiles()
        broken = broken_plugins()  # also reported on stderr, one line each
        if as_json:
            # A broken plugin is a row too (name null, or the profile's name when only that
            # profile was set aside; "error" says what to fix), so a script sees it; working
            # rows have "error": null.
            print(json.dumps([
                {"name": r.profile.name, "model": r.profile.model.repo_id, "gpu": r.profile.hardware.modal_gpu,
                 "plugin": r.plugin, "distribution": r.distribution, "description": r.profile.description,
                 "error": None}
                for r in rows
            ] + [
                {"name": b.profile, "model": None, "gpu": None, "plugin": b.plugin, "distribution": b.distribution,
                 "description": None, "error": str(b)}
                for b in broken
            ], indent=2))
            return
        table = [
            [r.profile.name, r.profile.model.repo_id, r.profile.hardware.modal_gpu,
             f"{r.plugin} ({r.distribution})" if r.distribution else r.plugin, r.profile.description]
            for r in rows
        ] + [
            ["BROKEN" if b.profile is None else f"{b.profile} (BROKEN)", "-", "-", f"{b.plugin} ({b.distribution})" if b.distribution else b.plugin,
             f"{b.problem}; {b.fix}"]
            for b in broken
        ]
        records(out, ["profile", "model", "GPU", "plugin", "description"], table, prose=[4])

    _guard(run)


@app.command()
def plan(
    profile: str = ProfileArg,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Show the offline deployment plan (no Modal needed).

    Images, containers, volumes, secret names, SGLang argv, kernel key, cost, next commands."""

    def run() -> None:
        p = build_plan(_load(profile, sets, file))
        if as_json:
            print(p.model_dump_json(indent=2))
        else:
            print_plan(p)

    _guard(run)


def print_plan(p: DeploymentPlan) -> None:
    s, w, k, c = p.server, p.weights, p.kernel_cache, p.cost
    # Prose wraps between words at the terminal's width; commands and argv never wrap inside
    # a word (soft_wrap), so they can be copied.
    out.print(f"[bold]{p.profile}[/] → Modal app [bold]{p.app_name}[/]  ({p.description})", soft_wrap=False)
    out.print(f"plugin {p.plugin} ({p.plugin_module}); SGLang {p.sglang_version}; GPU arch {p.gpu_arch}\n", soft_wrap=False)

    from modal_llm_deploy.plan.pinning import revision_display

    # the key directory is mount + key (90 columns for a multi-node key): name the key, shown in
    # full on its own row below, instead of repeating it where it would not fit 80 columns
    key_dir = f"{k.dir[:-len(k.key)]}<kernel key>" if k.key and k.dir.endswith("/" + k.key) else k.dir
    rows = [
        ("model", f"{w.repo_id} @ {revision_display(p)}"),
        ("topology", describe_topology(p.topology)),  # issue 10: nodes × GPUs, TP/PP/DP, memory fit
        *topology_rows(p.topology),  # issue 14: layout, bind and peer family, heads per rank and padding
        ("weights", f"volume {w.volume} → {w.dir} (~{w.expected_size_bytes / 1e9:.0f} GB)"),
        ("kernel cache", f"volume {k.volume} → {key_dir}" if k.enabled else "off"),
        ("SGLang image", p.images["sglang"].release_note or p.images["sglang"].ref or "-"),
    ]
    if k.enabled:
        # the marker's full path (90+ columns) would not fit a terminal line: name + where
        # A ref profile's key holds the {revision} placeholder until the download records the
        # commit (plan/build.py pinned_to): say what fills it, so no one takes it for a literal path.
        rev = "" if k.revision_pinned else "{revision}: 12 hex of the commit the download records; "
        rows += [("kernel key", f"{k.key} ({rev}last part: hash of the kernel-shaping arguments)"),
                 ("kernel marker", f"{Path(k.marker_path).name} in that key directory"),
                 ("cold JIT", (
                     f"ALLOWED (kernel_cache.allow_cold_jit): a server without compiled kernels JIT-compiles them "
                     f"itself; +{k.cold_jit_estimate_s} s in the startup estimate" if k.allow_cold_jit else
                     "refused: a server without compiled kernels for its key does not start (run the compile step; "
                     "kernel_cache.allow_cold_jit=true to allow)"))]
    rows.append(("SGLang caches", f"{k.work_dir} in compile and serve" + (
        f"; compiled tree published to {key_dir}" if k.enabled else " (not kept: no compile step)")))
    auth = f"API key from secret {s.api_key_secret}:{s.api_key_env}" if s.auth == "api_key" else "PUBLIC (no API key)"
    rows += [
        ("server", f"port {s.port}, {auth}" + (", + Modal proxy auth" if s.modal_proxy_auth else "")),
        ("autoscaling", f"min {s.min_containers} / max {s.max_containers} containers, scaledown {s.scaledown_window_s} s, "
                        f"concurrency target {s.target_concurrency:g} / max {s.max_concurrency}"),
        ("startup", f"timeout {s.startup_timeout_s} s (estimate {s.startup_estimate_s} s), exit grace {s.exit_grace_period_s} s"),
    ]
    pairs(out, rows)
    if p.topology.layout_warning:  # issue 14: a supported layout crosses nodes less or pads less
        # one line (soft_wrap: the terminal wraps it, we don't); markup off: it cites "[source: ...]"
        out.print(f"warning: {p.topology.layout_warning}", soft_wrap=True, markup=False, highlight=False)
    out.print()

    units = []
    for unit in p.units:
        vols = "\n".join(f"{m.volume} → {m.path} ({'ro' if m.read_only else 'rw'})" for m in unit.volumes)
        timeout = "-" if unit.timeout_s is None else f"{unit.timeout_s} s"  # a server runs until scaled down
        units.append([unit.name, unit.role, unit.image, unit.gpu or "CPU", vols, "\n".join(unit.secrets) or "-", timeout])
    records(out, ["unit", "role", "image", "GPU", "volumes", "secrets", "timeout"], units)
    out.print()
    records(out, ["cache", "env var", "path", "holds"], [[c.name, c.env, c.path, c.holds] for c in k.caches], prose=[3])

    out.print("\n[bold]server argv[/] (--api-key is added in the container from the secret):")
    out.print(argv_lines(p.sglang_argv, out.width), soft_wrap=True, markup=False)
    if p.compile_argv:
        out.print("\n[bold]compile argv[/]:")
        out.print(argv_lines(p.compile_argv, out.width), soft_wrap=True, markup=False)
    out.print(
        f"\n[bold]cost[/] ({c.gpu} at ${c.gpu_usd_per_hour:.2f}/GPU-h): ${c.server_usd_per_hour:.2f}/h per container, "
        + (f"${c.cluster_usd_per_hour:.2f}/h per {p.topology.nodes}-node cluster (one replica), "
           if p.topology.nodes > 1 else "")
        + f"${c.idle_usd_per_hour:.2f}/h idle{per_month(c.idle_usd_per_hour)}, up to ${c.max_usd_per_hour:.2f}/h at max scale; "
        f"kernel compile once ≈ ${c.compile_once_usd:.2f} (again after any kernel-shaping flag change: new key), "
        f"download once ≈ ${c.download_once_usd:.2f}. {c.note}",
        soft_wrap=False,
    )
    from modal_llm_deploy.cli.operate import print_operate_plan

    print_operate_plan(p)  # issue 9: keep-warm windows and cold-start budgets (cli/operate.py)
    from modal_llm_deploy.cli.evalgate import print_accuracy_plan

    print_accuracy_plan(p)  # issue 17: each gate tier, its threshold and source (cli/evalgate.py)
    print_next(p)


def print_next(p: DeploymentPlan) -> None:
    """From a fresh machine to a running server: the venv, Modal's login, the secrets the profile
    names, then setup and deploy. Every line comes from the printer (plan/commands.py) and carries
    the overrides in effect; one command per line, never wrapped (copyable)."""
    from modal_llm_deploy.base.envvars import PROXY_KEY_ENV, PROXY_SECRET_ENV
    from modal_llm_deploy.plan.commands import FIRST_STEPS, NEXT_CLI, NEXT_SCRIPT, activate_venv

    def show(cmd: str) -> None:
        out.print(f"  {cmd}", markup=False, soft_wrap=True)

    out.print("\n[bold]next[/], from a fresh machine:")
    venv = activate_venv()  # the try-it command installs into a venv: `modal` is on PATH once it is active
    for cmd in ([venv] if venv else []) + [p.commands["modal_setup"]]:
        show(cmd)
    secrets = [k for k in FIRST_STEPS if k != "modal_setup" and k in p.commands]
    if secrets:
        what = {"hf_secret": [f"{p.weights.token_env} (your Hugging Face token)"],
                "api_key_secret": [f"{p.server.api_key_env} (the key clients will send)"],
                "proxy_secret": [f"{PROXY_KEY_ENV}/{PROXY_SECRET_ENV} (a Modal proxy auth token)"]}
        out.print(f"  with {', '.join(w for k in secrets for w in what[k])} exported in this shell (the "
                  "commands read them; no value is printed):", markup=False, soft_wrap=False)
        for k in secrets:
            show(p.commands[k])
    for k in NEXT_CLI:
        show(p.commands[k])
    out.print("or, with a deploy script:")
    for k in NEXT_SCRIPT:
        show(p.commands[k])
