"""CLI: ``modal-llm-deploy eval PROFILE`` — the accuracy gate (operate/evalgate.py, issue 17).

Thin: load the profile, show the tier, its threshold with its source and its expected cost,
then run the gate — in the app's ``eval_accuracy`` function (Modal, in the server's region)
or, with ``--url``, here against any server — print the record and exit on its verdict:
0 pass (or unsourced: a warning), 1 below the threshold or a run with failed requests, 2 when
the server or its credentials are not usable (reported as such, never as a score).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from modal_llm_deploy.cli.common import FileOpt, SetOpt, UsageError, _guard, _load, app, out
from modal_llm_deploy.profile.sections import UNSOURCED

EXIT = {"pass": 0, "warn-unsourced": 0, "fail-score": 1, "fail-run": 1, "error": 2}


def eval_gate(
    profile: str = typer.Argument(..., help="Profile whose server to evaluate."),
    tier: str = typer.Option("quick", "--tier", help="quick (minutes, every deploy) or thorough (hours)."),
    url: Optional[str] = typer.Option(None, "--url", help="Evaluate this server from here instead of in Modal."),
    python: Optional[str] = typer.Option(None, "--python", help="With --url: the interpreter with SGLang's eval harness (default: this one)."),
    sys_path: Optional[list[str]] = typer.Option(None, "--sys-path", help="With --url: a directory appended to the harness's sys.path (repeatable)."),
    data: Optional[Path] = typer.Option(None, "--data", help="With --url: a local GSM8K-format JSONL (run_eval's --gsm8k-data-path)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="Variable holding the API key (default: the profile's)."),
    record_reference: Optional[Path] = typer.Option(None, "--record-reference", help="On a known-good deployment: write the score as the tier's reference to this TOML file."),
    yes: bool = typer.Option(False, "--yes", help="Start a thorough run after its cost is printed."),
    save: Optional[Path] = typer.Option(None, "--save", help="Also write the record (JSON) here."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable record."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Accuracy gate: SGLang's own eval against the server.

    Checks /health and the key first; exit 1 below the profile's threshold or when requests
    failed."""

    def run() -> None:
        from modal_llm_deploy.plan.build import build_plan

        prof = _load(profile, sets, file)
        plan = build_plan(prof)
        t = _tier(plan, tier)
        _print_intro(plan, tier, t)
        if t.harness != "run_eval":  # printed above with its cost; say loudly that it cannot run
            raise UsageError(f"accuracy.{tier} ({t.eval}) is scored by sgl-eval (sglang.test.sgl_eval_utils.run_sgl_eval), "
                             "which this gate does not drive yet: run sgl-eval by hand against the server and compare "
                             "with the threshold above (docs/accuracy.md)")
        if tier == "thorough" and not yes:
            raise UsageError("a thorough run costs the figure above: pass --yes to start it")
        if url:
            rec = _run_here(plan, tier, t, url, python, tuple(sys_path or ()), data, api_key_env)
        else:
            rec = _run_in_modal(plan, tier)
        _finish(prof, rec, save, record_reference, as_json)

    _guard(run)


def _tier(plan, tier: str):
    if tier not in ("quick", "thorough"):
        raise UsageError(f"--tier {tier!r}: expected quick or thorough")
    t = getattr(plan.accuracy, tier, None) if plan.accuracy else None
    if t is None:
        raise UsageError(f"profile {plan.profile} has no accuracy.{tier} tier: add one to the profile "
                         f"(docs/accuracy.md) or set it with --set accuracy.{tier}.eval=gsm8k ...")
    return t


def _print_intro(plan, tier: str, t) -> None:
    from modal_llm_deploy.operate.evalgate import threshold
    from modal_llm_deploy.plan.accuracy import estimate

    th = threshold(t)
    shots = f", {t.num_shots}-shot" if t.num_shots is not None else ""
    out.print(f"[bold]eval {plan.profile}[/] {tier}: {t.eval} × {t.examples}{shots}, {t.api} API, max {t.max_tokens} tokens",
              soft_wrap=False)
    out.print(f"  threshold: pass at ≥ {th.value:.3f} ({th.how})" if th.value is not None else f"  threshold: {th.how}",
              soft_wrap=False)
    out.print(f"  source: {th.source}", soft_wrap=False)
    est = estimate(t, plan.server.target_concurrency, plan.cost.server_usd_per_hour * plan.topology.nodes)  # one replica
    out.print(f"  expected: {est.how} (server time; a cold server adds its start-up)", soft_wrap=False)


def _run_here(plan, tier: str, t, url: str, python: Optional[str], sys_path: tuple[str, ...], data: Optional[Path],
              api_key_env: Optional[str]):
    import sys

    from modal_llm_deploy.base.envvars import proxy_auth_headers, proxy_auth_missing
    from modal_llm_deploy.operate.evalgate import run_gate
    from modal_llm_deploy.plan.cost import replica_usd_per_hour

    s = plan.server
    env_name = api_key_env or s.api_key_env
    key = os.environ.get(env_name) or None
    if s.auth == "api_key" and not key:
        raise UsageError(f"{env_name} is not set: export the server's API key (the value in Modal secret "
                         f"{s.api_key_secret!r}) or name another variable with --api-key-env")
    proxy = None
    if s.modal_proxy_auth:
        proxy = proxy_auth_headers(os.environ)
        if proxy is None:
            raise UsageError(proxy_auth_missing(os.environ))
    if data is not None and not data.is_file():
        raise UsageError(f"--data {data}: no such file")
    return run_gate(profile=plan.profile, tier_name=tier, tier=t, base_url=url, model=s.served_name,
                    python=python or sys.executable, key=key, target_concurrency=s.target_concurrency, proxy=proxy,
                    data_path=str(data.resolve()) if data else None, sys_path=sys_path,
                    usd_per_hour=replica_usd_per_hour(plan), echo=lambda m: out.print(m, soft_wrap=False))


def _run_in_modal(plan, tier: str, base: Optional[str] = None):
    import modal

    from modal_llm_deploy.cli.modal_cmds import _deployed_server, _modal_call
    from modal_llm_deploy.operate.evalgate import GateRecord

    s = plan.server
    if s.modal_proxy_auth and not s.proxy_auth_secret:  # the relay in the eval container needs the token as a secret
        raise UsageError("serving.proxy_auth_secret is not set: with serving.modal_proxy_auth=true the eval_accuracy "
                         "function needs a Modal secret holding the proxy token (MODAL_LLM_DEPLOY_PROXY_KEY/_SECRET): "
                         "set serving.proxy_auth_secret=NAME and redeploy, or run from here with --url")
    if base is None:
        base = _modal_call(f"looking up {plan.app_name}/{plan.server.unit}", lambda: _deployed_server(plan).get_url())
    fn = modal.Function.from_name(plan.app_name, "eval_accuracy")
    rec = _modal_call("running the eval_accuracy function (redeploy if it is missing)", lambda: fn.remote(base, tier))
    return GateRecord(**rec)


def _finish(prof, rec, save: Optional[Path], record_reference: Optional[Path], as_json: bool) -> None:
    from modal_llm_deploy.operate.evalgate import reference_overrides, reference_toml
    from modal_llm_deploy.plan.commands import accuracy_fix_lines, reference_lines

    if save:
        save.write_text(json.dumps(rec.as_dict(), indent=2))
    if as_json:
        print(json.dumps(rec.as_dict(), indent=2))
    else:
        _print_record(rec)
    if rec.verdict in ("fail-score", "fail-run"):
        out.print("[bold]what to suspect[/] (most likely first):", soft_wrap=False)
        for line in accuracy_fix_lines(prof):
            out.print(f"  - {line}", soft_wrap=False)
    if record_reference is not None:
        try:
            ov = reference_overrides(rec)
        except ValueError as exc:
            raise UsageError(f"--record-reference: {exc}") from None
        record_reference.write_text(reference_toml(ov))
        out.print(f"recorded {rec.tier} reference {rec.score:.4f} ({rec.examples_sent} examples) in {record_reference}; use it:",
                  soft_wrap=False)
        for line in reference_lines(prof, record_reference):
            out.print(f"  {line}", soft_wrap=False)
    if EXIT[rec.verdict]:
        raise typer.Exit(EXIT[rec.verdict])


def _print_record(rec) -> None:
    score = f"{rec.score:.4f}" if rec.score is not None else "-"
    mark = {"pass": "[bold green]PASS[/]", "warn-unsourced": "[bold yellow]WARN[/]", "fail-score": "[bold red]FAIL[/]",
            "fail-run": "[bold red]FAILED RUN[/]", "error": "[bold red]NOT RUN[/]"}[rec.verdict]
    th = f" (pass at ≥ {rec.threshold:.3f})" if rec.threshold is not None else ""
    out.print(f"{mark} {rec.tier} {rec.eval}: score {score}{th} on {rec.examples_sent}/{rec.examples_asked} examples, "
              f"{rec.failed_requests} failed requests ({rec.retried_requests} retried), {rec.wall_s:.0f} s"
              + (f", ${rec.usd:.2f}" if rec.usd is not None else ""), soft_wrap=False)
    if rec.verdict == "warn-unsourced":
        out.print("warning: this tier's threshold is unsourced: the gate only warns. Record a reference on a known-good "
                  "deployment with --record-reference FILE", soft_wrap=False)
    for p in rec.problems:
        out.print(f"  - {p}", soft_wrap=False)


def after_smoke(prof, plan, base_url: str) -> None:
    """``smoke --eval``: the quick tier in Modal (the app's eval_accuracy function, in the
    server's region) against the server smoke just checked; exit 1 when it fails."""
    t = _tier(plan, "quick")
    _print_intro(plan, "quick", t)
    _finish(prof, _run_in_modal(plan, "quick", base_url), None, None, False)


def print_accuracy_plan(p) -> None:
    """The plan's accuracy gate (called from cli/local.py print_plan): per tier the eval, its
    threshold with the tolerance and its source (or "unsourced": warn only), the expected cost."""
    from modal_llm_deploy.operate.evalgate import threshold
    from modal_llm_deploy.plan.accuracy import estimate

    acc = p.accuracy
    tiers = [(n, getattr(acc, n)) for n in ("quick", "thorough") if acc is not None and getattr(acc, n) is not None]
    if not tiers:
        out.print("\n[bold]accuracy gate[/]: none (the profile has no accuracy tier)", soft_wrap=False)
        return
    out.print("\n[bold]accuracy gate[/] (unit eval_accuracy; the quick tier, add --tier thorough for the other):",
              soft_wrap=False)
    out.print(f"  {p.commands['eval_cli']}", markup=False, soft_wrap=True)
    for name, t in tiers:
        th = threshold(t)
        est = estimate(t, p.server.target_concurrency, p.cost.server_usd_per_hour * p.topology.nodes)  # one replica
        mark = f"pass at ≥ {th.value:.3f} ({th.how})" if th.value is not None else f"{UNSOURCED}: warns only"
        out.print(f"  {name}: {t.eval} × {t.examples}" + (f" ×{t.repeats}" if t.repeats > 1 else "")
                  + f", {t.api} API, max {t.max_tokens} tokens; {mark}", soft_wrap=False)
        if th.value is not None:
            out.print(f"    source: {th.source}", soft_wrap=False)
        out.print(f"    expected: {est.how}", soft_wrap=False)


def register(app: typer.Typer) -> None:
    app.command(name="eval")(eval_gate)


register(app)
