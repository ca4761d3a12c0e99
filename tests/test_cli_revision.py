"""`modal-llm-deploy revision`: the sha a ref resolves to now and the override that pins it
(issue 7), through the real CLI and the real huggingface_hub client against the fake hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hubserver import FakeRepo, HubServer

from modal_llm_deploy.profile.overrides import parse_set_options

pytestmark = pytest.mark.timeout(120)

CLI = str(Path(sys.executable).with_name("modal-llm-deploy"))
TOKEN = "hf_SENTINEL_revision_7c1d"


def _env(hub, tmp_path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_", "HUGGING"))}
    env.update(HF_ENDPOINT=hub.endpoint, HF_HUB_DISABLE_XET="1", HF_HOME=str(tmp_path / "hf_home"), **extra)
    return env


def _run(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, "revision", "glm51_fp8", *args], env=env, capture_output=True, text=True, timeout=90)


SETS = ["--set", "download.attempts=2", "--set", "download.backoff_s=[0.01]"]


def test_revision_prints_the_sha_and_the_pinning_override(hub_server, hub_repo, tmp_path, hub_files):
    env = _env(hub_server, tmp_path)
    sets = SETS + ["--set", f"model.repo_id={hub_repo.repo_id}", "--set", "serving.max_containers=7"]
    r = _run(env, *sets)
    c = hub_repo.refs["main"]
    assert r.returncode == 0, r.stderr
    assert f"{hub_repo.repo_id} @ main → {c}" in r.stdout
    assert f"--set model.revision={c}" in r.stdout.splitlines()[2]
    # the environment form is exactly what load_profile reads back
    env_line = next(line.strip() for line in r.stdout.splitlines() if line.strip().startswith("MODAL_LLM_DEPLOY_SET="))
    assert env_line == f"MODAL_LLM_DEPLOY_SET=model.revision={c}"
    # the full deploy lines carry the other overrides in effect, and the pin
    assert "modal-llm-deploy deploy glm51_fp8" in r.stdout and "--set serving.max_containers=7" in r.stdout, r.stdout

    j = json.loads(_run(env, *sets, "--json").stdout)
    assert (j["sha"], j["ref"], j["repo_id"], j["pinned"]) == (c, "main", hub_repo.repo_id, False)
    assert parse_set_options([j["set"].removeprefix("--set ")]) == {"model.revision": c}

    # `main` moves upstream: the command follows it; --ref resolves another ref; a sha resolves to itself
    d = hub_repo.add_commit({**hub_files, "config.json": b'{"v": 2}'})
    assert json.loads(_run(env, *sets, "--json").stdout)["sha"] == d
    assert json.loads(_run(env, *sets, "--json", "--ref", c).stdout)["pinned"] is True


def test_revision_errors_are_one_line_and_never_show_the_token(hub_env, tmp_path, hub_files):
    gated = FakeRepo("acme/gated", gated=True)
    gated.add_commit(hub_files)
    gated.allowed_tokens.add("hf_other")
    with HubServer([gated], valid_tokens={"hf_other"}) as hub:
        base = SETS + ["--set", "model.repo_id=acme/gated"]
        # bad token → 401, one line, exit 1, token never echoed
        r = _run(_env(hub, tmp_path, HF_TOKEN=TOKEN), *base)
        assert r.returncode == 1 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and "401" in r.stderr, r.stderr
        assert TOKEN not in r.stderr + r.stdout and "Traceback" not in r.stderr
        # the token env var is the profile's secrets.hf_token_env: a renamed variable is read
        r = _run(_env(hub, tmp_path, MY_TOK=TOKEN), *base, "--set", "secrets.hf_token_env=MY_TOK")
        assert r.returncode == 1 and "401" in r.stderr and TOKEN not in r.stderr
        # no such ref → 404 as one line
        r = _run(_env(hub, tmp_path, HF_TOKEN="hf_other"), *base, "--ref", "no-such-branch")
        assert r.returncode == 1 and r.stderr.count("\n") == 1 and "no-such-branch" in r.stderr, r.stderr
        ok = _run(_env(hub, tmp_path, HF_TOKEN="hf_other"), *base)
        assert ok.returncode == 0 and gated.refs["main"] in ok.stdout and "hf_other" not in ok.stdout
    # hub gone (connection refused): no retries on the user's machine, one line with the
    # network hint, exit 1 (tests/test_offline.py times it)
    r = _run(_env(hub, tmp_path), *base)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "connection was refused" in r.stderr, r.stderr
    assert "check this machine's network" in r.stderr
    # bad input: exit 2
    r = _run(_env(hub, tmp_path), "--set", "model.nope=1")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
