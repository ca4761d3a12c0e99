"""CLI commands for operating a deployment: ``triage``, ``logs``, ``cost``.

One command group of the CLI package (registered on the main app at import); it reuses the
package's helpers for loading profiles and one-line errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from modal_llm_deploy.base.envvars import (
    PROXY_KEY_ENV,
    PROXY_SECRET_ENV,
    PROXY_TOKEN_HELP,
    proxy_auth_headers,
    proxy_auth_missing,
)
from modal_llm_deploy.cli.common import (
    FileOpt,
    SetOpt,
    UsageError,
    _guard,
    _load,
    app,
    out,
)
from modal_llm_deploy.cli.modal_cmds import _deployed_server, _modal_call
from modal_llm_deploy.cli.tables import table as _table
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.plan.commands import extend, secret_create

# Exit status of `triage` and `logs --triage` (docs/steps.md): a script can tell "a known
# failure is in this log" from "nothing recognised" and from bad input (2, like every command).
FOUND_EXIT = 1

SET_NOTE = ("each deploy line carries the changed values in MODAL_LLM_DEPLOY_SET, which the deploy script's "
            "build_app(...) reads when Modal imports it; the CLI line does the same with --set")


def _print_finding(f) -> None:
    """One finding as a block: prose wraps, each command is one unwrapped line (pasted as printed)."""
    lines = str(f.line_no) + (f" (+{f.count - 1})" if f.count > 1 else "")
    out.print(f"[bold red]{f.title}[/] [dim](line {lines}, {f.when})[/]", soft_wrap=False)
    out.print(f"  cause: {f.signature.cause}", markup=False, soft_wrap=False)
    out.print(f"  fix: {f.fix}", markup=False, soft_wrap=True)
    for cmd in f.commands:
        out.print(f"    {cmd}", markup=False, soft_wrap=True, highlight=False)


def _print_findings(findings, as_json: bool) -> None:
    if as_json:
        print(json.dumps([f.as_dict() for f in findings], indent=2))
        return
    if not findings:
        out.print("no known failure signature found")
        return
    for n, f in enumerate(findings):
        if n:
            out.print()
        _print_finding(f)
    if any(f.commands for f in findings):
        out.print(f"[dim]{SET_NOTE}[/]")


def triage(
    source: str = typer.Argument(..., metavar="FILE|-", help="Log file to read, or - for stdin."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", help="Fill the fixes in for this profile."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable findings."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Recognise known failures in a log, offline.

    Each recognised line is printed with its cause and fix. Exit 1 when a known failure was
    found, 0 when none, 2 for bad input."""

    def run() -> None:
        from modal_llm_deploy.operate.triage import triage_lines

        prof = _load(profile, sets, file) if profile else None
        if source == "-":
            findings = triage_lines(sys.stdin, prof, profile)
        else:
            path = Path(source)
            try:
                with open(path, encoding="utf-8", errors="replace") as fh:
                    findings = triage_lines(fh, prof, profile)
            except OSError as exc:
                raise UsageError(f"{source}: cannot read ({exc.strerror or exc})") from None
        _print_findings(findings, as_json)
        if findings:
            raise typer.Exit(FOUND_EXIT)

    _guard(run)


def logs(
    profile: str = typer.Argument(..., help="Profile whose deployed app to follow."),
    do_triage: bool = typer.Option(False, "--triage", help="Annotate known failures as they appear."),
    tail: int = typer.Option(0, "--tail", min=0, help="Print the last N entries instead of following."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Stop after this many seconds without a new entry."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Stream the deployed app's logs (needs a Modal token).

    With --triage, known failures are annotated with their fix; the exit status is then 1 if
    one was found (as `triage`)."""

    def run() -> None:
        import modal

        from modal_llm_deploy.operate.triage import Triage, split_lines

        prof = _load(profile, sets, file)
        plan = build_plan(prof)
        t = Triage(prof) if do_triage else None

        def entries():
            # modal 1.6: App.lookup(name) → app.logs.{tail,stream} yield LogEntry(message=...)
            # (modal/_logs_manager.py, _AppLogsManager); messages are output chunks, not lines.
            app = modal.App.lookup(plan.app_name)
            src = app.logs.tail(tail) if tail else app.logs.stream(timeout=timeout)
            for e in src:
                yield e.message

        def follow() -> None:
            for line in split_lines(entries()):
                print(line, flush=True)
                if t is not None and (f := t.feed(line)) is not None:
                    sys.stdout.flush()
                    _print_finding(f)

        _modal_call(f"reading the logs of {plan.app_name}", follow)
        if t is not None and t.findings:
            raise typer.Exit(FOUND_EXIT)

    _guard(run)


def cost(
    profile: str = typer.Argument(..., help="Profile to price."),
    active_hours: float = typer.Option(8.0, "--active-hours", help="Hours per day with traffic."),
    days: float = typer.Option(22.0, "--days", help="Days per month with traffic."),
    cold_starts: float = typer.Option(1.0, "--cold-starts", help="Cold starts per day (bursts after scale-to-zero)."),
    containers: float = typer.Option(1.0, "--containers", help="Average replicas busy while active (a multi-node replica is hardware.nodes containers)."),
    requests_per_day: Optional[float] = typer.Option(None, "--requests-per-day", help="Requests per active day."),
    output_tokens: Optional[float] = typer.Option(None, "--output-tokens", help="Output tokens per request."),
    bench: Optional[Path] = typer.Option(None, "--bench", help="bench_serving JSONL results (from `bench`) for $/Mtok."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable report."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Monthly cost under a traffic shape.

    GPU hours incl. cold starts, scale-down tail and warm windows; one-time download and
    compile; $ per million output tokens."""

    def run() -> None:
        from modal_llm_deploy.plan.cost import (
            CostError,
            Traffic,
            estimate,
            read_bench_jsonl,
        )

        try:
            plan = build_plan(_load(profile, sets, file))
            rows = read_bench_jsonl(bench) if bench else None
            r = estimate(plan, Traffic(active_hours, days, cold_starts, containers, requests_per_day, output_tokens), rows)
        except CostError as exc:
            raise UsageError(str(exc)) from None
        if as_json:
            print(json.dumps(r.as_dict(), indent=2))
            return
        out.print(f"[bold]{r.profile}[/]: ${r.usd_per_container_hour:.2f} per container-hour "
                  f"(prices {r.price_checked}: {r.price_source})", soft_wrap=False)  # prose: wraps at the width
        t = _table("per month", "container-h", "$", "how")
        for x in r.monthly:
            t.add_row(x.item, f"{x.container_hours:,.1f}", f"{x.usd:,.2f}", x.how)
        t.add_row("[bold]total[/]", f"{sum(x.container_hours for x in r.monthly):,.1f}", f"[bold]{r.monthly_usd:,.2f}[/]", "")
        out.print(t)
        t = _table("one-time", "$", "how")
        for x in r.one_time:
            t.add_row(x.item, f"{x.usd:,.2f}", x.how)
        out.print(t)
        if r.per_mtok:
            t = _table("$/Mtok from", "output tok/s", "$ per million output tokens")
            for m in r.per_mtok:
                t.add_row(m.source, f"{m.output_tok_per_s:,.0f}" if m.output_tok_per_s else "-", f"{m.usd_per_mtok:,.2f}")
            out.print(t)
        for n in r.notes:
            out.print(f"note: {n}", style="dim", markup=False)  # a note may hold a command with [..] values

    _guard(run)


def smoke(
    profile: str = typer.Argument(..., help="Profile whose server to test."),
    url: Optional[str] = typer.Option(None, "--url", help="Server base URL (default: the deployed server's, from Modal)."),
    api_key_env: Optional[str] = typer.Option(None, "--api-key-env", help="Variable holding the API key (default: the profile's, API_KEY)."),
    wait: Optional[float] = typer.Option(None, "--wait", help="Seconds to wait for /health (default: the profile's startup budget)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable report."),
    run_eval: bool = typer.Option(False, "--eval", help="Then run the quick accuracy gate in Modal (issue 17); exit 1 if it fails."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Smoke-test the server with the openai client.

    Health, models, auth, chat, stream (TTFT/TPOT), tool call, reasoning, metrics. Exit 1
    naming each failed check and its likely cause."""

    def run() -> None:
        import os

        try:
            import openai  # noqa: F401
        except ImportError:
            raise UsageError("smoke needs the openai package: pip install 'modal-llm-deploy[operate]'") from None
        from modal_llm_deploy.operate.smoke import SmokeTarget, run_smoke

        plan = build_plan(_load(profile, sets, file))
        s = plan.server
        proxy = None
        if s.modal_proxy_auth:  # Modal's proxy refuses requests without Modal-Key/Modal-Secret: refuse before sending any
            proxy = proxy_auth_headers(os.environ)
            if proxy is None:
                raise UsageError(proxy_auth_missing(os.environ))
        env_name = api_key_env or s.api_key_env
        key = os.environ.get(env_name) or None
        if s.auth == "api_key" and not key:
            raise UsageError(f"{env_name} is not set: export the server's API key (the value in Modal secret "
                             f"{s.api_key_secret!r}) or name another variable with --api-key-env")
        base = url or _modal_call(f"looking up {plan.app_name}/{s.unit}", lambda: _deployed_server(plan).get_url())
        target = SmokeTarget.from_plan(plan, base)
        if wait is not None:
            target.startup_budget_s = wait
        tty = sys.stderr.isatty()

        def on_wait(left: float, last: str) -> None:
            msg = f"waiting for {target.base_url}/health ({last}): {left:.0f} s left of the startup budget"
            sys.stderr.write(("\r" + msg + "   ") if tty else msg + "\n")
            sys.stderr.flush()

        rep = run_smoke(target, key, on_wait=on_wait, proxy=proxy)
        if tty:
            sys.stderr.write("\n")
        if as_json:
            print(json.dumps(rep.as_dict(), indent=2))
        else:
            t = _table("check", "result", "detail", "s")
            for c in rep.checks:
                mark = "skip" if c.ok is None else ("ok" if c.ok else "[bold red]FAIL[/]")
                t.add_row(c.name, mark, c.detail, f"{c.seconds:.1f}")
            out.print(t)
        for c in rep.failed:
            sys.stderr.write(f"FAILED {c.name}: {c.detail} — likely cause: {c.cause}\n")
        if not rep.ok:
            raise typer.Exit(1)
        if run_eval:  # the accuracy gate after a passing smoke (cli/evalgate.py)
            from modal_llm_deploy.cli.evalgate import after_smoke

            after_smoke(_load(profile, sets, file), plan, base)

    _guard(run)


def bench(
    profile: str = typer.Argument(..., help="Profile whose deployed server to benchmark."),
    concurrency: str = typer.Option("1,8,48", "--concurrency", help="Comma-separated concurrencies."),
    input_len: int = typer.Option(1024, "--input-len", min=1, help="Prompt tokens per request."),
    output_len: int = typer.Option(512, "--output-len", min=1, help="Output tokens per request."),
    allow_cold_start: bool = typer.Option(False, "--allow-cold-start", help="Run even if no container is up (pays a cold start)."),
    save: Optional[Path] = typer.Option(None, "--save", help="Also write the JSONL records here (for `cost --bench`)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable rows."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Benchmark the server in its region.

    SGLang's own bench_serving: TTFT/TPOT/ITL p50/p99, output tok/s, accept length and $ per
    million output tokens (needs a Modal token)."""

    def run() -> None:
        import modal

        from modal_llm_deploy.operate.bench import (
            cold_start_cost,
            parse_concurrency,
        )
        from modal_llm_deploy.plan.cost import CostError

        try:
            levels = parse_concurrency(concurrency)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        plan = build_plan(_load(profile, sets, file))
        s = plan.server
        if s.modal_proxy_auth and not s.proxy_auth_secret:
            # the benchmark runs in the bench container: the proxy token must reach it as a Modal secret
            raise UsageError(
                f"serving.proxy_auth_secret is not set: with serving.modal_proxy_auth=true the bench function needs a "
                f"Modal secret with a Proxy Auth Token ({PROXY_TOKEN_HELP}): "
                f"{secret_create('NAME', [PROXY_KEY_ENV, PROXY_SECRET_ENV])}, set serving.proxy_auth_secret=NAME "
                "(profile or --set) and redeploy")
        try:
            _, cold = cold_start_cost(plan)
        except CostError as exc:
            raise UsageError(str(exc)) from None
        server = _deployed_server(plan)
        base = _modal_call(f"looking up {plan.app_name}/{plan.server.unit}", server.get_url)
        # modal 1.6: Server._experimental_list_containers() lists the containers serving now
        # (modal/_server.py; experimental). Zero → the benchmark itself would pay a cold start.
        up = _modal_call("listing the server's containers", lambda: len(server._experimental_list_containers()))
        if up == 0 and not allow_cold_start:
            raise UsageError(
                f"{plan.app_name}/{plan.server.unit} has no running container: the benchmark would wait for a cold "
                f"start ({cold}) and measure it as latency. Warm it first ({extend(plan.commands['scale_cli'], '--min', str(plan.topology.nodes))}, "
                f"then smoke) or pass --allow-cold-start")
        fn = modal.Function.from_name(plan.app_name, "bench")
        records = _modal_call("running the bench function (redeploy if it is missing)",
                              lambda: fn.remote(base, levels, input_len, output_len))
        if save:
            save.write_text("".join(json.dumps(r) + "\n" for r in records))
        print_bench(plan, records, as_json)

    _guard(run)


def print_bench(plan, records: list[dict], as_json: bool) -> None:
    from modal_llm_deploy.operate.bench import rows_from_records

    rows = rows_from_records(plan, records)
    if as_json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return
    t = _table("conc.", "TTFT p50/p99 ms", "TPOT p50/p99 ms", "ITL p50/p99 ms", "out tok/s", "accept len", "$/Mtok out")
    for r in rows:
        t.add_row(str(r.concurrency), f"{r.ttft_p50_ms:,.0f} / {r.ttft_p99_ms:,.0f}", f"{r.tpot_p50_ms:.1f} / {r.tpot_p99_ms:.1f}",
                  f"{r.itl_p50_ms:.1f} / {r.itl_p99_ms:.1f}", f"{r.output_tok_per_s:,.0f}",
                  f"{r.accept_length:.2f}" if r.accept_length else "-",
                  f"{r.usd_per_mtok_output:,.2f}" if r.usd_per_mtok_output is not None else "-")
    out.print(t)
    out.print(f"[dim]$/Mtok: one container at ${plan.cost.server_usd_per_hour:.2f}/h kept busy at the measured output rate[/]")


def print_operate_plan(p) -> None:
    """The plan's operate sections (called from cli/local.py print_plan)."""
    cs = p.cold_start
    if cs is not None:
        parts = ", ".join(f"{k.replace('_', ' ')} {v} s" for k, v in cs.budgets_s.items())
        out.print(f"\n[bold]cold-start estimate by phase[/], each phase's budget (each container logs 'cold-start "
                  f"phases: {{...}}'; over budget → a WARNING with what to do): {parts}; total {cs.total_s} s = the "
                  f"startup estimate, of the {p.server.startup_timeout_s} s startup timeout",
                  soft_wrap=False)  # prose: wrap at the terminal width
    kw = p.keep_warm
    if kw is None:
        return
    out.print(f"\n[bold]keep-warm[/] (function {kw.function}, cron '{kw.cron}' in {kw.timezone}, "
              f"{kw.ticks_per_day} ticks/day; min {kw.base_min_containers} outside the windows):", soft_wrap=False)
    for w in kw.windows:
        out.print(f"  {w.describe()}", soft_wrap=False)
    out.print(f"  ≈ {kw.warm_container_hours_per_month:.1f} warm container-hours/month (incl. "
              f"{kw.scaledown_tail_hours_per_month:.1f} h scale-down tail) ≈ ${kw.usd_per_month:,.2f}/month "
              f"at ${p.cost.server_usd_per_hour:.2f}/h", soft_wrap=False)


def register(app: typer.Typer) -> None:
    """Add the operate commands to the main CLI."""
    app.command()(triage)
    app.command()(logs)
    app.command()(cost)
    app.command()(smoke)
    app.command()(bench)


register(app)
