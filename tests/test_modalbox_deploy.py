"""`modal deploy` with the real modal client against the local control plane (tests/modalbox/):
what Modal receives equals the plan, field by field, and no secret value is ever sent.

The plan comes from `modal-llm-deploy plan <profile> --json`, what Modal received from the
recorded FunctionCreate/ImageGetOrCreate/VolumeGetOrCreate/SecretGetOrCreate/MountGetOrCreate/
AppPublish requests; `modalbox.compare.compare_plan` maps every plan field to its proto field
(or to the explicit NOT_SENT list) and returns every disagreement.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from modalbox.box import BIN, REPO, SENTINEL, box  # noqa: F401  (fixture)
from modalbox.compare import NOT_SENT, PLAN_ENV, compare_plan, sent_app

EXAMPLES = {
    "glm51_fp8": "examples/glm51_deploy.py",
    "glm51_fp8_h200": "examples/glm51_h200_deploy.py",
    "glm51_fp8_h100x2": "examples/glm51_h100x2_deploy.py",  # multi-node (issue 10)
}


def plan_json(profile: str, *sets: str, python: Path | None = None) -> dict:
    argv = [str(BIN / "modal-llm-deploy")] if python is None else [
        str(python), "-c", "import sys; from modal_llm_deploy.cli import main; sys.argv[0]='modal-llm-deploy'; main()"]
    argv += ["plan", profile, "--json"]
    for s in sets:
        argv += ["--set", s]
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def deployed(box):
    """Deploy both bundled example scripts once; every test below reads the recorded requests."""
    out = {}
    for profile, script in EXAMPLES.items():
        res = box.modal("deploy", script)
        assert res.returncode == 0, res.stdout + res.stderr
        out[profile] = res
    return out


def test_plan_env_name_is_the_librarys():
    from modal_llm_deploy.plan.models import PLAN_ENV as lib_env

    assert PLAN_ENV == lib_env


@pytest.mark.parametrize("profile", sorted(EXAMPLES))
def test_deploy_sends_exactly_the_plan(box, deployed, profile):
    res = deployed[profile]
    assert "App deployed" in res.stdout, res.stdout
    plan = plan_json(profile)
    problems = compare_plan(plan, sent_app(box.cp, res.calls))
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("profile", sorted(EXAMPLES))
def test_deploy_publishes_every_unit_under_the_app_name(box, deployed, profile):
    res = deployed[profile]
    plan = plan_json(profile)
    (publish,) = res.of("AppPublish")
    assert publish.name == plan["app_name"]
    assert set(publish.function_ids) == {u["name"] for u in plan["units"]}
    # The secrets a deploy needs exist by name; volumes are created if missing.
    names = {r.deployment_name for r in res.of("SecretGetOrCreate") if r.deployment_name}
    assert names == {s for u in plan["units"] for s in u["secrets"]}
    vols = {r.deployment_name for r in res.of("VolumeGetOrCreate")}
    assert vols == {v["volume"] for u in plan["units"] for v in u["volumes"]}


def test_no_secret_value_in_any_request(box, deployed):
    """The test process has HF_TOKEN/API_KEY/... set to a sentinel: no request may carry it."""
    assert box.cp.recorder.calls
    for call in box.cp.recorder.calls:
        blob = call.request.SerializeToString()
        assert SENTINEL.encode() not in blob, f"{call.method} carries a secret value"
        leaked = {k for k, v in call.metadata.items() if SENTINEL in v}
        assert not leaked, f"{call.method} metadata {leaked} carries a secret value"


def test_redeploy_reuses_the_app_and_its_functions(box, deployed):
    first = deployed["glm51_fp8"]
    again = box.modal("deploy", EXAMPLES["glm51_fp8"])
    assert again.returncode == 0, again.stderr
    (p1,), (p2,) = first.of("AppPublish"), again.of("AppPublish")
    assert p2.app_id == p1.app_id and dict(p2.function_ids) == dict(p1.function_ids)
    assert "AppGetLayout" in again.methods()  # runner.py: _init_local_app_existing


def test_a_second_deploy_renders_the_stored_plan_and_sends_the_same_app(box, tmp_path):
    """`modal deploy` of an unchanged script builds its app from the stored plan
    (modal_adapter/plan_cache.py); what Modal receives is still exactly the plan, and the same as the first
    time. The entry is not rewritten: a build that validated again would have replaced it."""
    env = {"MODAL_LLM_DEPLOY_CACHE_DIR": str(tmp_path)}
    first = box.modal("deploy", EXAMPLES["glm51_fp8"], env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    (entry,) = (tmp_path / "plans").glob("*.json")
    stored = entry.stat()
    second = box.modal("deploy", EXAMPLES["glm51_fp8"], env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    after = entry.stat()
    assert (after.st_ino, after.st_mtime_ns) == (stored.st_ino, stored.st_mtime_ns)
    plan = plan_json("glm51_fp8")
    for res in (first, second):
        assert compare_plan(plan, sent_app(box.cp, res.calls)) == []


def test_server_timeout_is_flagged_not_silently_skipped():
    """The plan's server timeout does not reach Modal (@app.server has no `timeout`); the
    comparison lists it as NOT_SENT with that reason instead of ignoring it."""
    import inspect

    import modal

    assert "timeout" not in inspect.signature(modal.App.server).parameters
    assert "no timeout" in NOT_SENT["unit[serve].timeout_s"]


def test_a_disagreeing_field_is_reported(box, deployed):
    """The comparison can fail: a plan that differs from what was deployed (read-only flag,
    function timeout, server port) gives one line per field."""
    plan = plan_json("glm51_fp8")
    for u in plan["units"]:
        if u["role"] == "serve":
            u["volumes"][0]["read_only"] = False
        if u["role"] == "download":
            u["timeout_s"] += 1
    plan["server"]["port"] = 8001
    plan["units"][0]["brand_new_field"] = 1
    problems = compare_plan(plan, sent_app(box.cp, deployed["glm51_fp8"].calls))
    text = "\n".join(problems)
    assert "units[server].volumes" in text
    assert "units[download_model].timeout_s" in text
    assert "server.port" in text
    assert "brand_new_field: no mapping" in text


def test_variant_with_every_optional_serving_field(box, tmp_path):
    """Non-default values for what the bundled profiles leave at defaults (buffer, proxy auth and
    its token's secret on the bench unit, compute region) reach Modal too."""
    sets = ("serving.buffer_containers=1", "serving.modal_proxy_auth=true", "serving.proxy_auth_secret=glm51-proxy-token",
            "serving.compute_region=us-east", "serving.min_containers=1", "serving.max_containers=4")
    script = tmp_path / "variant_deploy.py"
    overrides = {s.split("=")[0]: json.loads(s.split("=")[1]) if s.split("=")[1] in ("true", "false") or
                 s.split("=")[1].isdigit() else s.split("=")[1] for s in sets}
    script.write_text(
        "from modal_llm_deploy import build_app, load_profile, setup_functions\n"
        f"app = build_app(load_profile('glm51_fp8', {overrides!r}))\n"
        "setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)\n"
    )
    res = box.modal("deploy", str(script))
    assert res.returncode == 0, res.stdout + res.stderr
    plan = plan_json("glm51_fp8", *sets)
    assert plan["server"]["buffer_containers"] == 1 and plan["server"]["modal_proxy_auth"] is True
    bench = next(u for u in plan["units"] if u["role"] == "bench")
    assert bench["secrets"] == ["glm51-api-key", "glm51-proxy-token"]  # the server's stay as they were
    assert all("glm51-proxy-token" not in u["secrets"] for u in plan["units"] if u["role"] not in ("bench", "eval"))
    assert next(u for u in plan["units"] if u["role"] == "eval")["secrets"] == ["glm51-api-key", "glm51-proxy-token"]
    sent = sent_app(box.cp, res.calls)
    assert sorted(sent.units["bench"].secret_names) == ["glm51-api-key", "glm51-proxy-token"]
    problems = compare_plan(plan, sent)
    assert problems == [], "\n".join(problems)


def test_third_party_profile_deploys_as_planned(box, tmp_path):
    """A profile from a separately installed plugin distribution deploys, and Modal gets its
    plan (L40S without DeepGEMM: no compile unit), the plugin's package included."""
    from _support.plugin_dist import make_overlay_venv, pip_install, write_plugin
    from test_third_party_plugin import ACME_DIST, ACME_EP, ACME_PROFILES

    python = make_overlay_venv(tmp_path / "venv")
    src = write_plugin(tmp_path / "acme-src", dist_name=ACME_DIST, entry_point=ACME_EP, target="mld_acme.profiles",
                       files={"mld_acme/__init__.py": '"""Acme."""\n', "mld_acme/profiles.py": ACME_PROFILES})
    pip_install(python, src)
    script = tmp_path / "acme_deploy.py"
    script.write_text(
        "from modal_llm_deploy import build_app, load_profile, setup_functions\n"
        "app = build_app(load_profile('acme_tiny_l40s'))\n"
        "setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)\n"
    )
    res = box.run([str(python), "-m", "modal", "deploy", str(script)], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    plan = plan_json("acme_tiny_l40s", python=python)
    assert "mld_acme" in plan["images"]["sglang"]["local_python_sources"]
    problems = compare_plan(plan, sent_app(box.cp, res.calls))
    assert problems == [], "\n".join(problems)


def test_plan_fields_no_profile_sets_yet_reach_modal(box, tmp_path):
    """`retries` exists on every unit but the bundled profiles leave it unset: a plan that sets
    it (as a future profile may) is rendered and deployed, and Modal gets it."""
    plan_file = tmp_path / "plan.json"
    script = tmp_path / "scheduled_deploy.py"
    script.write_text(
        "from pathlib import Path\n"
        "from modal_llm_deploy import build_plan, load_profile\n"
        "from modal_llm_deploy.modal_adapter.render import render\n"
        "plan = build_plan(load_profile('glm51_fp8'))\n"
        "units = [u.model_copy(update={'retries': 2}) if u.role == 'verify' else u\n"
        "         for u in plan.units]\n"
        "plan = plan.model_copy(update={'units': units})\n"
        f"Path({str(plan_file)!r}).write_text(plan.model_dump_json())\n"
        "app = render(plan)\n"
    )
    res = box.modal("deploy", str(script))
    assert res.returncode == 0, res.stdout + res.stderr
    plan = json.loads(plan_file.read_text())
    sent = sent_app(box.cp, res.calls)
    verify = sent.units["verify_setup"].function
    assert verify.retry_policy.retries == 2
    problems = compare_plan(plan, sent)
    assert problems == [], "\n".join(problems)


def test_multinode_deploy_records_a_clustered_server(box, deployed):
    """Issue 10: the 2×8 H100 example reaches Modal as a cluster of 2 containers with RDMA (and
    i6pn, which modal turns on for clustered units), each container asking for all 8 GPUs of its
    host, autoscaling counted in containers, multiples of the cluster size; the compile unit is a
    cluster of the same size (compile_deep_gemm starts the same multi-node server)."""
    sent = sent_app(box.cp, deployed["glm51_fp8_h100x2"].calls)
    server, compile_ = sent.units["server"].function, sent.units["compile_deepgemm"].function
    for fn in (server, compile_):
        assert fn._experimental_group_size == 2
        assert fn.resources.rdma is True
        assert fn.i6pn_enabled is True
        assert (fn.resources.gpu_config.gpu_type, fn.resources.gpu_config.count) == ("H100", 8)
    a = server.autoscaler_settings
    assert (a.min_containers, a.max_containers) == (0, 4)
    assert a.max_containers % server._experimental_group_size == 0
    assert server.is_server and list(server.http_config.proxy_regions) == ["us-east"]
    # Issue 14, long requests: app.server takes no timeout, yet the real client sends the
    # _Function._from_local default (modal 1.6.4 _functions.py, timeout=300). Whether Modal applies
    # it to a server or to one proxied request is not in the client (docs/multinode.md).
    assert server.timeout_secs == 300
    # CPU-only steps stay single containers; the one-node examples are not clustered at all.
    for name in ("download_model", "verify_setup"):
        assert sent.units[name].function._experimental_group_size == 0
    for profile in ("glm51_fp8", "glm51_fp8_h200"):
        one = sent_app(box.cp, deployed[profile].calls)
        assert all(u.function._experimental_group_size == 0 and not u.function.resources.rdma
                   for u in one.units.values())
