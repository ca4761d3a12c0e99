"""Fixtures for tests that need a (fake) Hugging Face Hub; tests/conftest.py imports them for
every module. The server itself is in ``tests/hubserver.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent
for p in (_TESTS, _TESTS.parent / "src"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from hubserver import FakeRepo, HubServer, model_files  # noqa: E402

from modal_llm_deploy.steps.download import RetryPolicy  # noqa: E402

REPO_ID = "fake-org/GLM-tiny-FP8"
N_SHARDS = 4
SHARD_SIZE = 2 * 1024 * 1024 + 12345  # not a multiple of any buffer size


@pytest.fixture
def hub_env(monkeypatch, tmp_path_factory):
    """Point the real client at nothing real: no Xet, no stored/env token, no progress bars."""
    from huggingface_hub import constants

    home = tmp_path_factory.mktemp("hf_home")
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(var, raising=False)
    # The client reads these constants at import time: set the env (for subprocesses) and the constants.
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_PROGRESS_BARS", True)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(home / "hub"))
    return home


@pytest.fixture(scope="session")
def hub_files() -> dict[str, bytes]:
    return model_files(N_SHARDS, SHARD_SIZE, seed=1234)


@pytest.fixture
def hub_repo(hub_files) -> FakeRepo:
    repo = FakeRepo(REPO_ID)
    repo.add_commit(hub_files)
    return repo


@pytest.fixture
def hub_server(hub_env, hub_repo):
    """A fresh in-process fake hub serving ``hub_repo`` (faults and request log are per test)."""
    with HubServer([hub_repo]) as hub:
        yield hub


@pytest.fixture
def fast_retry() -> RetryPolicy:
    return RetryPolicy(attempts=3, delays_s=(0.01, 0.02), max_retry_after_s=0.5)
