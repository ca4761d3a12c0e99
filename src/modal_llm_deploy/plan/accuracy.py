"""What an accuracy-gate run asks of the server: how many requests at once, how long, what it
costs at the plan's $/h. Pure arithmetic over the plan and a tier (profile/sections.py
``AccuracyTier``); the gate itself (threshold, verdict, the harness) is operate/evalgate.py.

Concurrency: the harness sends ``--num-threads`` requests at once. Modal scales the server out
when a container holds more than ``target_concurrency`` requests (modal_adapter/render.py sends
it as the server's target), and a second 8-GPU replica costs a cold start and its $/h. So the
gate sends at most ``floor(target_concurrency)`` at once: the eval fills the batch without
waking another replica.

Wall time is an upper bound: every answer is assumed to run to ``max_tokens`` at
``ASSUMED_TPOT_S`` per output token with a full batch. That figure is an assumption, not a
measurement: ``modal-llm-deploy bench`` measures this deployment's TPOT, and every eval run
prints its measured wall time and cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from modal_llm_deploy.profile.sections import AccuracyTier

ASSUMED_TPOT_S = 0.040  # an assumption (see above): seconds per output token per request, full batch


def eval_concurrency(target_concurrency: float) -> int:
    """Requests in flight at once: below Modal's scale-out target (see the module docstring)."""
    return max(1, int(math.floor(target_concurrency)))


def requests_of(tier: AccuracyTier) -> int:
    return tier.examples * tier.repeats


@dataclass(frozen=True)
class EvalEstimate:
    requests: int
    concurrency: int
    wall_s: int  # upper bound (every answer at max_tokens)
    usd: float  # the server replica's $/h over wall_s (the CPU eval container is extra, cents)
    how: str


def estimate(tier: AccuracyTier, target_concurrency: float, replica_usd_per_hour: float,
             tpot_s: float = ASSUMED_TPOT_S) -> EvalEstimate:
    n, c = requests_of(tier), eval_concurrency(target_concurrency)
    waves = math.ceil(n / c)
    wall = int(math.ceil(waves * tier.max_tokens * tpot_s))
    usd = replica_usd_per_hour * wall / 3600
    how = (f"≤ {waves} waves of {c} requests × {tier.max_tokens} tokens × {tpot_s * 1000:.0f} ms/token "
           f"(assumed) ≈ {_duration(wall)} at ${replica_usd_per_hour:.2f}/h ≈ ${usd:,.2f}")
    return EvalEstimate(requests=n, concurrency=c, wall_s=wall, usd=usd, how=how)


def unit_timeout_s(tiers: list[AccuracyTier], target_concurrency: float) -> int:
    """The eval function's timeout: twice the longest tier's upper bound, within Modal's
    function timeout range (at most 24 h), at least an hour."""
    longest = max((estimate(t, target_concurrency, 0.0).wall_s for t in tiers), default=0)
    return int(min(86400, max(3600, 2 * longest + 600)))


def _duration(s: int) -> str:
    return f"{s / 3600:.1f} h" if s >= 5400 else f"{s / 60:.0f} min"
