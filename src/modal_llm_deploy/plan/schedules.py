"""Keep-warm windows: "what ``min_containers`` does the schedule say at instant T?"

A cold start of an 8-GPU server costs ~14 minutes (the startup estimate); a warm container costs ~$50/h. Windows
keep containers warm when people use the endpoint (working hours, in *their* timezone) and
let it scale to zero at night and on weekends. No synthetic traffic: a scheduled CPU function
sets the server's ``min_containers`` through Modal's autoscaler at each tick, to what the
schedule says *now* — so a missed tick is corrected by the next one, and nothing is left warm
by a tick that failed. Times are wall-clock in the window's IANA timezone, so a window keeps
its local hours across DST changes.

Pure (zoneinfo + pydantic): the plan, ``plan``'s table and the tests use it without Modal.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from modal_llm_deploy.profile.windows import WarmWindow, hhmm_minutes, min_containers_at

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

# Ticks at every window boundary plus every quarter hour: a redeploy resets the autoscaler to
# the deployed min_containers (modal 1.6.4 `_server.py`, `Server.autoscaler.update`: "Subsequent
# deployments of the App containing this Server will reset the autoscaler back to its static
# configuration"), and the next quarter-hour tick restores the schedule.
RESYNC_MINUTES = (0, 15, 30, 45)


# --- the cron that drives it ---------------------------------------------------------------------


def _offsets_minutes(tz: ZoneInfo, year: int) -> set[int]:
    """UTC offsets (minutes) a zone uses during ``year`` (two for DST zones)."""
    out = set()
    for month in range(1, 13):
        off = datetime(year, month, 15, 12, tzinfo=tz).utcoffset()
        out.add(int(off.total_seconds() // 60))  # type: ignore[union-attr]
    return out


def cron_for(windows: tuple[WarmWindow, ...], year: int = 2026) -> tuple[str, str]:
    """(cron string, IANA timezone) for ``modal.Cron``: a tick at every window boundary and
    every quarter hour. One timezone for all windows → the cron runs in it (boundaries stay on
    local time across DST). Mixed timezones → UTC, with each boundary's minute under every
    offset its zone uses (whole-hour DST shifts keep the minute; others add a minute)."""
    zones = {w.timezone for w in windows}
    minutes = set(RESYNC_MINUTES)
    if len(zones) == 1:
        tz = zones.pop()
        for w in windows:
            minutes |= {hhmm_minutes(w.start) % 60, hhmm_minutes(w.end) % 60}
    else:
        tz = "UTC"
        for w in windows:
            for off in _offsets_minutes(w.tz, year):
                minutes |= {(hhmm_minutes(w.start) - off) % 60, (hhmm_minutes(w.end) - off) % 60}
    return f"{','.join(str(m) for m in sorted(minutes))} * * * *", tz


def ticks_per_day(cron: str) -> int:
    return len(cron.split()[0].split(",")) * 24


# --- what the windows cost -----------------------------------------------------------------------

# A reference week starting on a Monday (any week works; the windows repeat weekly).
_REF_WEEK = datetime(2026, 1, 5, tzinfo=timezone.utc)
WEEKS_PER_MONTH = 365.25 / 12 / 7


def weekly_extra_container_hours(windows: tuple[WarmWindow, ...], base: int) -> tuple[float, int]:
    """(container-hours per week above ``base`` that the windows keep warm, number of times per
    week the schedule lowers min_containers). Minute resolution over one reference week,
    so overlapping windows count once and midnight/weekend wraps are exact."""
    minutes = 0
    drops = 0
    prev = min_containers_at(windows, base, _REF_WEEK - timedelta(minutes=1))
    for i in range(7 * 24 * 60):
        now = min_containers_at(windows, base, _REF_WEEK + timedelta(minutes=i))
        minutes += now - base
        if now < prev:
            drops += 1
        prev = now
    return minutes / 60, drops


class KeepWarmPlan(BaseModel):
    """The plan's keep-warm section (``plan.keep_warm``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use

    windows: list[WarmWindow]
    base_min_containers: int
    cron: str
    timezone: str
    ticks_per_day: int
    warm_container_hours_per_month: float  # above the base, including the scale-down tail
    scaledown_tail_hours_per_month: float
    usd_per_month: float
    function: str = "keep_warm"


def keep_warm_plan(windows: tuple[WarmWindow, ...], base: int, scaledown_s: int,
                   usd_per_container_hour: float) -> KeepWarmPlan | None:
    if not windows:
        return None
    cron, tz = cron_for(windows)
    hours, drops = weekly_extra_container_hours(windows, base)
    # After each drop the warm containers idle for the scale-down window before Modal stops
    # them (one container per step down; an upper bound: assumes every drop is a full window).
    step = max(w.min_containers for w in windows) - base
    tail_week = drops * step * scaledown_s / 3600
    month = (hours + tail_week) * WEEKS_PER_MONTH
    return KeepWarmPlan(
        windows=list(windows),
        base_min_containers=base,
        cron=cron,
        timezone=tz,
        ticks_per_day=ticks_per_day(cron),
        warm_container_hours_per_month=round(month, 1),
        scaledown_tail_hours_per_month=round(tail_week * WEEKS_PER_MONTH, 1),
        usd_per_month=round(month * usd_per_container_hour, 2),
    )


# --- the scheduled function's body ---------------------------------------------------------------
