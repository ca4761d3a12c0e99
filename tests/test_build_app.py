"""build_app renders real modal objects offline; `modal deploy`/`modal run` get as far as auth."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import modal
import pytest

from modal_llm_deploy import build_app, build_plan, load_profile, setup_functions
from modal_llm_deploy.modal_adapter.render import render_image

from conftest import BUNDLED, REPO

MODAL = str(Path(sys.executable).with_name("modal"))


def no_token_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)  # no ~/.modal.toml
    return env


@pytest.mark.parametrize("name", BUNDLED)
def test_build_app_offline(name):
    profile = load_profile(name)
    app = build_app(profile)
    assert isinstance(app, modal.App) and app.name == profile.app_name
    setup, download, compile_, verify = setup_functions(app)
    for fn in (download, compile_, verify):
        assert isinstance(fn, modal.Function)
    assert setup is not None and not isinstance(setup, modal.Function)  # a local entrypoint


def test_images_render_from_plan():
    plan = build_plan(load_profile("glm51_fp8"))
    for img in plan.images.values():
        assert isinstance(render_image(img.model_dump(mode="json")), modal.Image)


def test_setup_functions_refuses_foreign_app():
    with pytest.raises(KeyError, match="not built by"):
        setup_functions(modal.App("someone-else"))


@pytest.mark.parametrize(
    "args",
    [
        ["deploy", "examples/glm51_deploy.py"],
        ["deploy", "examples/glm51_h200_deploy.py"],
        ["run", "examples/glm51_deploy.py"],
        ["run", "examples/glm51_deploy.py::download_model"],
        ["run", "examples/glm51_deploy.py::compile_deepgemm"],
        ["run", "examples/glm51_deploy.py::verify_setup"],
    ],
)
def test_modal_cli_reaches_token_missing(args, tmp_path):
    """Modal imports the script, builds every object and resolves the function by name before
    it needs credentials; so reaching "Token missing" proves all of that works."""
    r = subprocess.run([MODAL, *args], cwd=REPO, env=no_token_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "Token missing" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_modal_cli_unknown_function_is_not_token_missing(tmp_path):
    # Control for the test above: an unknown name fails earlier, with another message.
    r = subprocess.run([MODAL, "run", "examples/glm51_deploy.py::nope"], cwd=REPO, env=no_token_env(tmp_path),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Token missing" not in r.stdout + r.stderr
    assert "download_model" in r.stdout + r.stderr
