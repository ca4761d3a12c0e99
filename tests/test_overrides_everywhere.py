"""Overrides reach every entry point, and every printed command carries them.

* ``MODAL_LLM_DEPLOY_SET`` / ``MODAL_LLM_DEPLOY_FILE`` are read by ``load_profile``, so the real
  ``modal deploy`` / ``modal run`` of the unedited example scripts pick them up (up to Modal's
  "Token missing"; the plan that would be shipped is inspected by importing the script the way
  Modal does, in a subprocess with the same environment);
* the fix lines printed by the local steps, and ``plan``'s "next:" commands, are run verbatim
  (``bash -c``, from another directory) and act on the overridden deployment: a
  ``--set model.repo_id=…`` pointing at the fake hub's repo, which the bundled profile does not
  name, so a command that dropped the override would fail.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.plan.commands import env_prefix, overrides_between, render_value, set_items
from modal_llm_deploy.profile.overrides import (
    FILE_ENV,
    SET_ENV,
    OverrideError,
    env_overrides,
    parse_set_env,
    parse_value,
)

from conftest import REPO

sys.path.insert(0, str(Path(__file__).with_name("standin") / "lib"))
from standin_trees import BIN_DIR, STANDIN_DIR  # noqa: E402

pytestmark = pytest.mark.timeout(300)

BIN = Path(sys.executable).parent  # modal-llm-deploy and modal, as a user's PATH has them


# --- the environment variables ---------------------------------------------------------------


def test_set_env_takes_the_items_set_takes(tmp_path):
    got = parse_set_env("serving.max_containers=5 'description=two words' model.allow_patterns=none")
    assert got == {"serving.max_containers": 5, "description": "two words", "model.allow_patterns": None}
    f = tmp_path / "o.toml"
    f.write_text("[serving]\nmax_containers = 2\nmin_containers = 1\n")
    # the file first, then the items: the items win
    env = {FILE_ENV: str(f), SET_ENV: "serving.max_containers=3"}
    assert env_overrides(env) == {"serving.max_containers": 3, "serving.min_containers": 1}
    assert env_overrides({}) == {}


@pytest.mark.parametrize(
    "env,fragment",
    [
        ({SET_ENV: "serving.max_containers"}, f"{SET_ENV} 'serving.max_containers': expected KEY=VALUE"),
        ({SET_ENV: "description='unbalanced"}, f"{SET_ENV}="),
        ({FILE_ENV: "/nonexistent/o.toml"}, f"{FILE_ENV}: /nonexistent/o.toml: file not found"),
    ],
)
def test_env_errors_name_the_variable(env, fragment):
    with pytest.raises(OverrideError) as e:
        env_overrides(env)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_load_profile_applies_env_then_arguments(monkeypatch):
    monkeypatch.setenv(SET_ENV, "serving.max_containers=5 serving.min_containers=1")
    assert load_profile("glm51_fp8").serving.max_containers == 5
    p = load_profile("glm51_fp8", {"serving.max_containers": 2})  # explicit arguments win
    assert (p.serving.max_containers, p.serving.min_containers) == (2, 1)
    monkeypatch.delenv(SET_ENV)
    assert load_profile("glm51_fp8").serving.max_containers == 3  # the registered value


def test_cli_bad_env_is_one_line_exit_2():
    env = {**os.environ, SET_ENV: "serving.max_containers=abc"}
    r = subprocess.run([str(BIN / "modal-llm-deploy"), "plan", "glm51_fp8"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"error: {SET_ENV}: serving.max_containers: "), r.stderr


def test_modal_deploy_with_a_bad_env_override_names_the_variable(tmp_path):
    """Under `modal deploy` the error is our one line alone (modal_adapter/user_errors.py),
    never Modal's traceback panel or pydantic's internals (tests/test_one_line_errors.py has
    the same against the local control plane)."""
    env = no_token_env(tmp_path, **{SET_ENV: "serving.max_containers=abc"})
    r = subprocess.run([str(BIN / "modal"), "deploy", "examples/glm51_deploy.py"], cwd=REPO, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stdout == "", r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: {SET_ENV}: serving.max_containers: "), line


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [5, 0.88, True, False, None, "B200", "main", "5", "true", "none", "two words", 'q"uote',
              "glm-5.1", "0.5.23", ["*.json", "*.safetensors"], [0.01, 0.02], [], "", "[x]"],
)
def test_rendered_values_read_back_unchanged(value):
    text = render_value(value)
    assert parse_value(text) == value
    # ...also after the shell: the env prefix and --set both go through shlex
    (item,) = shlex.split(shlex.join(set_items({"k": value})))
    assert parse_value(item.partition("=")[2]) == value


def test_override_diff_is_the_effective_change():
    base = load_profile("glm51_fp8")
    eff = load_profile("glm51_fp8", {"serving.max_containers": 5, "engine.flags.enable-metrics": None,
                                     "engine.flags.chunked-prefill-size": 4096})
    diff = overrides_between(base, eff)
    assert diff == {"serving.max_containers": 5, "engine.flags.enable-metrics": None,
                    "engine.flags.chunked-prefill-size": 4096}
    assert load_profile("glm51_fp8", diff) == eff  # re-applying the diff gives the same profile
    assert overrides_between(base, base) == {}


# --- modal deploy / modal run of the example scripts with the variable set --------------------

SHIPPED = r"""
import json, runpy, sys
ns = runpy.run_path(sys.argv[1], run_name="__modal_script__")  # what `modal deploy` does first
from modal_llm_deploy.modal_adapter.render import built
plan, handles = built(ns["app"])
# modal_app._common passes exactly this JSON as MODAL_LLM_DEPLOY_PLAN to every function
print(json.dumps({"plan": json.loads(plan.model_dump_json()), "units": sorted(handles)}))
"""


def no_token_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)  # no ~/.modal.toml
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.mark.parametrize("script,profile", [("examples/glm51_deploy.py", "glm51_fp8"),
                                            ("examples/glm51_h200_deploy.py", "glm51_fp8_h200")])
def test_example_scripts_take_overrides_from_the_environment(tmp_path, script, profile):
    f = tmp_path / "o.toml"
    f.write_text('[model]\nserved_name = "glm-custom"\n')
    env = no_token_env(tmp_path, **{SET_ENV: "serving.max_containers=5 app_name=glm-staging", FILE_ENV: str(f)})
    for args in (["deploy", script], ["run", script], ["run", f"{script}::download_model"]):
        r = subprocess.run([str(BIN / "modal"), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode != 0 and "Token missing" in r.stdout + r.stderr, r.stdout + r.stderr
        assert "Traceback" not in r.stdout + r.stderr

    r = subprocess.run([sys.executable, "-c", SHIPPED, script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    shipped = json.loads(r.stdout.strip().splitlines()[-1])
    plan = shipped["plan"]
    assert plan["profile"] == profile and plan["app_name"] == "glm-staging"
    assert plan["server"]["max_containers"] == 5 and plan["server"]["served_name"] == "glm-custom"
    # and it is the plan the CLI shows for the same overrides
    cli = subprocess.run([str(BIN / "modal-llm-deploy"), "plan", profile, "--json"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout) == plan
    # the plan's own commands carry the overrides, as the env prefix and as --set
    assert plan["commands"]["deploy"].startswith(f"{SET_ENV}=") and "served_name=glm-custom" in plan["commands"]["deploy"]
    assert "--set serving.max_containers=5" in plan["commands"]["deploy_cli"]


@pytest.mark.parametrize("cmd", ["setup", "deploy"])
def test_cli_setup_and_deploy_reach_token_missing(tmp_path, cmd):
    skip = ["--skip-preflight"] if cmd == "setup" else []  # preflight's own no-token row: tests/test_preflight.py
    r = subprocess.run([str(BIN / "modal-llm-deploy"), cmd, "glm51_fp8", "--set", "app_name=glm-staging", *skip],
                       env=no_token_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "glm-staging" in lines[0] and "Token missing" in lines[0], r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_cli_setup_refuses_bad_overrides_before_modal(tmp_path):
    r = subprocess.run([str(BIN / "modal-llm-deploy"), "setup", "glm51_fp8", "--set", "serving.max_containers=0"],
                       env=no_token_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "serving.max_containers" in r.stderr and "Token missing" not in r.stderr


# --- printed commands, run verbatim ------------------------------------------------------------


def shell(cmd: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As a user pastes it: bash, another working directory."""
    return subprocess.run(["bash", "-c", cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=180)


def fix_lines(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"run: (modal-llm-deploy .+)$", r.stdout + r.stderr, re.M)]


def test_printed_fix_and_next_commands_act_on_the_overridden_deployment(tmp_path, hub_server, hub_repo, hub_files):
    sets = [f"model.repo_id={hub_repo.repo_id}", f"model.revision={hub_repo.refs['main']}",
            "model.allow_patterns=none", "download.backoff_s=[0.01, 0.02]"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_"))}
    env.update(
        HF_ENDPOINT=hub_server.endpoint, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HOME=str(tmp_path / "hf_home"), HOME=str(tmp_path),
        PYTHONPATH=str(STANDIN_DIR), PATH=f"{BIN}{os.pathsep}{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
        STANDIN_GPU="NVIDIA B200,10.0", STANDIN_GPU_COUNT="8", STANDIN_COMPILE_STEP_S="0.05",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    w, c = tmp_path / "weights", tmp_path / "cache"
    setargs = " ".join(f"--set {shlex.quote(s)}" for s in sets)
    verify = f"modal-llm-deploy verify glm51_fp8 --weights-dir {w} --cache-dir {c} {setargs}"

    # 1. verify on a directory that does not exist: says so in words, and names the fix
    r = shell(verify, env, tmp_path)
    assert r.returncode == 1 and "does not exist" in r.stderr and "?" not in r.stderr, r.stderr
    (download,) = fix_lines(r)
    assert f"--set model.repo_id={hub_repo.repo_id}" in download and "--set model.revision=" in download

    # 2. run it verbatim from elsewhere: it downloads the overridden repo from the fake hub
    r = shell(download, env, elsewhere)
    assert r.returncode == 0, r.stdout + r.stderr
    for name, data in hub_files.items():
        assert (w / "GLM-tiny-FP8" / name).read_bytes() == data, name

    # 3. verify again: the kernels are missing; its compile fix, verbatim, compiles them for
    #    the overridden deployment's key
    r = shell(verify, env, tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    compile_ = [f for f in fix_lines(r) if " compile " in f]
    assert compile_, r.stdout + r.stderr
    r = shell(compile_[0], env, elsewhere)
    assert r.returncode == 0, r.stdout + r.stderr
    key = build_plan(load_profile("glm51_fp8", dict(s.split("=", 1) for s in sets[:2]))).kernel_cache.key
    assert (c / key / ".compiled-GLM-5.1-FP8").is_file()
    r = shell(verify + " --deep", env, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr

    # 4. plan's "next:" commands carry the overrides: run verbatim without a token, each gets
    #    to Modal's "Token missing" for the overridden app
    r = shell(f"modal-llm-deploy plan glm51_fp8 {setargs} --set app_name=glm-tiny", env, tmp_path)
    assert r.returncode == 0, r.stderr
    plan = json.loads(shell(f"modal-llm-deploy plan glm51_fp8 {setargs} --set app_name=glm-tiny --json", env, tmp_path).stdout)
    nxt = r.stdout[r.stdout.rindex("next"):]
    for name in ("setup_cli", "deploy_cli", "setup", "deploy"):
        cmd = plan["commands"][name]
        assert " ".join(cmd.split()) in " ".join(nxt.split()), (cmd, nxt)
        assert "app_name=glm-tiny" in cmd and hub_repo.repo_id in cmd
        out = shell(cmd, env, REPO)
        assert out.returncode != 0 and "Token missing" in out.stdout + out.stderr, (cmd, out.stdout + out.stderr)
    for name in ("setup_cli", "deploy_cli"):  # the CLI says which app it was about to touch
        assert "glm-tiny" in shell(plan["commands"][name], env, REPO).stderr
    # ...and the `modal run` form's prefix gives the script the same plan
    prefix = env_prefix({k: v for k, v in overrides_between(load_profile("glm51_fp8"), load_profile(
        "glm51_fp8", {**dict(s.split("=", 1) for s in sets[:2]), "model.allow_patterns": None,
                      "download.backoff_s": [0.01, 0.02], "app_name": "glm-tiny"})).items()})
    assert plan["commands"]["setup"].startswith(prefix)
    shipped = shell(f"{prefix}{shlex.quote(sys.executable)} -c {shlex.quote(SHIPPED)} examples/glm51_deploy.py", env, REPO)
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout.strip().splitlines()[-1])["plan"] == plan


def test_documented_local_download_works_with_a_relative_dir_and_no_cache_dir(tmp_path, hub_server, hub_repo, hub_files):
    """README: `modal-llm-deploy download glm51_fp8 --weights-dir ./weights` (it used to exit 2:
    a hidden --cache-dir defaulting to "." contained ./weights)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_"))}
    env.update(HF_ENDPOINT=hub_server.endpoint, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
               HF_HOME=str(tmp_path / "hf_home"), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = (f"modal-llm-deploy download glm51_fp8 --weights-dir ./weights --set model.repo_id={hub_repo.repo_id} "
           f"--set model.revision={hub_repo.refs['main']} --set model.allow_patterns=none")
    r = shell(cmd, env, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    for name, data in hub_files.items():
        assert (tmp_path / "weights" / "GLM-tiny-FP8" / name).read_bytes() == data, name


@pytest.mark.parametrize("overrides", [
    {"serving.max_containers": 5},
    {"description": "two words", "serving.min_containers": 1},
    {"description": "it's $HOME `x` \"q\" \\ end"},
    {"model.allow_patterns": ["*.json", "model-*.safetensors"], "engine.flags.enable-metrics": None},
])
def test_env_prefix_survives_the_shell(overrides):
    """What bash puts in the variable is what parse_set_env reads back."""
    prefix = env_prefix(overrides)
    r = subprocess.run(["bash", "-c", f"{prefix}printenv {SET_ENV}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert parse_set_env(r.stdout.rstrip("\n")) == overrides
