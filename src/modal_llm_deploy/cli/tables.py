"""Tables that fit the terminal without cutting identifiers.

A volume name, a repo id or a kernel key cut in the middle ("zai-org/GLM-5.1" / "-FP8") is
unreadable and cannot be copied. So identifier cells never wrap; prose cells wrap between
words. When the identifiers alone do not fit side by side (an 80-column terminal), each row is
printed as a block of "header  value" lines instead — the narrow layout.
"""

from __future__ import annotations

import shlex
from typing import Any, Sequence

from rich.console import Console
from rich.padding import Padding
from rich.table import Table

# rich's default box: "│ a │ b │" = one border per column + one, and a space each side.
_PER_COLUMN = 3


def _longest_line(cell: str) -> int:
    return max((len(line) for line in cell.splitlines()), default=0)


def _longest_word(cell: str) -> int:
    return max((len(w) for w in cell.split()), default=0)


def records(out: Console, headers: Sequence[str], rows: Sequence[Sequence[str]], *, prose: Sequence[int] = ()) -> None:
    """Print ``rows`` under ``headers``. Columns listed in ``prose`` wrap between words; every
    other column holds identifiers and is never wrapped or cut."""
    needed = 1
    for i, h in enumerate(headers):
        cells = [h, *(r[i] for r in rows)]
        width = max(_longest_word(c) if i in prose else _longest_line(c) for c in cells)
        needed += width + _PER_COLUMN
    if needed <= out.width:
        t = Table()
        for i, h in enumerate(headers):
            if i in prose:
                t.add_column(h, overflow="fold")
            else:
                t.add_column(h, no_wrap=True)
        for r in rows:
            t.add_row(*r)
        out.print(t)
        return
    # Narrow layout: one block per row, its first cell as the heading.
    for n, r in enumerate(rows):
        if n:
            out.print()
        out.print(f"[bold]{r[0]}[/]")
        pairs(out, list(zip(headers[1:], r[1:])), indent=2)


def pairs(out: Console, items: Sequence[tuple[str, str]], *, indent: int = 0) -> None:
    """``key  value`` lines; a value wraps between words. If some word of a value would not fit
    beside the keys, every value goes on its own lines under its key instead."""
    keyw = max((len(k) for k, _ in items), default=0)
    room = out.width - indent - keyw - 2
    pad = " " * indent
    if all(_longest_word(v) <= room for _, v in items):
        t = Table.grid(padding=(0, 2), pad_edge=False)
        t.add_column(no_wrap=True)
        t.add_column(overflow="fold")
        for k, v in items:
            t.add_row(k, v)
        out.print(Padding(t, (0, 0, 0, indent), expand=False))
        return
    for k, v in items:
        out.print(f"{pad}{k}:", soft_wrap=True)
        for line in _wrap_words(v, out.width - indent - 2):
            if _longest_word(line) > out.width - indent - 2:
                # one identifier wider than the indented room (a kernel directory at 80 columns):
                # alone on its line, unindented, never cut by us (folding it put a newline inside
                # the path); wider than the terminal, the terminal wraps it and a copy keeps it whole
                out.print(line, soft_wrap=True, markup=False, highlight=False)
            else:
                out.print(f"{pad}  {line}", soft_wrap=True, markup=False, highlight=False)


def _wrap_words(text: str, room: int) -> list[str]:
    """``text`` in lines of at most ``room`` columns, broken only between words; a word wider
    than ``room`` gets a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(word) <= room and len(lines[-1]) <= room and len(lines[-1]) + 1 + len(word) <= room:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def argv_lines(argv: Sequence[str], width: int) -> str:
    """A shell command as ``\\``-continued lines of at most ``width`` columns where possible,
    breaking only before an option: still one command when pasted into a shell."""
    words = [shlex.quote(a) for a in argv]
    groups: list[str] = []
    for w in words:
        if groups and not w.startswith("-") and groups[-1].startswith("-") and " " not in groups[-1]:
            groups[-1] += " " + w  # an option's value stays with its option
        else:
            groups.append(w)
    lines: list[str] = []
    for g in groups:
        # +4: the continuation lines' indent and the trailing " \\"
        if lines and len(lines[-1]) + 1 + len(g) + 4 <= width:
            lines[-1] += " " + g
        else:
            lines.append(g)
    return " \\\n  ".join(lines)


def per_month(usd_per_hour: float) -> str:
    """`` ($X/month)`` after an always-on hourly cost (min_containers ≥ 1), else ``""``: the month
    is plan/cost.py's HOURS_PER_MONTH, as in `cost`."""
    if usd_per_hour <= 0:
        return ""
    from modal_llm_deploy.plan.cost import HOURS_PER_MONTH

    return f" (${usd_per_hour * HOURS_PER_MONTH:,.0f}/month)"


def table(*headers: str, **kw: Any) -> Table:
    """A rich table whose cells wrap instead of being cut with "…" (a name must stay readable)."""
    t = Table(**kw)
    for h in headers:
        t.add_column(h, overflow="fold")
    return t
