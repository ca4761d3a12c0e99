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
    """Interpreter path for the real SGLang parser of a given version (installed on first use
    into .cache/sglang-parsers/, ~45 s per version). MLD_SGLANG_PYTHON reuses an existing one."""
    from modal_llm_deploy.engine.check import parser_env_python

    cache: dict[str, Path] = {}

    def get(version: str) -> Path:
        if version not in cache:
            given = os.environ.get("MLD_SGLANG_PYTHON")
            cache[version] = Path(given) if given else parser_env_python(version, REPO / ".cache" / "sglang-parsers")
        return cache[version]

    return get
