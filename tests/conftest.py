"""Shared fixtures. Everything here runs offline: no GPU, no Modal account, no hub."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Fake-hub fixtures for every test module (tests/ is on sys.path: pytest's rootdir conftest rule).
from conftest_hub import fast_retry, hub_env, hub_files, hub_repo, hub_server  # noqa: F401

REPO = Path(__file__).resolve().parents[1]

# Plans stored by deploy-script builds (modal_llm_deploy/plan_cache.py) during the tests, in this
# process and in every subprocess it starts, go to a directory of this session, never the user's.
os.environ["MODAL_LLM_DEPLOY_CACHE_DIR"] = tempfile.mkdtemp(prefix="mld-test-plan-cache-")
BUNDLED = ("glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sglang_parser():
    """Interpreter path with the real SGLang of a given version, for its parser (and, being the
    one harness env, its OpenAI layer, benchmark and eval harness): tests/_support/sglang_env.py,
    built once under .cache/sglang-env/ and reused by key. MLD_SGLANG_PYTHON names an existing one."""
    from _support.sglang_env import sglang_python

    return lambda version: sglang_python(version, "parser")
