"""Keep-warm windows: "what ``min_containers`` does the schedule say at instant T?"

A cold start of an 8-GPU server costs ~10 minutes; a warm container costs ~$50/h. Windows
keep containers warm when people use the endpoint (working hours, in *their* timezone) and
let it scale to zero at night and on weekends. No synthetic traffic: a scheduled CPU function
sets the server's ``min_containers`` through Modal's autoscaler at each tick, to what the
schedule says *now* — so a missed tick is corrected by the next one, and nothing is left warm
by a tick that failed. Times are wall-clock in the window's IANA timezone, so a window keeps
its local hours across DST changes.

Pure (zoneinfo + pydantic): the plan, ``plan``'s table and the tests use it without Modal.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Annotated, Any, Iterable, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo
    from .plan import DeploymentPlan

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

# Ticks at every window boundary plus every quarter hour: a redeploy resets the autoscaler to
# the deployed min_containers (FACTS.md), and the next quarter-hour tick restores the schedule.
RESYNC_MINUTES = (0, 15, 30, 45)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class WarmWindow(BaseModel):
    """``{days = ["mon-fri"], start = "08:00", end = "19:00", timezone = "Europe/Berlin", min_containers = 1}``

    ``end`` before ``start`` runs over midnight into the next day (the days name the start
    day); ``end = "24:00"`` means midnight at the end of the day."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use

    days: tuple[str, ...]
    start: str
    end: str
    timezone: str = "UTC"
    min_containers: Annotated[int, Field(ge=1)] = 1

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, v: Any) -> tuple[str, ...]:
        items = [v] if isinstance(v, str) else list(v)
        out: list[str] = []
        for item in items:
            item = str(item).strip().lower()
            a, _, b = item.partition("-")
            if a not in DAYS or (b and b not in DAYS):
                raise ValueError(f"day {item!r}: use mon..sun or a range like mon-fri")
            i, j = DAYS.index(a), DAYS.index(b or a)
            span = range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)]  # fri-mon wraps
            out += [DAYS[k] for k in span if DAYS[k] not in out]
        if not out:
            raise ValueError("days is empty")
        return tuple(d for d in DAYS if d in out)

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"{v!r}: use 24-hour HH:MM, e.g. 08:30 (end may be 24:00)")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        # zoneinfo only when a profile has keep-warm windows: not on every deploy script's import
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {v!r}: use an IANA name like Europe/Berlin or America/New_York") from None
        return v

    @model_validator(mode="after")
    def _span(self) -> "WarmWindow":
        if self.start == "24:00":
            raise ValueError("start=24:00: use 00:00")
        if _minutes(self.start) == _minutes(self.end):
            raise ValueError(f"start={self.start} equals end={self.end}: a window needs a length")
        return self

    @property
    def tz(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> float:
        return ((_minutes(self.end) - _minutes(self.start)) % 1440) / 60

    def active(self, instant: datetime) -> bool:
        """Is this window open at ``instant`` (timezone-aware)?"""
        local = instant.astimezone(self.tz)
        t = local.hour * 60 + local.minute
        day = DAYS[local.weekday()]
        prev = DAYS[(local.weekday() - 1) % 7]
        s, e = _minutes(self.start), _minutes(self.end)
        if s < e:
            return day in self.days and s <= t < e
        return (day in self.days and t >= s) or (prev in self.days and t < e)  # over midnight

    def describe(self) -> str:
        days = ",".join(self.days)
        return f"{days} {self.start}–{self.end} {self.timezone}: min {self.min_containers}"


def min_containers_at(windows: Iterable[WarmWindow], base: int, instant: datetime) -> int:
    """What the schedule says at ``instant``: the largest ``min_containers`` of the open windows,
    never below the deployed ``base``."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware (a naive time has no meaning across zones)")
    return max([base] + [w.min_containers for w in windows if w.active(instant)])


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
            minutes |= {_minutes(w.start) % 60, _minutes(w.end) % 60}
    else:
        tz = "UTC"
        for w in windows:
            for off in _offsets_minutes(w.tz, year):
                minutes |= {(_minutes(w.start) - off) % 60, (_minutes(w.end) - off) % 60}
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


class Autoscaler(Protocol):
    """What Modal's ``Server.autoscaler`` offers that we use (modal/_server.py,
    ``_ServerAutoscalerManager.update``: arguments not given stay UNSET = unchanged)."""

    def update(self, *, min_containers: int | None = ...) -> Any: ...


def _now() -> datetime:  # one seam for tests that run the scheduled body at chosen instants
    return datetime.now(timezone.utc)


def apply_schedule(plan: "DeploymentPlan", autoscaler: Autoscaler, instant: datetime | None = None) -> int:
    """Set the server's ``min_containers`` to what the schedule says at ``instant`` (now).

    Only ``min_containers`` is passed: max/buffer/scaledown stay as deployed (or as
    ``modal-llm-deploy scale`` set them)."""
    kw = plan.keep_warm
    if kw is None:
        raise ValueError(f"profile {plan.profile!r} has no serving.warm_windows")
    now = instant or _now()
    target = min_containers_at(kw.windows, kw.base_min_containers, now)
    autoscaler.update(min_containers=target)
    return target
