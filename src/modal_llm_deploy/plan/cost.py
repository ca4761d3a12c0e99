"""What a deployment costs under a traffic shape, from the plan and ``data/prices.json``.

An 8×B200 container is ~$50/h, so the bill is decided by *hours*, not requests: the hours
traffic keeps a container busy, the ~14 minutes each cold start spends loading before it
serves, the scale-down window each burst leaves idle behind it, the warm windows, and any
``min_containers`` floor. This module adds those up for a month and, given benchmark results
(``bench``'s JSONL: SGLang's own ``output_throughput``) or a token volume, turns them into
dollars per million output tokens. Every figure is computed here from the plan and the price
file; nothing is typed in.

Pure: no Modal import.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from modal_llm_deploy.base.hardware import (
    prices,  # the one price file (data/prices.json)
)

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan

HOURS_PER_MONTH = 365.25 * 24 / 12  # 730.5


class CostError(ValueError):
    """Bad input or a price we don't have: one line, exit 2."""




def container_usd_per_hour(plan: "DeploymentPlan") -> float:
    """One server container: GPUs + requested CPU cores, × the region multiplier the plan uses."""
    p = prices()
    gpu, _, count = plan.cost.gpu.partition(":")
    name = gpu.rstrip("!")
    if name not in p["gpu_usd_per_hour"]:
        raise CostError(f"no price for GPU {name!r} in data/prices.json (source: {p['source']}); "
                        f"priced: {', '.join(p['gpu_usd_per_hour'])}")
    cores = plan.unit("serve").cpu or 0
    return (p["gpu_usd_per_hour"][name] * int(count or 1) + cores * p["cpu_core_usd_per_hour"]) * plan.cost.region_multiplier


def replica_usd_per_hour(plan: "DeploymentPlan") -> float:
    """One replica of the server: ``hardware.nodes`` containers (profile/topology.py), each billed — what
    a request, a cold start or a bench run occupies."""
    return container_usd_per_hour(plan) * plan.topology.nodes


@dataclass
class Traffic:
    active_hours_per_day: float = 8.0
    days_per_month: float = 22.0
    cold_starts_per_day: float = 1.0
    containers: float = 1.0  # average replicas busy while active (a replica: hardware.nodes containers)
    requests_per_day: Optional[float] = None
    output_tokens_per_request: Optional[float] = None

    def check(self) -> None:
        if not 0 <= self.active_hours_per_day <= 24:
            raise CostError(f"--active-hours={self.active_hours_per_day}: must be between 0 and 24")
        if not 0 <= self.days_per_month <= 31:
            raise CostError(f"--days={self.days_per_month}: must be between 0 and 31")
        if self.cold_starts_per_day < 0 or self.containers <= 0:
            raise CostError("--cold-starts must be ≥ 0 and --containers > 0")
        if (self.requests_per_day is None) != (self.output_tokens_per_request is None):
            raise CostError("give both --requests-per-day and --output-tokens (per request), or neither")


@dataclass
class Line:
    item: str
    container_hours: float
    usd: float
    how: str


@dataclass
class TokenPrice:
    source: str  # "bench c=8" / "traffic"
    output_tok_per_s: Optional[float]
    usd_per_mtok: float


@dataclass
class CostReport:
    profile: str
    usd_per_container_hour: float
    monthly: list[Line]
    monthly_usd: float
    one_time: list[Line]
    per_mtok: list[TokenPrice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    price_source: str = ""
    price_checked: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def usd_per_mtok(usd_per_hour: float, output_tok_per_s: float) -> float:
    """Dollars per million output tokens for one container kept busy at ``output_tok_per_s``."""
    return usd_per_hour / (output_tok_per_s * 3600) * 1e6


def estimate(plan: "DeploymentPlan", t: Traffic, bench_rows: list[dict] | None = None) -> CostReport:
    t.check()
    rate = container_usd_per_hour(plan)
    s = plan.server
    days = t.days_per_month
    # A multi-node server (profile/topology.py) is one replica of `nodes` containers, each billed: a
    # request, a cold start, a scale-down tail and a bench run all occupy the whole replica.
    # min_containers and the warm windows already count containers (Modal's unit).
    nodes = plan.topology.nodes
    of = f" × {nodes} containers per replica" if nodes > 1 else ""
    lines: list[Line] = []
    notes: list[str] = []

    base_h = s.min_containers * HOURS_PER_MONTH
    if base_h:
        lines.append(Line("min_containers floor", base_h, base_h * rate,
                          f"{s.min_containers} × {HOURS_PER_MONTH:.1f} h/month"))
    warm_h = plan.keep_warm.warm_container_hours_per_month if plan.keep_warm else 0.0
    if warm_h:
        lines.append(Line("warm windows", warm_h, warm_h * rate,
                          f"plan.keep_warm: {len(plan.keep_warm.windows)} window(s) incl. scale-down tail"))
    traffic_h = t.active_hours_per_day * days * t.containers * nodes
    covered = min(traffic_h, base_h + (warm_h - (plan.keep_warm.scaledown_tail_hours_per_month if plan.keep_warm else 0)))
    if covered:
        notes.append(f"{covered:.1f} of {traffic_h:.1f} traffic container-hours fall in already-paid warm time "
                     "(assumes traffic happens inside the floor/warm windows first)")
    extra = traffic_h - covered
    lines.append(Line("traffic", extra, extra * rate,
                      f"{t.active_hours_per_day:g} h/day × {days:g} days × {t.containers:g} "
                      + ("replica(s)" + of if nodes > 1 else "container(s)")
                      + (f" − {covered:.1f} h already warm" if covered else "")))
    starts = t.cold_starts_per_day * days
    load_h = starts * s.startup_estimate_s / 3600 * nodes
    lines.append(Line("cold-start load", load_h, load_h * rate,
                      f"{starts:g} starts × {s.startup_estimate_s} s (weights + graphs + warmup, plan estimate){of}"))
    tail_h = starts * s.scaledown_window_s / 3600 * nodes
    lines.append(Line("scale-down tail", tail_h, tail_h * rate,
                      f"{starts:g} × {s.scaledown_window_s} s idle before scale to zero{of}"))
    monthly = sum(x.usd for x in lines)

    one_time = [Line("weights download (CPU)", 0.0, plan.cost.download_once_usd, "plan.cost.download_once_usd")]
    if plan.kernel_cache.enabled:
        # plan.cost.compile_once_usd already covers every container of a multi-node compile cluster
        one_time.append(Line("DeepGEMM compile", plan.cost.compile_once_usd / plan.cost.server_usd_per_hour,
                             plan.cost.compile_once_usd,
                             f"plan.cost.compile_once_usd (load + ~30 min compile, worst case){of}"))

    per_mtok: list[TokenPrice] = []
    for row in bench_rows or []:
        tps = row.get("output_throughput")
        if tps:
            # bench drives one replica (its URL reaches rank 0, which serves for all its nodes)
            per_mtok.append(TokenPrice(f"bench c={row.get('max_concurrency')}", tps, usd_per_mtok(replica_usd_per_hour(plan), tps)))
    if t.requests_per_day is not None and t.output_tokens_per_request:
        mtok = t.requests_per_day * t.output_tokens_per_request * days / 1e6
        if mtok > 0:
            per_mtok.append(TokenPrice("traffic (monthly $ / monthly output tokens)", None, monthly / mtok))
    if not per_mtok:
        from modal_llm_deploy.plan.commands import extend

        notes.append(f"no $/Mtok: run `{extend(plan.commands['bench_cli'], '--save', 'bench.jsonl')}` and pass "
                     "--bench bench.jsonl, or give --requests-per-day and --output-tokens")
    p = prices()
    return CostReport(plan.profile, rate, lines, monthly, one_time, per_mtok, notes, p["source"], p["checked"])


def read_bench_jsonl(path: Path) -> list[dict]:
    """Rows of ``sglang.bench_serving --output-file`` (JSONL: one JSON object per run; keys as
    written by sglang/benchmark/serving.py 0.5.23: max_concurrency, output_throughput, ...)."""
    rows = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CostError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise CostError(f"{path}:{i}: not JSON (expected bench_serving's JSONL output)") from None
        if not isinstance(row, dict) or "output_throughput" not in row:
            raise CostError(f"{path}:{i}: no output_throughput (expected bench_serving's JSONL output)")
        rows.append(row)
    return rows
