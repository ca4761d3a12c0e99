"""The checklist: one row per fact checked, ✓ or ✗ with what was found and, for ✗, the one line
that fixes it (rendered by ``plan/commands.py``, the one command printer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Status = Literal["ok", "fail", "warn", "info"]
MARK = {"ok": "✓", "fail": "✗", "warn": "!", "info": "·"}


@dataclass(frozen=True)
class Row:
    family: str  # modal | hub | config | image | volumes | network
    name: str
    status: Status
    found: str
    fix: str | None = None  # for ✗ (and ! when there is something to do): one line

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_json(self) -> dict:
        return asdict(self)


def ok(family: str, name: str, found: str) -> Row:
    return Row(family, name, "ok", found)


def fail(family: str, name: str, found: str, fix: str) -> Row:
    return Row(family, name, "fail", found, fix)


def warn(family: str, name: str, found: str, fix: str | None = None) -> Row:
    return Row(family, name, "warn", found, fix)


def info(family: str, name: str, found: str) -> Row:
    return Row(family, name, "info", found)


def render(rows: list[Row]) -> list[str]:
    """The checklist as printed lines (the CLI prints them; tests read them)."""
    lines: list[str] = []
    family = None
    for r in rows:
        if r.family != family:
            family = r.family
            lines.append(f"{family}:")
        lines.append(f"  {MARK[r.status]} {r.name}: {r.found}")
        if r.fix and r.status in ("fail", "warn"):
            lines.append(f"      fix: {r.fix}")
    failed = sum(r.failed for r in rows)
    lines.append(f"preflight: {failed} check{'s' if failed != 1 else ''} failed" if failed
                 else f"preflight: all {len(rows)} checks passed")
    return lines
