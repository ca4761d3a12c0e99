"""Secret values never appear in a plan, an image definition, a container env, or CLI output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modal_llm_deploy import build_app, build_plan, load_profile

from conftest import BUNDLED, REPO

HF = "hf_SENTINEL_token_8d1f"
KEY = "sk-SENTINEL-apikey-77aa"


@pytest.fixture
def secrets_in_env(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", HF)
    monkeypatch.setenv("API_KEY", KEY)
    monkeypatch.setenv("HUGGING_FACE_HUB_TOKEN", HF)


@pytest.mark.parametrize("name", BUNDLED)
def test_plan_and_app_carry_no_secret_values(secrets_in_env, name):
    plan = build_plan(load_profile(name))
    dumped = plan.model_dump_json()
    assert HF not in dumped and KEY not in dumped
    assert "--api-key" not in plan.sglang_argv and "--api-key" not in (plan.compile_argv or [])
    for unit in plan.units:
        for v in unit.env.values():
            assert HF not in v and KEY not in v
    for img in plan.images.values():
        assert HF not in img.model_dump_json() and KEY not in img.model_dump_json()
    # Rendering reads only the plan; the secrets are referenced by name.
    build_app(load_profile(name))
    assert {s for u in plan.units for s in u.secrets} <= {"huggingface-secret", "glm51-api-key"}


def test_cli_and_modal_output_carry_no_secret_values(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env.update(HF_TOKEN=HF, API_KEY=KEY, HOME=str(tmp_path))
    cli = str(Path(sys.executable).with_name("modal-llm-deploy"))
    modal = str(Path(sys.executable).with_name("modal"))
    outs = []
    for cmd in ([cli, "plan", "glm51_fp8"], [cli, "plan", "glm51_fp8", "--json"], [cli, "profiles"],
                [modal, "deploy", "examples/glm51_deploy.py"]):
        r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        outs.append(r.stdout + r.stderr)
    assert "glm51-api-key" in outs[1]  # the secret's *name* is there...
    for o in outs:
        assert HF not in o and KEY not in o  # ...its value is not
