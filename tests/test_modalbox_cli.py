"""The CLI's `deploy` and `setup` against the local control plane record the same as the deploy
script under the real `modal` CLI (issue 8): what Modal receives from `modal-llm-deploy deploy
glm51_fp8` equals the plan field by field (compare_plan), exactly as `modal deploy
examples/glm51_deploy.py` does, with and without an override; `modal-llm-deploy setup` calls
download → compile → verify in order and a compile failure stops before verify, in one line.
"""

from __future__ import annotations

import pytest

from modalbox.box import box  # noqa: F401  (fixture)
from modalbox.compare import compare_plan, sent_app
from test_modalbox_deploy import plan_json
from test_modalbox_run import SCRIPT, calls_of, compile_fails

PROFILE = "glm51_fp8"


def _sent_matches(box, res, plan) -> None:
    assert res.returncode == 0, res.stdout + res.stderr
    problems = compare_plan(plan, sent_app(box.cp, res.calls))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("sets", [(), ("serving.max_containers=5", "serving.min_containers=1")])
def test_cli_deploy_records_what_the_script_records(box, sets):
    plan = plan_json(PROFILE, *sets)
    cli_args = [a for s in sets for a in ("--set", s)]
    by_cli = box.mld("deploy", PROFILE, *cli_args)
    _sent_matches(box, by_cli, plan)
    # The script reads the same overrides from the environment (load_profile: MODAL_LLM_DEPLOY_SET).
    env = {"MODAL_LLM_DEPLOY_SET": " ".join(sets)} if sets else None
    by_script = box.modal("deploy", SCRIPT, env=env)
    _sent_matches(box, by_script, plan)
    # Same app, same functions: the CLI deploys the script's app, not a look-alike.
    (p_cli,), (p_script,) = by_cli.of("AppPublish"), by_script.of("AppPublish")
    assert (p_cli.name, set(p_cli.function_ids)) == (p_script.name, set(p_script.function_ids))
    assert f"[{plan['app_name']}] deployed; server URL: " in by_cli.stdout, by_cli.stdout
    if sets:
        # the override reached Modal: compare_plan would flag a default max_containers
        assert plan["server"]["max_containers"] == 5


def test_cli_deploy_with_a_differing_plan_is_caught(box):
    """compare_plan can fail here: the CLI's deploy against a plan with another max is reported."""
    res = box.mld("deploy", PROFILE)
    plan = plan_json(PROFILE, "serving.max_containers=5")
    problems = compare_plan(plan, sent_app(box.cp, res.calls))
    assert any("max_containers" in p for p in problems), problems


def test_cli_setup_runs_download_compile_verify_in_order(box):
    box.cp.outcomes.clear()
    res = box.mld("setup", PROFILE, "--skip-preflight")
    assert res.returncode == 0, res.stdout + res.stderr
    assert calls_of(box, res) == [
        ("download_model", (), {}),
        ("compile_deepgemm", (), {"force": False}),
        ("verify_setup", (), {"deep": False}),
    ]
    assert f"volumes ready. Next: modal-llm-deploy deploy {PROFILE}" in res.stdout, res.stdout
    # like `modal run`: an ephemeral app, never published under the deployment's name
    assert not res.of("AppPublish") or all(not p.name for p in res.of("AppPublish"))


def test_cli_setup_passes_its_options(box):
    box.cp.outcomes.clear()
    res = box.mld("setup", PROFILE, "--skip-preflight", "--deep", "--force-compile")
    assert res.returncode == 0, res.stdout + res.stderr
    assert [c[2] for c in calls_of(box, res)][1:] == [{"force": True}, {"deep": True}]


def test_cli_setup_compile_failure_stops_before_verify_with_one_line(box, tmp_path):
    with compile_fails(box, tmp_path) as outcome:
        res = box.mld("setup", PROFILE, "--skip-preflight")
    names = [n for n, _, _ in calls_of(box, res)]
    assert names == ["download_model", "compile_deepgemm"], names  # verify never started
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert outcome.stderr.strip() in out, out  # the container's line, streamed from its logs
    assert "Traceback" not in out, out
    # our own verdict: exactly one line on stderr
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: "), (res.stdout, res.stderr)
