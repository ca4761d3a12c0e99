"""Keep-warm windows: the scheduled function's real body, run with a recording autoscaler.

The recorder stands in for Modal's far side (the autoscaler of a deployed server), not for our
product; its ``update`` has the parameters of modal 1.6's ``_ServerAutoscalerManager.update``
(checked below), and ``runtime.keep_warm`` — the function Modal's cron calls — runs unchanged.
"""

from __future__ import annotations

import inspect
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import modal
import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.modal_adapter import runtime
from modal_llm_deploy.operate import keep_warm
from modal_llm_deploy.modal_adapter.render import built, render
from modal_llm_deploy.plan.models import PLAN_ENV
from modal_llm_deploy.plan.schedules import WEEKS_PER_MONTH, cron_for
from modal_llm_deploy.profile.windows import WarmWindow, min_containers_at

from conftest import REPO

CLI = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "modal-llm-deploy")

WINDOWS = [
    # Office hours in Berlin (CET/CEST), 1 warm container.
    {"days": ["mon-fri"], "start": "08:00", "end": "19:30", "timezone": "Europe/Berlin", "min_containers": 1},
    # A US evening batch over midnight, Friday night into Saturday, 2 containers.
    {"days": ["fri"], "start": "22:00", "end": "02:00", "timezone": "America/New_York", "min_containers": 2},
    # Weekend mornings, UTC.
    {"days": "sat-sun", "start": "10:00", "end": "12:00", "timezone": "UTC", "min_containers": 1},
]


def _plan(windows=WINDOWS, base=0):
    return build_plan(load_profile("glm51_fp8", {"serving.warm_windows": windows, "serving.max_containers": 3,
                                                 "serving.min_containers": base}))


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


# (instant in UTC, expected min_containers). 2026: US DST starts Sun 8 Mar, EU DST Sun 29 Mar;
# EU DST ends Sun 25 Oct, US DST ends Sun 1 Nov.
TABLE = [
    (utc(2026, 1, 5, 6, 59), 0),    # Mon 07:59 Berlin (CET, UTC+1): before the window
    (utc(2026, 1, 5, 7, 0), 1),     # Mon 08:00 Berlin: opens (start inclusive)
    (utc(2026, 1, 5, 18, 29), 1),   # Mon 19:29 Berlin
    (utc(2026, 1, 5, 18, 30), 0),   # Mon 19:30 Berlin: closed (end exclusive)
    (utc(2026, 1, 9, 23, 0), 0),    # Fri 18:00 New York (EST): Berlin closed, US batch not yet
    (utc(2026, 1, 10, 3, 0), 2),    # Fri 22:00 New York = Sat 03:00 UTC: over-midnight window opens
    (utc(2026, 1, 10, 5, 0), 2),    # Sat 00:00 New York: past midnight, still Friday's window
    (utc(2026, 1, 10, 6, 59), 2),   # Sat 01:59 New York
    (utc(2026, 1, 10, 7, 0), 0),    # Sat 02:00 New York: closed
    (utc(2026, 1, 10, 10, 0), 1),   # Sat 10:00 UTC: weekend window
    (utc(2026, 1, 11, 11, 59), 1),  # Sun 11:59 UTC
    (utc(2026, 1, 11, 12, 0), 0),   # Sun 12:00 UTC: closed
    (utc(2026, 1, 10, 8, 0), 0),    # Sat 09:00 Berlin: weekday window does not open on Saturday
    (utc(2026, 1, 4, 3, 30), 0),    # Sat 22:30 New York: the Friday window does not open on Saturday
    # DST: Berlin opens at 07:00 UTC in winter, 06:00 UTC in summer (wall clock stays 08:00).
    (utc(2026, 3, 27, 6, 30), 0),   # Fri 07:30 CET (before EU DST)
    (utc(2026, 3, 30, 6, 30), 1),   # Mon 08:30 CEST (after EU DST, Sun 29 Mar)
    (utc(2026, 3, 30, 5, 59), 0),   # Mon 07:59 CEST
    # Between US DST (8 Mar) and EU DST (29 Mar): New York is UTC-4, so Fri 22:00 = Sat 02:00 UTC.
    (utc(2026, 3, 14, 2, 0), 2),
    (utc(2026, 3, 14, 1, 59), 0),
    # The week the US falls back (1 Nov) but after the EU did (25 Oct): both on winter time again.
    (utc(2026, 10, 26, 7, 0), 1),   # Mon 08:00 CET
    (utc(2026, 10, 26, 6, 59), 0),
]


class RecordingAutoscaler:
    """Stands in for ``modal.Server.from_name(...).autoscaler`` (modal/_server.py)."""

    def __init__(self):
        self.calls: list[dict] = []

    def update(self, *, target_concurrency=None, min_containers=None, max_containers=None,
               buffer_containers=None, scaledown_window=None, scaleup_window=None):
        given = dict(target_concurrency=target_concurrency, min_containers=min_containers,
                     max_containers=max_containers, buffer_containers=buffer_containers,
                     scaledown_window=scaledown_window, scaleup_window=scaleup_window)
        self.calls.append({k: v for k, v in given.items() if v is not None})


def test_recorder_has_modals_update_signature():
    from modal._server import _ServerAutoscalerManager

    real = inspect.signature(_ServerAutoscalerManager.update).parameters
    ours = inspect.signature(RecordingAutoscaler.update).parameters
    assert set(ours) == set(real)
    assert real["min_containers"].kind is inspect.Parameter.KEYWORD_ONLY


@pytest.fixture
def deployed(monkeypatch):
    """The plan in the container env and a deployed server whose autoscaler records."""
    plan = _plan()
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    rec = RecordingAutoscaler()
    looked_up = []

    class _Server:
        autoscaler = rec

    def from_name(app_name, name, **kw):
        looked_up.append((app_name, name))
        return _Server()

    monkeypatch.setattr(modal.Server, "from_name", from_name)
    return plan, rec, looked_up


def test_keep_warm_body_sets_what_the_schedule_says(deployed, monkeypatch, capsys):
    plan, rec, looked_up = deployed
    for instant, want in TABLE:
        monkeypatch.setattr(keep_warm, "_now", lambda instant=instant: instant)
        runtime.keep_warm()
    assert [c for c in rec.calls] == [{"min_containers": want} for _, want in TABLE]
    assert set(looked_up) == {(plan.app_name, "server")}
    assert "min_containers=" in capsys.readouterr().out


def test_a_missed_tick_is_harmless(deployed, monkeypatch):
    """Ticks at 07:45 and 08:15 Berlin only (08:00 missed): 08:15 still sets the window's value;
    a missed closing tick is corrected by the next one."""
    _, rec, _ = deployed
    for instant in (utc(2026, 1, 5, 6, 45), utc(2026, 1, 5, 7, 15), utc(2026, 1, 5, 18, 45)):
        monkeypatch.setattr(keep_warm, "_now", lambda instant=instant: instant)
        runtime.keep_warm()
    assert rec.calls == [{"min_containers": 0}, {"min_containers": 1}, {"min_containers": 0}]


def test_base_min_containers_is_a_floor():
    plan = _plan(base=1)
    w = plan.keep_warm.windows
    assert min_containers_at(w, 1, utc(2026, 1, 5, 3, 0)) == 1  # night: the deployed floor
    assert min_containers_at(w, 1, utc(2026, 1, 10, 4, 0)) == 2  # the 2-container window


def test_window_validation_errors_name_the_field():
    with pytest.raises(Exception, match="timezone 'Mars/Base'"):
        WarmWindow(days=["mon"], start="08:00", end="09:00", timezone="Mars/Base")
    with pytest.raises(Exception, match="HH:MM"):
        WarmWindow(days=["mon"], start="8am", end="09:00")
    with pytest.raises(Exception, match="mon..sun"):
        WarmWindow(days=["monday"], start="08:00", end="09:00")
    with pytest.raises(Exception, match="needs a length"):
        WarmWindow(days=["mon"], start="08:00", end="08:00")
    assert WarmWindow(days="fri-mon", start="00:00", end="24:00").days == ("mon", "fri", "sat", "sun")
    with pytest.raises(Exception, match="exceeds max_containers"):
        load_profile("glm51_fp8", {"serving.warm_windows": [{"days": "mon", "start": "08:00", "end": "09:00",
                                                              "min_containers": 5}]})


def test_cron_ticks_at_every_boundary_in_the_windows_timezone():
    berlin = (WarmWindow(days="mon-fri", start="08:10", end="19:35", timezone="Europe/Berlin"),)
    cron, tz = cron_for(berlin)
    assert tz == "Europe/Berlin" and cron == "0,10,15,30,35,45 * * * *"
    # Mixed zones: UTC, each boundary's minute under its zone's offsets (India is UTC+5:30).
    mixed = berlin + (WarmWindow(days="mon", start="09:10", end="10:00", timezone="Asia/Kolkata"),)
    cron, tz = cron_for(mixed)
    minutes = {int(m) for m in cron.split()[0].split(",")}
    assert tz == "UTC" and {40, 30, 10, 35} <= minutes  # 09:10 IST = 03:40 UTC; 10:00 IST = 04:30 UTC
    modal.Cron(cron, timezone=tz)  # the real class accepts both (constructs offline)


def test_monthly_cost_counts_overlaps_once_and_the_scaledown_tail():
    one = {"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC", "min_containers": 1}
    plan = _plan([one, {**one, "start": "12:00", "end": "13:00"}])  # overlap inside the first
    kw = plan.keep_warm
    tail_week = 5 * plan.server.scaledown_window_s / 3600  # one drop per weekday
    assert kw.warm_container_hours_per_month == pytest.approx((5 * 8 + tail_week) * WEEKS_PER_MONTH, abs=0.05)
    assert kw.usd_per_month == pytest.approx(kw.warm_container_hours_per_month * plan.cost.server_usd_per_hour,
                                             rel=1e-3)


def test_render_registers_the_cron_function_only_with_windows():
    app = render(_plan())
    assert "keep_warm" in built(app)[1]
    app = render(build_plan(load_profile("glm51_fp8")))
    assert "keep_warm" not in built(app)[1]
    assert build_plan(load_profile("glm51_fp8")).keep_warm is None


def test_plan_shows_windows_and_monthly_cost():
    r = subprocess.run([CLI, "plan", "glm51_fp8", "--set", "serving.max_containers=3", "--set",
                        'serving.warm_windows=[{days=["mon-fri"], start="08:00", end="19:30", timezone="Europe/Berlin"}]'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    kw = _plan([WINDOWS[0]]).keep_warm
    assert "keep-warm" in r.stdout and "Europe/Berlin" in r.stdout
    assert f"${kw.usd_per_month:,.2f}/month" in r.stdout
    r = subprocess.run([CLI, "plan", "glm51_fp8", "--set", 'serving.warm_windows=[{days="mon", start="8", end="9"}]'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "warm_windows" in r.stderr
