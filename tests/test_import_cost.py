"""What Modal's import of a deploy script loads (issue 7, import cost: benchmarks/bench_import.py
measures the CPU; this keeps the modules a deploy never needs from creeping back in)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Modules of ours (and stdlib ones modal does not load itself) that building the app must not
# import: operator tools (triage, smoke, cost, the CLI), the flag-data generator's subprocess
# plumbing (sglang_check: subprocess/venv), and error-path helpers (difflib, argparse).
NOT_AT_BUILD = ["modal_llm_deploy.engine.check", "modal_llm_deploy.plan.cost", "modal_llm_deploy.operate.triage",
                "modal_llm_deploy.operate.smoke", "modal_llm_deploy.cli", "modal_llm_deploy.engine.gen_flags",
                "difflib", "argparse", "venv"]


# What a build from a stored plan (modal_adapter/plan_cache.py) must not import either: validating the
# profile is the cost the plan cache exists to save.
NOT_ON_A_STORED_PLAN = ["pydantic", "pydantic_core", "pluggy", "modal_llm_deploy.profile", "modal_llm_deploy.plan",
                        "modal_llm_deploy.profile.plugins", "modal_llm_deploy.profile.overrides", "modal_llm_deploy.engine.flags",
                        "mld_glm51"]


def _loaded(cache_dir: Path) -> set[str]:
    code = ("import json, runpy, sys; runpy.run_path(sys.argv[1], run_name='__modal_bench__'); "
            "print(json.dumps(sorted(sys.modules)))")
    env = {**os.environ, "MODAL_LLM_DEPLOY_CACHE_DIR": str(cache_dir)}
    r = subprocess.run([sys.executable, "-c", code, str(ROOT / "examples" / "glm51_deploy.py")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1]))
    assert "modal_llm_deploy.modal_adapter.render" in loaded and "modal" in loaded  # it did build the app
    return loaded


def test_building_the_example_app_skips_what_a_deploy_does_not_need(tmp_path):
    first = _loaded(tmp_path)  # validates the profile and stores the plan
    assert [m for m in NOT_AT_BUILD if m in first] == []
    assert "pydantic" in first  # (so the list below is about the stored plan, not an accident)
    again = _loaded(tmp_path)
    assert [m for m in NOT_AT_BUILD + NOT_ON_A_STORED_PLAN if m in again] == []
