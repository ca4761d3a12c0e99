"""The engine where it runs locally: `compile`/`serve` refuse an SGLang other than the profile's.

The version is read from the real SGLang 0.5.23 package (the parser venv, fixture
``sglang_parser``), from the stand-in (tests/standin/sglang declares the release it imitates),
and from a package that declares another release.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from modal_llm_deploy import load_profile
from modal_llm_deploy.engine.local import installed_sglang, version_mismatch

from conftest import BUNDLED, REPO

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import STANDIN_DIR  # noqa: E402

CLI = Path(sys.executable).with_name("modal-llm-deploy")
VERSION = "0.5.23"


def test_serve_extra_pins_the_bundled_profiles_version():
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (req,) = extras["serve"]
    m = re.fullmatch(r"sglang\[all\]==(\S+)", req)
    assert m, req
    assert {load_profile(n).engine.sglang_version for n in BUNDLED} == {m.group(1)}


def test_real_sglang_version_is_read_without_importing_it(sglang_parser):
    py = str(sglang_parser(VERSION))
    got = installed_sglang(py)
    assert got["found"] and got["version"] == VERSION, got
    assert version_mismatch(py, VERSION) is None
    msg = version_mismatch(py, "0.5.22")
    assert msg and "has SGLang 0.5.23" in msg and "proven for 0.5.22 only" in msg and "[serve]" in msg


def test_standin_declares_the_release_it_imitates(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(STANDIN_DIR))  # the child's path only
    assert installed_sglang(sys.executable)["version"] == VERSION
    assert version_mismatch(sys.executable, VERSION) is None


def test_interpreter_without_sglang(tmp_path):
    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    py = str(tmp_path / "bare" / "bin" / "python")
    msg = version_mismatch(py, VERSION)
    assert msg and "has no SGLang" in msg and "modal-llm-deploy[serve]" in msg
    assert "cannot run" in version_mismatch(str(tmp_path / "nope"), VERSION)


@pytest.mark.parametrize("cmd", ["compile", "serve"])
def test_cli_refuses_another_sglang_release(cmd, tmp_path):
    other = tmp_path / "other" / "sglang"
    other.mkdir(parents=True)
    (other / "__init__.py").write_text('__version__ = "0.5.22"\n')
    env = {**os.environ, "PYTHONPATH": str(other.parent), "API_KEY": "k"}
    r = subprocess.run(
        [str(CLI), cmd, "glm51_fp8", "--weights-dir", str(tmp_path / "w"), "--cache-dir", str(tmp_path / "c")],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "SGLang 0.5.22" in lines[0] and "proven for 0.5.23 only" in lines[0], r.stderr
    assert not (tmp_path / "c").exists()  # refused before touching anything
