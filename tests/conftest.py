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

# SGLang's caches (the real package in the parser venv, the stand-in in tests/standin) default to
# ~/.cache/sglang and ~/.cache/sglang/jit (sglang 0.5.23 srt/environ.py: SGLANG_CACHE_DIR, and
# SGLANG_JIT_CACHE_DIR, which is *not* under it). Every process of the session inherits these, so
# a run that sets no cache directory of its own writes under the temporary directory instead.
# The library sets both explicitly for the SGLang it starts, so this changes no tested path.
_SGLANG_CACHE = Path(tempfile.mkdtemp(prefix="mld-test-sglang-cache-"))
os.environ["SGLANG_CACHE_DIR"] = str(_SGLANG_CACHE)
os.environ["SGLANG_JIT_CACHE_DIR"] = str(_SGLANG_CACHE / "jit")


# pip's own download cache is exempt: the first run of a fresh clone builds its environments
# (parser venv, bench venv, stand-in overlay) with pip, which reads and fills the user's cache
# by design (that is how a later fresh clone installs them without downloading again).
_EXEMPT = ("pip",)


def _home_cache_snapshot() -> dict[str, int]:
    root = Path.home() / ".cache"
    out: dict[str, int] = {}
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath == str(root):
                dirnames[:] = [d for d in dirnames if d not in _EXEMPT]
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                try:
                    out[p] = os.lstat(p).st_mtime_ns
                except OSError:
                    pass
    return out


@pytest.fixture(scope="session", autouse=True)
def writes_nothing_under_home_cache():
    """The suite writes nothing outside the clone except under the temporary directory: fail the
    session if anything new (or rewritten) appears under ~/.cache while it runs. (Another
    process of the same user writing there at the same time would show up too.)"""
    before = _home_cache_snapshot()
    yield
    after = _home_cache_snapshot()
    changed = sorted(p for p, t in after.items() if before.get(p) != t)
    if changed:
        pytest.fail(f"the tests wrote {len(changed)} path(s) under {Path.home() / '.cache'}, outside the clone: "
                    + ", ".join(changed[:5]) + (" …" if len(changed) > 5 else ""))


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
