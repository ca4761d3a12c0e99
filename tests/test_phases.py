"""Cold-start phases: timings from SGLang's own boot lines, budgets from the plan.

The marker strings are proven against the SGLang 0.5.23 source in test_triage.py
(test_phase_markers_exist_in_pinned_sources); here: the arithmetic and the warnings, with a
controlled clock, and the plan's budget.
"""

from __future__ import annotations

import json

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.phases import PHASE_ORDER, ColdStartPlan
from modal_llm_deploy.steps.phases import PhaseClock


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Child:  # what PhaseClock.attach uses of steps/serve.py's StreamedChild
    def __init__(self, started_at):
        self.started_at = started_at
        self.seen: list[str] = []
        self.on_line = self.seen.append


BOOT = [  # (seconds after the previous line, SGLang 0.5.23 line)
    (3.0, "[2026-11-28 10:00:02 TP0] Load weight begin. avail mem=178.20 GB"),
    (330.0, "[2026-11-28 10:05:32 TP0] Load weight end. elapsed=330.00 s, type=GlmMoeDsaForCausalLM"),
    (5.0, "[2026-11-28 10:05:37 TP0] Capture target verify CUDA graph begin. backend=full"),
    (100.0, "[2026-11-28 10:07:17 TP0] Capture target verify CUDA graph end. bs=[1, 2, 4], elapsed=100.00 s"),
    (20.0, "[2026-11-28 10:07:37 TP0] Capture draft decode CUDA graph begin. backend=full"),
    (30.0, "[2026-11-28 10:08:07 TP0] Capture draft decode CUDA graph end. elapsed=30.00 s"),
    (25.0, "[2026-11-28 10:08:32] The server is fired up and ready to roll!"),
]


def _boot(clock: Clock, reload_s=4.0, copy_s=12.0, warmup_s=2.5) -> PhaseClock:
    pc = PhaseClock(clock)
    clock.now += reload_s
    pc.mark("volume_check")
    clock.now += copy_s
    pc.mark("kernel_cache_restore")
    child = Child(clock.now)
    pc.attach(child)
    for dt, line in BOOT:
        clock.now += dt
        child.on_line(line)
    assert child.seen == [line for _, line in BOOT]  # still logged exactly as before
    clock.now += warmup_s
    pc.mark("warm")
    return pc


def test_phases_from_sglang_lines():
    pc = _boot(Clock())
    s = pc.summary()
    assert s == {"volume_check": 4.0, "kernel_cache_restore": 12.0, "weights": 333.0,
                 "graph_capture": 150.0,  # first begin → last end (target and draft graphs)
                 "ready": 25.0, "warmup": 2.5, "total": 531.5}
    line = pc.line()
    assert line.startswith("cold-start phases: ") and json.loads(line.split(": ", 1)[1]) == s


def test_over_budget_phases_warn_with_what_to_do():
    pc = _boot(Clock(), warmup_s=900.0)  # a first request that JIT-compiles DeepGEMM
    budget = ColdStartPlan.for_profile(weight_load_estimate_s=300, fixed_s=300)
    warnings = pc.over_budget(budget, "modal-llm-deploy logs glm51_fp8 --triage")
    assert [w.split()[3] for w in warnings] == ["weights", "warmup"]
    assert "333 s, over its 300 s budget" in warnings[0] and "num_threads" in warnings[0]
    assert "compile step" in warnings[1]
    assert _boot(Clock()).over_budget(ColdStartPlan.for_profile(400, 1000), "x") == []


def test_over_budget_advice_names_this_deployments_logs_command():
    """The 'ready' advice names the logs command of *this* deployment (overrides included), not
    a placeholder: run as printed, it reads the overridden app's logs."""
    from modal_llm_deploy import build_plan, load_profile

    plan = build_plan(load_profile("glm51_fp8", {"app_name": "glm-tiny"}))
    warnings = _boot(Clock()).over_budget(ColdStartPlan.for_profile(400, 100), plan.commands["logs_triage_cli"])
    ready = [w for w in warnings if w.split()[3] == "ready"]
    assert ready and "(modal-llm-deploy logs glm51_fp8 --set app_name=glm-tiny --triage)" in ready[0], warnings
    assert not any("PROFILE" in w for w in warnings)


def test_missing_markers_leave_phases_unknown_not_zero():
    clock = Clock()
    pc = PhaseClock(clock)
    clock.now += 1
    pc.mark("volume_check")
    s = pc.summary()
    assert s["volume_check"] == 1.0 and s["weights"] is None and s["graph_capture"] is None


def test_plan_budget_matches_the_profiles_estimates():
    p = load_profile("glm51_fp8")
    cs = build_plan(p).cold_start
    assert list(cs.budgets_s) == list(PHASE_ORDER)
    assert cs.budgets_s["weights"] == p.weight_load_estimate_s
    # one figure: the budgets are the phases of the startup estimate, the plan shows it once
    assert cs.total_s == sum(cs.budgets_s.values()) == p.startup_estimate_s <= p.serving.startup_timeout_s
    cold = load_profile("glm51_fp8", {"kernel_cache.allow_cold_jit": True, "serving.startup_timeout_s": 3600})
    ccs = build_plan(cold).cold_start
    assert ccs.total_s == cold.startup_estimate_s == p.startup_estimate_s + cold.cold_jit_estimate_s
    assert ccs.budgets_s["warmup"] == cs.budgets_s["warmup"] + cold.cold_jit_estimate_s  # JIT happens in warmup
