"""Cost under a traffic shape: every figure from the plan and data/prices.json."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.plan.cost import (
    HOURS_PER_MONTH,
    CostError,
    Traffic,
    container_usd_per_hour,
    estimate,
    prices,
    read_bench_jsonl,
)
from modal_llm_deploy.base.hardware import GPU_TYPES, gpu_usd_per_hour

from conftest import BUNDLED, REPO

CLI = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "modal-llm-deploy")


def test_price_file_has_source_and_date_and_agrees_with_the_plan():
    p = prices()
    assert "https://modal.com/pricing" in p["source"] and re.fullmatch(r"\d{4}-\d{2}", p["checked"])
    # The plan prices from the same file (hardware.gpu_usd_per_hour): every priced GPU is known.
    for name, usd in p["gpu_usd_per_hour"].items():
        assert name in GPU_TYPES and gpu_usd_per_hour(name) == usd
    for name in BUNDLED:
        plan = build_plan(load_profile(name))
        assert round(container_usd_per_hour(plan), 2) == plan.cost.server_usd_per_hour


def test_unpriced_gpu_is_refused_not_guessed():
    plan = build_plan(load_profile("glm51_fp8", {"hardware.gpu": "B300"}))
    with pytest.raises(CostError, match="no price for GPU 'B300'"):
        container_usd_per_hour(plan)
    # the plan still builds, and says loudly that its dollar figures lack the GPU's price
    assert gpu_usd_per_hour("B300") is None and plan.cost.gpu_usd_per_hour == 0.0
    assert plan.cost.note.startswith("NO PRICE recorded for B300")


def test_monthly_lines_add_up_from_the_plan():
    plan = build_plan(load_profile("glm51_fp8"))
    rate = container_usd_per_hour(plan)
    r = estimate(plan, Traffic(active_hours_per_day=6, days_per_month=20, cold_starts_per_day=2, containers=1.5))
    by = {x.item: x for x in r.monthly}
    assert by["traffic"].container_hours == pytest.approx(6 * 20 * 1.5)
    assert by["cold-start load"].container_hours == pytest.approx(40 * plan.server.startup_estimate_s / 3600)
    assert by["scale-down tail"].container_hours == pytest.approx(40 * plan.server.scaledown_window_s / 3600)
    assert r.monthly_usd == pytest.approx(sum(x.container_hours for x in r.monthly) * rate)
    assert [x.usd for x in r.one_time] == [plan.cost.download_once_usd, plan.cost.compile_once_usd]


def test_traffic_inside_warm_windows_and_floor_is_not_paid_twice():
    win = [{"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC"}]
    plan = build_plan(load_profile("glm51_fp8", {"serving.warm_windows": win}))
    r = estimate(plan, Traffic(active_hours_per_day=8, days_per_month=21, cold_starts_per_day=0))
    by = {x.item: x for x in r.monthly}
    assert by["warm windows"].container_hours == plan.keep_warm.warm_container_hours_per_month
    assert by["traffic"].container_hours == 0  # 168 h of traffic < ~174 h of windows
    floor = build_plan(load_profile("glm51_fp8", {"serving.min_containers": 1}))
    r = estimate(floor, Traffic(active_hours_per_day=24, days_per_month=30, containers=2, cold_starts_per_day=0))
    by = {x.item: x for x in r.monthly}
    assert by["min_containers floor"].container_hours == pytest.approx(HOURS_PER_MONTH)
    assert by["traffic"].container_hours == pytest.approx(24 * 30 * 2 - HOURS_PER_MONTH)


def test_a_multinode_replica_is_priced_as_all_its_containers(tmp_path):
    """glm51_fp8_h100x2: one replica (what serves a request, cold-starts, idles in the scale-down
    tail and what bench measures) is hardware.nodes=2 containers; each is billed (docs/multinode.md)."""
    plan = build_plan(load_profile("glm51_fp8_h100x2"))
    nodes = plan.topology.nodes
    assert nodes == 2
    rate = container_usd_per_hour(plan)
    r = estimate(plan, Traffic(active_hours_per_day=6, days_per_month=20, cold_starts_per_day=2, containers=1),
                 [{"max_concurrency": 8, "output_throughput": 1000.0}])
    by = {x.item: x for x in r.monthly}
    assert by["traffic"].container_hours == pytest.approx(6 * 20 * nodes)
    assert by["cold-start load"].container_hours == pytest.approx(40 * plan.server.startup_estimate_s / 3600 * nodes)
    assert by["scale-down tail"].container_hours == pytest.approx(40 * plan.server.scaledown_window_s / 3600 * nodes)
    assert r.monthly_usd == pytest.approx(sum(x.container_hours for x in r.monthly) * rate)
    # 1000 tok/s from one replica = 3.6 M tokens per replica-hour = nodes container-hours
    assert r.per_mtok[0].usd_per_mtok == pytest.approx(rate * nodes / 3.6)
    compile_line = {x.item: x for x in r.one_time}["DeepGEMM compile"]
    assert compile_line.usd == pytest.approx(compile_line.container_hours * rate, rel=0.01)


def test_usd_per_mtok_from_bench_rows_and_from_volume(tmp_path):
    plan = build_plan(load_profile("glm51_fp8"))
    rate = container_usd_per_hour(plan)
    f = tmp_path / "bench.jsonl"
    f.write_text('{"max_concurrency": 1, "output_throughput": 130.0}\n{"max_concurrency": 48, "output_throughput": 2400.0}\n')
    r = estimate(plan, Traffic(requests_per_day=1000, output_tokens_per_request=500), read_bench_jsonl(f))
    c1, c48, vol = r.per_mtok
    # one container-hour at 2400 tok/s produces 8.64 M tokens
    assert c48.usd_per_mtok == pytest.approx(rate / 8.64)
    assert c1.usd_per_mtok == pytest.approx(rate / (130 * 3600 / 1e6))
    assert vol.usd_per_mtok == pytest.approx(r.monthly_usd / (1000 * 500 * 22 / 1e6))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"x": 1}\n')
    with pytest.raises(CostError, match="bad.jsonl:1: no output_throughput"):
        read_bench_jsonl(bad)


def test_cli_cost_json_and_bad_input(tmp_path):
    r = subprocess.run([CLI, "cost", "glm51_fp8", "--active-hours", "4", "--days", "10", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["monthly"][0]["item"] == "traffic" and d["monthly"][0]["container_hours"] == 40
    assert "no $/Mtok" in " ".join(d["notes"])
    for args, frag in ((["--active-hours", "25"], "--active-hours"), (["--requests-per-day", "5"], "--output-tokens"),
                       (["--bench", str(tmp_path / "none.jsonl")], "none.jsonl")):
        r = subprocess.run([CLI, "cost", "glm51_fp8", *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and frag in r.stderr, r.stderr
