"""A third party ships profiles as its own distribution, and everything just works.

A throwaway plugin distribution (its own pyproject.toml with
``[project.entry-points.modal_llm_deploy]``) is pip-installed into a throwaway overlay
environment that sees the dev environment but never writes to it (see
_support/plugin_dist.py). Entry points are read at interpreter start, so every check runs in a
fresh subprocess of the overlay's python:

* ``modal-llm-deploy profiles --json`` lists the plugin's profiles with the entry-point name
  and the distribution name, next to the bundled GLM profiles;
* ``modal-llm-deploy plan <name> --json`` shows the plugin's GPU, kernel cache and module;
* ``build_app(load_profile(name))`` builds a ``modal.App`` offline, and the images'
  ``local_python_sources`` carry the plugin's top-level package, whose files Modal's own mount
  code finds in the installed location.

A second, deliberately broken distribution (``MLD_BROKEN_MODE`` picks the failure) proves a bad
plugin gives one ``error:`` line and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import subprocess
from pathlib import Path

import pytest

from _support.plugin_dist import clean_env, make_overlay_venv, pip_install, write_plugin

ACME_DIST = "mld-acme-profiles"
ACME_EP = "acme"
BROKEN_DIST = "mld-broken-plugin"
BROKEN_EP = "broken"

ACME_PROFILES = '''\
"""Acme's profiles: a small chat model on one H100 (DeepGEMM on) and on one L40S (off)."""

from modal_llm_deploy import Profile, hookimpl

COMMON = dict(
    model=dict(
        repo_id="acme-ai/Tiny-Chat-1B",
        revision="0123456789abcdef0123456789abcdef01234567",
        served_name="tiny-chat",
        expected_size_gb=2.5,
    ),
    storage=dict(weights_volume="acme-tiny-weights", cache_volume="acme-tiny-kernels"),
    serving=dict(api_key_secret="acme-tiny-api-key", max_containers=2),
    secrets=dict(hf_token_secret=None),
)

ENGINE = dict(
    sglang_version="0.5.23",
    image="lmsysorg/sglang:v0.5.23-cu130",
    tensor_parallel_size=1,
    flags={"max-running-requests": 64, "mem-fraction-static": 0.85},
)

H100 = Profile(
    name="acme_tiny_h100",
    description="Tiny-Chat-1B on 1xH100 with DeepGEMM",
    app_name="acme-tiny-h100",
    hardware=dict(gpu="H100", count=1),
    engine=ENGINE,
    kernel_cache=dict(deepgemm=True),
    **COMMON,
)

L40S = Profile(
    name="acme_tiny_l40s",
    description="Tiny-Chat-1B on 1xL40S, no DeepGEMM (sm89)",
    app_name="acme-tiny-l40s",
    hardware=dict(gpu="L40S", count=1),
    engine=ENGINE,
    kernel_cache=dict(deepgemm=False),
    **COMMON,
)


@hookimpl
def register_profiles(register):
    register(H100)
    register(L40S)
'''

# Behaviour picked at run time so one installed distribution covers every failure mode; with
# MLD_BROKEN_MODE unset it registers nothing (and must not disturb anything).
BROKEN_PLUGIN = '''\
import os

from modal_llm_deploy import Profile, hookimpl

MODE = os.environ.get("MLD_BROKEN_MODE", "")
if MODE == "import":
    import acme_sdk_not_installed  # a plugin whose own dependency is missing


def _profile(**kw):
    base = dict(
        name="broken_tiny",
        app_name="broken-tiny",
        model=dict(repo_id="acme-ai/Tiny-Chat-1B", revision="0" * 40, served_name="t", expected_size_gb=1),
        hardware=dict(gpu="L40S", count=1),
        engine=dict(sglang_version="0.5.23", image="lmsysorg/sglang:v0.5.23-cu130", tensor_parallel_size=1),
        kernel_cache=dict(deepgemm=False),
        storage=dict(weights_volume="broken-w", cache_volume="broken-k"),
        serving=dict(api_key_secret="broken-key"),
    )
    base.update(kw)
    return Profile(**base)


@hookimpl
def register_profiles(register):
    if MODE == "raise":
        raise RuntimeError("acme registry unreachable")
    if MODE == "duplicate":
        register(_profile(name="glm51_fp8"))  # the bundled GLM plugin owns this name
    if MODE == "invalid":
        register(_profile(kernel_cache=dict(deepgemm=True)))  # DeepGEMM on sm89: ValidationError
    if MODE == "not_profile":
        register("broken_tiny")  # a name alone: not a Profile, its data or a factory


if MODE == "invalid_import":  # the usual plugin style: profiles built at module scope
    INVALID = _profile(kernel_cache=dict(deepgemm=True))
'''


@pytest.fixture(scope="module")
def overlay(tmp_path_factory) -> Path:
    """The overlay env's python, with both plugin distributions installed (one pip call)."""
    root = tmp_path_factory.mktemp("plugin-env")
    python = make_overlay_venv(root / "venv")
    acme = write_plugin(
        root / "acme-src",
        dist_name=ACME_DIST,
        entry_point=ACME_EP,
        target="mld_acme.profiles",  # a submodule: the image must carry the top-level package
        files={"mld_acme/__init__.py": '"""Acme profiles for modal-llm-deploy."""\n', "mld_acme/profiles.py": ACME_PROFILES},
    )
    broken = write_plugin(
        root / "broken-src",
        dist_name=BROKEN_DIST,
        entry_point=BROKEN_EP,
        target="mld_broken",
        files={"mld_broken/__init__.py": BROKEN_PLUGIN},
    )
    pip_install(python, acme, broken)
    return python


def run(python: Path, *args: str, mode: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = clean_env(COLUMNS="400")  # rich tables: no wrapping in the human-readable output
    env.pop("MLD_BROKEN_MODE", None)
    if mode:
        env["MLD_BROKEN_MODE"] = mode
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, env=env, cwd=cwd or python.parent, timeout=120
    )


def cli(python: Path, *args: str, mode: str | None = None) -> subprocess.CompletedProcess[str]:
    # The console script `modal-llm-deploy` is modal_llm_deploy.cli:main; run it with the
    # overlay's interpreter (the dev env's script would start the dev env's python).
    return run(python, "-c", "import sys; from modal_llm_deploy.cli import main; sys.argv[0] = 'modal-llm-deploy'; main()",
               *args, mode=mode)


def norm(name: str) -> str:
    return name.lower().replace("_", "-")


# --- the working plugin ----------------------------------------------------------------------


def test_dev_environment_is_not_touched(overlay):
    """The plugins live in the overlay only: the dev env (this process) cannot see them."""
    for dist in (ACME_DIST, BROKEN_DIST):
        with pytest.raises(md.PackageNotFoundError):
            md.distribution(dist)
    installed = run(overlay, "-c", "import importlib.metadata as m; print(m.distribution('mld-acme-profiles').locate_file(''))")
    assert installed.returncode == 0, installed.stderr
    assert str(overlay.parent.parent) in installed.stdout


def test_cli_helper_runs_the_console_script_target():
    (ep,) = md.entry_points(group="console_scripts", name="modal-llm-deploy")
    assert ep.value == "modal_llm_deploy.cli:main"


def test_profiles_lists_the_plugin_with_its_distribution(overlay):
    proc = cli(overlay, "profiles", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert {"acme_tiny_h100", "acme_tiny_l40s", "glm51_fp8", "glm51_fp8_h200"} <= set(rows)
    for name, gpu in (("acme_tiny_h100", "H100:1"), ("acme_tiny_l40s", "L40S:1")):
        r = rows[name]
        assert r["plugin"] == ACME_EP
        assert norm(r["distribution"]) == ACME_DIST
        assert r["gpu"] == gpu
        assert r["model"] == "acme-ai/Tiny-Chat-1B"
    assert rows["glm51_fp8"]["plugin"] == "glm51"  # bundled plugin unaffected

    table = cli(overlay, "profiles")
    assert table.returncode == 0, table.stderr
    assert "acme_tiny_h100" in table.stdout and ACME_DIST in table.stdout.replace("_", "-").lower()


def test_plan_shows_the_plugin_profile(overlay):
    proc = cli(overlay, "plan", "acme_tiny_h100", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["profile"] == "acme_tiny_h100"
    assert plan["plugin"] == ACME_EP
    assert plan["plugin_module"] == "mld_acme.profiles"
    assert plan["gpu_arch"] == "sm90"
    units = {u["role"]: u for u in plan["units"]}
    assert units["serve"]["gpu"] == "H100:1"
    assert units["compile"]["gpu"] == "H100:1"  # DeepGEMM on: compiled on the serving GPU
    assert plan["kernel_cache"]["enabled"] is True and plan["kernel_cache"]["key"].startswith("sm90-")
    assert "--tp-size" in plan["sglang_argv"] and plan["sglang_argv"][plan["sglang_argv"].index("--tp-size") + 1] == "1"
    assert plan["server"]["api_key_secret"] == "acme-tiny-api-key"
    for img in plan["images"].values():
        assert img["local_python_sources"] == ["modal_llm_deploy", "mld_acme"]

    proc = cli(overlay, "plan", "acme_tiny_l40s", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["gpu_arch"] == "sm89"
    assert {u["role"] for u in plan["units"]} == {"download", "verify", "serve", "bench", "eval", "preflight"}  # no compile unit
    assert {u["role"]: u for u in plan["units"]}["serve"]["gpu"] == "L40S:1"
    assert plan["kernel_cache"]["enabled"] is False and plan["compile_argv"] is None

    human = cli(overlay, "plan", "acme_tiny_l40s")
    assert human.returncode == 0, human.stderr
    assert "acme_tiny_l40s" in human.stdout and "L40S:1" in human.stdout


BUILD_APP = r"""
import json, sys
from pathlib import Path

import modal
from modal.file_pattern_matcher import NON_PYTHON_FILES
from modal.mount import _MountedPythonModule

from modal_llm_deploy import build_app, build_plan, load_profile
from modal_llm_deploy.modal_adapter.render import render_image

out = {}
for name in sys.argv[1:]:
    profile = load_profile(name)
    app = build_app(profile)
    assert isinstance(app, modal.App), type(app)
    plan = build_plan(profile)
    images = {}
    for key, img in plan.images.items():
        image = render_image(img)
        assert isinstance(image, modal.Image)
        images[key] = {
            "local_python_sources": img.local_python_sources,
            # what add_local_python_source recorded on the Image (private; absent = None)
            "added": sorted(getattr(image, "_added_python_source_set", None) or []) or None,
        }
    # What Modal would upload to /root for the plugin's package, found by Modal's own code.
    top = plan.plugin_module.split(".")[0]
    files = sorted(
        (str(local), str(remote))
        for local, remote in _MountedPythonModule(top, "/root", NON_PYTHON_FILES).get_files_to_upload()
    )
    out[name] = {"app_name": app.name, "plugin_module": plan.plugin_module, "images": images, "mount": files}
print(json.dumps(out))
"""


def test_build_app_offline_carries_the_plugin_module(overlay):
    proc = run(overlay, "-c", BUILD_APP, "acme_tiny_h100", "acme_tiny_l40s")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    site = overlay.parent.parent  # the overlay env root
    for name, app_name in (("acme_tiny_h100", "acme-tiny-h100"), ("acme_tiny_l40s", "acme-tiny-l40s")):
        r = out[name]
        assert r["app_name"] == app_name
        assert r["plugin_module"] == "mld_acme.profiles"
        assert set(r["images"]) == {"download", "sglang"}
        for img in r["images"].values():
            assert "mld_acme" in img["local_python_sources"]
            if img["added"] is not None:
                assert set(img["added"]) == {"modal_llm_deploy", "mld_acme"}
        remote = {rp for _, rp in r["mount"]}
        assert remote == {"/root/mld_acme/__init__.py", "/root/mld_acme/profiles.py"}
        # ...taken from the installed distribution in the overlay, not from some source tree
        assert all(Path(lp).is_relative_to(site) for lp, _ in r["mount"]), r["mount"]


# --- broken plugins: set aside, named in one line; everything else keeps working -------------

MODES = ["import", "raise", "not_profile", "invalid", "invalid_import"]
# what each failure's line must say (besides the plugin's name and the fix)
SAYS = {
    "import": "acme_sdk_not_installed",
    "raise": "acme registry unreachable",
    "not_profile": "not a Profile",
    "invalid": "deepgemm",
    "invalid_import": "deepgemm",
}


def warning_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith("warning: ")]


def assert_names_broken_plugin(proc: subprocess.CompletedProcess[str], mode: str) -> None:
    lines = warning_lines(proc)
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert f"'{BROKEN_EP}'" in line and BROKEN_DIST in line.replace("_", "-").lower(), line
    assert SAYS[mode] in line, (SAYS[mode], line)
    assert f"pip uninstall {BROKEN_DIST}" in line.replace("_", "-").lower(), line  # the fix


def test_broken_plugin_is_harmless_when_it_registers_nothing(overlay):
    proc = cli(overlay, "profiles", "--json")
    assert proc.returncode == 0, proc.stderr
    assert not any(r["plugin"] == BROKEN_EP for r in json.loads(proc.stdout))
    assert warning_lines(proc) == []


@pytest.mark.parametrize("mode", MODES)
def test_profiles_lists_good_profiles_and_the_broken_plugin(overlay, mode):
    proc = cli(overlay, "profiles", "--json", mode=mode)
    assert proc.returncode == 0, proc.stderr
    assert_names_broken_plugin(proc, mode)
    rows = json.loads(proc.stdout)
    good = {r["name"] for r in rows if r["error"] is None}
    assert {"acme_tiny_h100", "acme_tiny_l40s", "glm51_fp8", "glm51_fp8_h200"} <= good
    (bad,) = [r for r in rows if r["error"] is not None]
    assert bad["plugin"] == BROKEN_EP and bad["name"] is None and SAYS[mode] in bad["error"]

    table = cli(overlay, "profiles", mode=mode)
    assert table.returncode == 0, table.stderr
    assert "glm51_fp8" in table.stdout and "BROKEN" in table.stdout and BROKEN_EP in table.stdout


@pytest.mark.parametrize("mode", MODES)
def test_plan_of_a_good_profile_works_and_names_the_broken_plugin(overlay, mode):
    for name in ("glm51_fp8", "acme_tiny_h100"):
        proc = cli(overlay, "plan", name, "--json", mode=mode)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["profile"] == name
        assert_names_broken_plugin(proc, mode)


def test_asking_for_a_profile_of_the_broken_plugin_fails_in_one_line(overlay):
    # "invalid_import" never registers; "not_profile"'s hook fails after nothing valid: the
    # name is unknown, and the error points at the skipped plugin.
    proc = cli(overlay, "plan", "broken_tiny", mode="invalid_import")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "broken_tiny" in errors[0] and f"'{BROKEN_EP}'" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_name_two_plugins_claim_is_refused_only_when_asked_for(overlay):
    proc = cli(overlay, "plan", "acme_tiny_h100", "--json", mode="duplicate")
    assert proc.returncode == 0, proc.stderr
    (line,) = warning_lines(proc)
    assert "'glm51_fp8'" in line and "'glm51'" in line and f"'{BROKEN_EP}'" in line and "registered by both" in line
    proc = cli(overlay, "plan", "glm51_fp8", mode="duplicate")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "registered by both" in errors[0] and "uninstall one" in errors[0], proc.stderr


@pytest.mark.parametrize("mode", ["import", "invalid_import"])
def test_modal_deploy_of_the_example_reaches_token_missing_next_to_a_broken_plugin(overlay, mode, tmp_path, repo):
    """`modal deploy examples/glm51_deploy.py` with a broken plugin installed: one warning line
    naming the plugin, then Modal's own "Token missing" (not a traceback)."""
    modal_main = "import sys; from modal.__main__ import main; sys.argv[0] = 'modal'; main()"
    env_home = {"HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(overlay), "-c", modal_main, "deploy", "examples/glm51_deploy.py"],
        capture_output=True, text=True, cwd=repo, timeout=120,
        env={**{k: v for k, v in clean_env(COLUMNS="400").items() if not k.startswith("MODAL_")},
             **env_home, "MLD_BROKEN_MODE": mode},
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Token missing" in out, out
    assert "Traceback" not in out
    assert sum(BROKEN_EP in line and "warning:" in line for line in out.splitlines()) == 1, out
