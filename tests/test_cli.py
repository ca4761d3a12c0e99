"""The CLI: readable plan, JSON plan, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = str(Path(sys.executable).with_name("modal-llm-deploy"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def test_profiles_lists_bundled():
    r = run("profiles", "--json")
    assert r.returncode == 0
    rows = {p["name"]: p for p in json.loads(r.stdout)}
    assert rows["glm51_fp8"]["gpu"] == "B200:8" and rows["glm51_fp8_h200"]["gpu"] == "H200:8"
    assert rows["glm51_fp8"]["plugin"] == "glm51" and rows["glm51_fp8"]["distribution"] == "modal-llm-deploy-glm51"
    table = run("profiles")
    assert table.returncode == 0 and "glm51_fp8_h200" in table.stdout


def test_plan_table_and_json():
    r = run("plan", "glm51_fp8")
    assert r.returncode == 0
    assert "glm-5.1-production" in r.stdout and "--dsa-decode-backend trtllm" in r.stdout
    j = run("plan", "glm51_fp8", "--json", "--set", "serving.max_containers=5")
    plan = json.loads(j.stdout)
    assert plan["server"]["max_containers"] == 5 and plan["app_name"] == "glm-5.1-production"


def test_plan_override_file(tmp_path):
    f = tmp_path / "o.toml"
    f.write_text("[serving]\nmin_containers = 1\n")
    plan = json.loads(run("plan", "glm51_fp8", "--json", "--file", str(f)).stdout)
    assert plan["server"]["min_containers"] == 1 and plan["cost"]["idle_usd_per_hour"] == 51.5


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["plan", "glm51_fpp"], "did you mean glm51_fp8"),
        (["plan", "glm51_fp8", "--set", "serving.max_container=5"], "did you mean serving.max_containers"),
        (["plan", "glm51_fp8", "--set", "serving.max_containers=abc"], "serving.max_containers"),
        (["plan", "glm51_fp8", "--set", "hardware.count=4"], "hardware.count=4"),
        (["plan", "glm51_fp8", "--set", "hardware.gpu=H200"], "Blackwell-only"),
        (["plan", "glm51_fp8", "--set", "novalue"], "expected KEY=VALUE"),
        (["plan", "glm51_fp8", "--file", "/nonexistent.toml"], "file not found"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragment):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


def no_token_run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("args", [["scale", "glm51_fp8", "--min", "1"], ["url", "glm51_fp8"]])
def test_operate_commands_need_modal_and_say_so(tmp_path, args):
    r = no_token_run(tmp_path, *args)
    assert r.returncode == 1
    line = r.stderr.strip()
    assert "\n" not in line and "glm-5.1-production/server" in line and "Token missing" in line


def test_scale_validates_against_the_profile_before_calling_modal(tmp_path):
    r = no_token_run(tmp_path, "scale", "glm51_fp8", "--min", "5")
    assert r.returncode == 2 and "min_containers=5 exceeds max_containers=3" in r.stderr
    assert "Token missing" not in r.stderr  # refused locally, Modal never called
    r = no_token_run(tmp_path, "scale", "glm51_fp8")
    assert r.returncode == 2 and "nothing to change" in r.stderr
