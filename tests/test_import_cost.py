"""What Modal's import of a deploy script loads (issue 7, import cost: benchmarks/bench_import.py
measures the CPU; this keeps the modules a deploy never needs from creeping back in)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules of ours (and stdlib ones modal does not load itself) that building the app must not
# import: operator tools (triage, smoke, cost, the CLI), the flag-data generator's subprocess
# plumbing (sglang_check: subprocess/venv), and error-path helpers (difflib, argparse).
NOT_AT_BUILD = ["modal_llm_deploy.sglang_check", "modal_llm_deploy.cost", "modal_llm_deploy.triage",
                "modal_llm_deploy.smoke", "modal_llm_deploy.cli", "modal_llm_deploy.gen_flags",
                "difflib", "argparse", "venv"]


def test_building_the_example_app_skips_what_a_deploy_does_not_need():
    code = ("import json, runpy, sys; runpy.run_path(sys.argv[1], run_name='__modal_bench__'); "
            "print(json.dumps(sorted(sys.modules)))")
    r = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "glm51_deploy.py")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1]))
    assert "modal_llm_deploy.modal_app" in loaded and "modal" in loaded  # it did build the app
    assert [m for m in NOT_AT_BUILD if m in loaded] == []
