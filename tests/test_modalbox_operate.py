"""`modal-llm-deploy url` and `scale` end to end: our CLI → the real modal client
(`modal.Server.from_name(...).get_url()`, `.autoscaler.update(...)`) → the local control plane.

The autoscaler requests are decoded from the recorded FunctionUpdateSchedulingParams: their
AutoscalerSettings fields have presence (modal_proto), so "only what the user changed is sent"
is a check on which fields are set, and the control plane merges them like Modal does
(modal/_server.py: ServerAutoscaler.update — unset arguments are not changed).
"""

from __future__ import annotations

import json
import subprocess

import pytest

from modalbox.box import BIN, REPO, box  # noqa: F401  (fixture)

PROFILE = "glm51_fp8"
SCRIPT = "examples/glm51_deploy.py"


@pytest.fixture(scope="module")
def plan() -> dict:
    proc = subprocess.run([str(BIN / "modal-llm-deploy"), "plan", PROFILE, "--json"], capture_output=True, text=True,
                          cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def server_id(box, plan) -> str:
    res = box.modal("deploy", SCRIPT)
    assert res.returncode == 0, res.stdout + res.stderr
    (publish,) = res.of("AppPublish")
    return publish.function_ids[plan["server"]["unit"]]


def set_fields(settings) -> dict:
    return {f.name: v for f, v in settings.ListFields()}


def test_url_before_deploy_is_one_line(box, plan):
    res = box.mld("url", PROFILE)
    assert res.returncode == 1
    assert "Traceback" not in res.stderr
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1 and plan["app_name"] in lines[0], lines


def test_url_prints_the_deployed_servers_url(box, plan, server_id):
    res = box.mld("url", PROFILE)
    assert res.returncode == 0, res.stderr
    (get,) = res.of("FunctionGet")
    assert (get.app_name, get.object_tag) == (plan["app_name"], plan["server"]["unit"])
    assert res.stdout.strip() == box.cp.server_url(box.cp.apps[plan["app_name"]], plan["server"]["unit"])


def test_scale_sends_only_what_the_user_changed(box, plan, server_id):
    deployed = set_fields(box.cp.autoscaler[server_id])
    assert deployed["min_containers"] == plan["server"]["min_containers"] == 0

    res = box.mld("scale", PROFILE, "--min", "1")
    assert res.returncode == 0, res.stdout + res.stderr
    (req,) = res.of("FunctionUpdateSchedulingParams")
    assert req.function_id == server_id
    assert set_fields(req.settings) == {"min_containers": 1}

    res = box.mld("scale", PROFILE, "--max", "5")
    assert res.returncode == 0, res.stdout + res.stderr
    (req,) = res.of("FunctionUpdateSchedulingParams")
    assert set_fields(req.settings) == {"max_containers": 5}

    now = box.cp.autoscaler[server_id]
    assert (now.min_containers, now.max_containers) == (1, 5)  # min stayed at 1
    assert now.scaledown_window == plan["server"]["scaledown_window_s"]
    # The CLI reports what Modal says is in force, not the profile's values.
    usd = plan["cost"]["server_usd_per_hour"]
    assert f"min 1, max 5, buffer 0, scaledown {plan['server']['scaledown_window_s']} s" in res.stdout, res.stdout
    assert f"idle cost now ${usd:.2f}/h" in res.stdout, res.stdout

    res = box.mld("scale", PROFILE, "--buffer", "1", "--scaledown", "600")
    assert res.returncode == 0, res.stdout + res.stderr
    (req,) = res.of("FunctionUpdateSchedulingParams")
    assert set_fields(req.settings) == {"buffer_containers": 1, "scaledown_window": 600}


def test_scale_rejects_bad_values_before_calling_modal(box, plan, server_id):
    res = box.mld("scale", PROFILE, "--min", "7")  # above the profile's max of 3
    assert res.returncode == 2, res.stdout + res.stderr
    assert not res.of("FunctionUpdateSchedulingParams")
    assert "Traceback" not in res.stderr


def test_secret_create_as_in_readme(box):
    """README: `modal secret create glm51-api-key API_KEY=...` — the value goes to Modal here,
    and only here (the deploy tests prove no other request carries one)."""
    res = box.modal("secret", "create", "readme-api-key", "API_KEY=abc123")
    assert res.returncode == 0, res.stdout + res.stderr
    (req,) = res.of("SecretGetOrCreate")
    assert req.deployment_name == "readme-api-key" and dict(req.env_dict) == {"API_KEY": "abc123"}
    assert box.cp.secret_keys["readme-api-key"] == ["API_KEY"]
    again = box.modal("secret", "create", "readme-api-key", "API_KEY=abc123")
    assert again.returncode != 0 and "already exists" in again.stdout + again.stderr


def test_deploy_with_a_missing_secret_fails_naming_it(box, tmp_path):
    script = tmp_path / "missing_secret_deploy.py"
    script.write_text(
        "from modal_llm_deploy import build_app, load_profile, setup_functions\n"
        "app = build_app(load_profile('glm51_fp8', {'serving.api_key_secret': 'no-such-key'}))\n"
        "setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)\n"
    )
    res = box.modal("deploy", str(script))
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "no-such-key" in out and "not found" in out, out
    assert "Traceback" not in out, out
    assert not res.of("AppPublish")  # nothing half-deployed is published
