"""One line everywhere (issue 15): a user's mistake in a deploy script's ``build_app("name")``.

Under the real ``modal deploy`` / ``modal run`` (against the local control plane, tests/modalbox)
a bad ``MODAL_LLM_DEPLOY_SET`` / ``MODAL_LLM_DEPLOY_FILE``, an unknown profile name and an
invalid plugin profile each print exactly one line on stderr, naming the variable or field and
the fix, and nothing reaches Modal's app creation; from Python ``build_app`` still raises the
catchable error (modal_adapter/user_errors.py has why both).

A third-party plugin registering two profiles as plain data, one with a typo
(``serving.max_container``), keeps its sibling working: ``plan`` and ``modal deploy`` of the
sibling succeed, with one ``warning:`` line that has the close match ``--set`` would give.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _support.plugin_dist import clean_env, make_overlay_venv, pip_install, write_plugin
from conftest import REPO
from modalbox.box import box  # noqa: F401  (fixture)
from modalbox.compare import compare_plan, sent_app

pytestmark = pytest.mark.timeout(300)

SCRIPT = "examples/glm51_deploy.py"
APP_CREATED = ("AppCreate", "AppGetOrCreate", "AppPublish", "FunctionCreate", "FunctionPrecreate")


def one_line(res) -> str:
    """The whole of stderr, asserted to be one line; stdout empty; exit 1; no app created."""
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and res.stderr.endswith("\n"), res.stderr
    assert not [m for m in res.methods() if m in APP_CREATED], res.methods()
    return lines[0]


@pytest.mark.parametrize("cmd", ["deploy", "run"])
def test_bad_set_variable_is_one_line(box, cmd):
    res = box.modal(cmd, SCRIPT, env={"MODAL_LLM_DEPLOY_SET": "serving.max_containers=abc"})
    line = one_line(res)
    assert line.startswith("error: MODAL_LLM_DEPLOY_SET: serving.max_containers: "), line
    assert "valid integer" in line and "'abc'" in line, line


def test_unknown_field_in_set_variable_suggests_the_field(box):
    line = one_line(box.modal("deploy", SCRIPT, env={"MODAL_LLM_DEPLOY_SET": "serving.max_container=2"}))
    assert line.startswith("error: MODAL_LLM_DEPLOY_SET: serving.max_container: unknown field"), line
    assert "did you mean serving.max_containers" in line, line


def test_bad_file_variable_is_one_line(box, tmp_path):
    missing = tmp_path / "nope.toml"
    line = one_line(box.modal("deploy", SCRIPT, env={"MODAL_LLM_DEPLOY_FILE": str(missing)}))
    assert line == f"error: MODAL_LLM_DEPLOY_FILE: {missing}: file not found", line
    bad = tmp_path / "bad.toml"
    bad.write_text("[serving]\nmax_containers = 0\n")
    line = one_line(box.modal("deploy", SCRIPT, env={"MODAL_LLM_DEPLOY_FILE": str(bad)}))
    assert line.startswith("error: MODAL_LLM_DEPLOY_FILE: serving.max_containers: "), line


def test_unknown_profile_name_is_one_line(box, tmp_path):
    script = tmp_path / "deploy_typo.py"
    script.write_text('from modal_llm_deploy import build_app\napp = build_app("glm51_fp9")\n')
    line = one_line(box.modal("deploy", str(script)))
    assert line.startswith("error: unknown profile 'glm51_fp9'; did you mean glm51_fp8"), line


def test_a_good_deploy_still_reaches_the_control_plane(box):
    """The same box deploys the unedited script: the one-line answers above are not a box that
    refuses everything."""
    res = box.modal("deploy", SCRIPT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.of("AppPublish"), res.methods()


# --- from Python: catchable -------------------------------------------------------------------


def test_build_app_from_python_raises_catchable_errors(monkeypatch):
    from modal_llm_deploy import OverrideError, UnknownProfileError, build_app

    with pytest.raises(UnknownProfileError, match="did you mean glm51_fp8"):
        build_app("glm51_fp9")
    with pytest.raises(OverrideError, match=r"^glm51_fp8: serving\.max_containers: "):
        build_app("glm51_fp8", {"serving.max_containers": "abc"})
    monkeypatch.setenv("MODAL_LLM_DEPLOY_SET", "serving.max_container=2")
    with pytest.raises(OverrideError, match="did you mean serving.max_containers"):
        build_app("glm51_fp8")


def test_under_modal_cli_follows_modals_import_context():
    """The switch is Modal's own import context (modal/cli/import_refs.py wraps the script's
    import in it): outside it the catchable error, inside it SystemExit with the line."""
    from modal._runtime import execution_context

    from modal_llm_deploy.modal_adapter.user_errors import under_modal_cli, user_error
    from modal_llm_deploy.profile.overrides import OverrideError

    err = OverrideError("MODAL_LLM_DEPLOY_SET: x: bad")
    assert not under_modal_cli() and user_error(err, "p") is err
    with execution_context._import_context():
        assert under_modal_cli()
        exit_ = user_error(err, "p")
        assert isinstance(exit_, SystemExit) and exit_.code == "error: MODAL_LLM_DEPLOY_SET: x: bad"
    assert user_error(RuntimeError("a bug"), "p") is None  # a bug keeps its traceback


# --- a plugin with one broken profile ---------------------------------------------------------

PLUGIN = '''\
"""Two profiles as plain data; one has a typo (serving.max_container)."""

from modal_llm_deploy import hookimpl

BASE = dict(
    model=dict(repo_id="acme-ai/Tiny-Chat-1B", revision="0123456789abcdef0123456789abcdef01234567",
               served_name="tiny-chat", expected_size_gb=2.5),
    hardware=dict(gpu="L40S", count=1),
    engine=dict(sglang_version="0.5.23", image="lmsysorg/sglang:v0.5.23-cu130", tensor_parallel_size=1),
    kernel_cache=dict(deepgemm=False),
    storage=dict(weights_volume="acme-tiny-weights", cache_volume="acme-tiny-kernels"),
    secrets=dict(hf_token_secret=None),
)

GOOD = dict(BASE, name="twin_good", app_name="twin-good",
            serving=dict(api_key_secret="acme-tiny-api-key", max_containers=2))
TYPO = dict(BASE, name="twin_typo", app_name="twin-typo",
            serving=dict(api_key_secret="acme-tiny-api-key", max_container=2))


def failing_factory():
    raise RuntimeError("acme catalogue unreachable")


@hookimpl
def register_profiles(register):
    register(TYPO)
    register(GOOD)
    register(failing_factory, name="twin_factory")
'''

DIST, EP = "mld-twins", "twins"

# A second distribution whose import fails when MLD_GONE is set (its own dependency missing):
# the whole plugin is set aside, and asking for any profile is the one line that names it.
GONE = '''\
import os

from modal_llm_deploy import hookimpl

if os.environ.get("MLD_GONE"):
    import acme_sdk_not_installed  # noqa: F401


@hookimpl
def register_profiles(register):
    pass
'''


@pytest.fixture(scope="module")
def overlay(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("twins-env")
    python = make_overlay_venv(root / "venv")
    src = write_plugin(root / "src", dist_name=DIST, entry_point=EP, target="mld_twins",
                       files={"mld_twins/__init__.py": PLUGIN})
    gone = write_plugin(root / "gone-src", dist_name="mld-gone", entry_point="gone", target="mld_gone",
                        files={"mld_gone/__init__.py": GONE})
    pip_install(python, src, gone)
    return python


def cli(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", "import sys; from modal_llm_deploy.cli import main; sys.argv[0] = 'modal-llm-deploy'; main()",
         *args], capture_output=True, text=True, env=clean_env(COLUMNS="400"), cwd=REPO, timeout=120)


TYPO_WORDS = "serving.max_container: unknown field 'max_container' in serving; did you mean serving.max_containers"


def test_sibling_of_a_broken_profile_still_plans(overlay):
    proc = cli(overlay, "plan", "twin_good", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["profile"] == "twin_good"
    warnings = proc.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings), proc.stderr
    typo = next(w for w in warnings if "twin_typo" in w)
    assert typo.startswith("warning: profile 'twin_typo' of plugin 'twins' (distribution mld") and TYPO_WORDS in typo, typo
    assert "Extra inputs are not permitted" not in proc.stderr
    factory = next(w for w in warnings if "twin_factory" in w)
    assert "its factory failed: acme catalogue unreachable" in factory, factory


def test_profiles_lists_each_broken_profile_by_name(overlay):
    proc = cli(overlay, "profiles", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert rows["twin_good"]["error"] is None and rows["glm51_fp8"]["error"] is None
    assert TYPO_WORDS in rows["twin_typo"]["error"] and rows["twin_typo"]["plugin"] == EP
    assert "factory failed" in rows["twin_factory"]["error"]


def test_asking_for_the_broken_profile_is_one_line(overlay):
    proc = cli(overlay, "plan", "twin_typo")
    assert proc.returncode == 2
    (line,) = [x for x in proc.stderr.splitlines() if "twin_typo" in x]
    assert line.startswith("error: profile 'twin_typo' of plugin 'twins' (distribution mld") and TYPO_WORDS in line, line
    assert "was skipped" not in line


MODAL_MAIN = "import sys; from modal.__main__ import main; sys.argv[0] = 'modal'; main()"


def test_modal_deploy_of_the_broken_profile_is_one_line_and_the_sibling_deploys(overlay, box, tmp_path):
    for name in ("twin_typo", "twin_good"):
        (tmp_path / f"deploy_{name}.py").write_text(f'from modal_llm_deploy import build_app\napp = build_app("{name}")\n')
    res = box.run([str(overlay), "-c", MODAL_MAIN, "deploy", str(tmp_path / "deploy_twin_typo.py")])
    line = one_line(res)
    assert line.startswith("error: profile 'twin_typo' of plugin 'twins'") and TYPO_WORDS in line, line
    # The other broken entry (the factory) was not asked for: it is no part of this error, and
    # it must not add a second line either. Reported where the sibling is deployed:
    res = box.run([str(overlay), "-c", MODAL_MAIN, "deploy", str(tmp_path / "deploy_twin_good.py")])
    assert res.returncode == 0, res.stdout + res.stderr
    assert [x for x in res.stderr.splitlines() if x.startswith("warning: ")] and res.of("AppPublish")


# --- the fix a message names works as printed ----------------------------------------------

BIN = Path(sys.executable).parent


def mld(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "modal-llm-deploy"), *args], capture_output=True, text=True, timeout=120,
                          env=clean_env(COLUMNS="400"))


@pytest.mark.parametrize("item", ["engine.flags.mem_fraction_static=0.85", "engine.flags.--mem-fraction-static=0.85"])
def test_python_spelling_of_a_flag_suggests_sglangs_and_the_suggestion_plans(item):
    bad = mld("plan", "glm51_fp8", "--set", item)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr
    assert "did you mean mem-fraction-static?" in bad.stderr, bad.stderr
    good = mld("plan", "glm51_fp8", "--json", "--set", "engine.flags.mem-fraction-static=0.85")
    assert good.returncode == 0, good.stderr
    argv = json.loads(good.stdout)["sglang_argv"]
    assert argv[argv.index("--mem-fraction-static") + 1] == "0.85"


def test_public_with_a_key_names_the_override_that_unsets_it_and_that_override_works():
    import re

    bad = mld("plan", "glm51_fp8", "--set", "serving.public=true")
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr
    fixes = re.findall(r"(serving\.\w+=\w+)", bad.stderr.split("exclusive:", 1)[1])
    assert fixes == ["serving.api_key_secret=none", "serving.public=false"], bad.stderr
    # each way out, as printed, together with what was asked
    for fix in fixes:
        good = mld("plan", "glm51_fp8", "--json", "--set", "serving.public=true" if "public" not in fix else fix,
                   "--set", fix)
        assert good.returncode == 0, (fix, good.stderr)
    server = json.loads(mld("plan", "glm51_fp8", "--json", "--set", "serving.public=true", "--set", fixes[0]).stdout)["server"]
    assert server["api_key_secret"] is None


def test_modal_run_of_a_profile_of_a_plugin_that_fails_to_import_is_one_line(overlay, box, tmp_path):
    script = tmp_path / "deploy_gone.py"
    script.write_text('from modal_llm_deploy import build_app\napp = build_app("gone_tiny")\n')
    res = box.run([str(overlay), "-c", MODAL_MAIN, "run", str(script)], env={"MLD_GONE": "1"})
    line = one_line(res)
    assert line.startswith("error: unknown profile 'gone_tiny'"), line
    assert "plugin 'gone' (distribution mld-gone) is broken and was skipped: importing mld_gone failed: " \
           "No module named 'acme_sdk_not_installed'; fix the plugin or pip uninstall mld-gone" in line, line
