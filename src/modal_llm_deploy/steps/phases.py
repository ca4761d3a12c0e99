"""One container start's phase timestamps, reported against the plan's budget.

The phases, the SGLang log lines that start them and the budget model are engine facts
(``engine/phases.py``); this module only keeps the clock.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Callable

from modal_llm_deploy.engine.phases import (
    PHASE_ADVICE,
    PHASE_ORDER,
    PHASES_LINE,
    ColdStartPlan,
    phase_change,
)


class PhaseClock:
    """Timestamps of one container start: our own steps via ``mark``, SGLang's via ``feed``
    (the markers above, seen in its output as it arrives)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.t0 = clock()
        self.t: dict[str, float] = {}
        self._lock = threading.Lock()

    def mark(self, name: str, at: float | None = None) -> None:
        with self._lock:
            self.t[name] = self.clock() if at is None else at

    def feed(self, line: str) -> None:
        phase = phase_change(line)
        if phase is None:
            return
        with self._lock:
            now = self.clock()
            if phase == "after_graph":
                self.t["after_graph"] = now  # the last capture's end (target, then draft graphs)
            else:
                self.t.setdefault(phase, now)  # the first begin

    def attach(self, child) -> None:
        """Watch a StreamedChild's lines (steps/serve.py) without changing how they are logged."""
        inner = child.on_line
        self.mark("sglang_start", getattr(child, "started_at", None) or None)

        def on_line(line: str) -> None:
            self.feed(line)
            inner(line)

        child.on_line = on_line

    def summary(self) -> dict[str, float | None]:
        t = dict(self.t)

        def span(a: str | None, b: str) -> float | None:
            start = self.t0 if a is None else t.get(a)
            end = t.get(b)
            return round(end - start, 1) if start is not None and end is not None else None

        graph_end = "after_graph" if "after_graph" in t else "after_load"
        return {
            "volume_check": span(None, "volume_check"),
            "kernel_cache_restore": span("volume_check", "kernel_cache_restore"),
            "weights": span("sglang_start", "after_load"),
            "graph_capture": span("graph", "after_graph") if "graph" in t else None,
            "ready": span(graph_end, "serving"),
            "warmup": span("serving", "warm"),
            "total": span(None, "warm"),
        }

    def over_budget(self, plan: ColdStartPlan, logs_triage_cli: str) -> list[str]:
        """``logs_triage_cli``: the deployment's ``logs --triage`` command, rendered by the printer
        (plan.commands["logs_triage_cli"], overrides included)."""
        out = []
        s = self.summary()
        for name in PHASE_ORDER:
            took, budget = s.get(name), plan.budgets_s.get(name)
            if took is not None and budget is not None and took > budget:
                out.append(f"WARNING: cold-start phase {name} took {took:.0f} s, over its {budget} s budget: "
                           f"{PHASE_ADVICE[name].replace('{logs_triage_cli}', logs_triage_cli)}")
        return out

    def line(self) -> str:
        return f"{PHASES_LINE} {json.dumps(self.summary(), separators=(', ', ': '))}"
