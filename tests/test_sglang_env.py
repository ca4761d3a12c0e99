"""The one harness SGLang env (tests/_support/sglang_env.py): its pins are SGLang's own, it is
reused by key, and an interpreter given with MLD_SGLANG_PYTHON that cannot serve a use says so."""

from __future__ import annotations

import json
import subprocess
import venv

import pytest
from packaging.requirements import Requirement

from _support import sglang_env
from modal_llm_deploy.engine.check import ParserEnvError

VERSION = "0.5.23"


def test_pins_are_sglangs_own_where_it_pins(sglang_parser):
    """Every package the env pins that SGLang's METADATA pins too carries SGLang's version
    (read from the installed sglang-<version>.dist-info), so the stand-in's ``openai`` and the
    benchmark's torch/transformers are the ones SGLang was released with."""
    py = sglang_parser(VERSION)
    code = "import importlib.metadata as m, json; print(json.dumps(m.requires('sglang')))"
    reqs = [Requirement(r) for r in json.loads(subprocess.run([str(py), "-c", code], capture_output=True, text=True,
                                                              check=True).stdout)]
    sglang_pins = {r.name.lower(): str(r.specifier) for r in reqs if r.marker is None and str(r.specifier).startswith("==")}
    ours = {Requirement(p).name.lower(): str(Requirement(p).specifier) for p in sglang_env.PACKAGES}
    shared = {n for n in ours if n in sglang_pins}
    assert {"torch", "transformers", "openai"} <= shared
    assert {n: ours[n] for n in shared} == {n: sglang_pins[n] for n in shared}


def test_every_use_runs_in_the_one_env(sglang_parser):
    py = sglang_parser(VERSION)
    for use in sglang_env.PROBES:
        assert sglang_env._probe(py, use) is None, use


def test_the_env_is_keyed_by_version_and_packages():
    k = sglang_env.env_key(VERSION)
    assert k == sglang_env.env_key(VERSION, list(reversed(sglang_env.PACKAGES)))  # order does not matter
    assert k != sglang_env.env_key("0.5.24")
    assert k != sglang_env.env_key(VERSION, sglang_env.PACKAGES + ["rich"])
    assert sglang_env.env_dir(VERSION).name == f"{VERSION}-{k}"


def test_a_given_interpreter_that_cannot_serve_a_use_fails_naming_it(tmp_path, monkeypatch):
    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    monkeypatch.setenv(sglang_env.ENV_VAR, str(tmp_path / "bare" / "bin" / "python"))
    with pytest.raises(ParserEnvError) as ei:
        sglang_env.sglang_python.__wrapped__(VERSION, "bench")
    msg = str(ei.value)
    assert "MLD_SGLANG_PYTHON=" in msg and "bench tests" in msg and "No module named 'sglang'" in msg
