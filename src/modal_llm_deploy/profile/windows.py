"""Keep-warm windows as a user writes them (``serving.warm_windows``): days, hours, an IANA
timezone and the ``min_containers`` a window asks for, validated, and what the windows say at
an instant. The cron that applies them on Modal is the plan's (``plan/schedules.py``).

Pure (zoneinfo + pydantic), no Modal.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = datetime.weekday()
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

def hhmm_minutes(hhmm: str) -> int:
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
        if hhmm_minutes(self.start) == hhmm_minutes(self.end):
            raise ValueError(f"start={self.start} equals end={self.end}: a window needs a length")
        return self

    @property
    def tz(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> float:
        return ((hhmm_minutes(self.end) - hhmm_minutes(self.start)) % 1440) / 60

    def active(self, instant: datetime) -> bool:
        """Is this window open at ``instant`` (timezone-aware)?"""
        local = instant.astimezone(self.tz)
        t = local.hour * 60 + local.minute
        day = DAYS[local.weekday()]
        prev = DAYS[(local.weekday() - 1) % 7]
        s, e = hhmm_minutes(self.start), hhmm_minutes(self.end)
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
