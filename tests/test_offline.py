"""No network on the user's machine fails in seconds; containers keep retrying; a failed
download leaves nothing a later run or ``verify`` misreads (issue 15).

The real huggingface_hub client is pointed (HF_ENDPOINT / ``endpoint=``) at an address that
refuses connections (a port just closed) and at a name that cannot resolve (``.invalid``,
RFC 2606), and at the fault-injecting fake hub for everything that needs a Hub that answers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest_hub import REPO_ID
from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import complete_path, state_dir
from modal_llm_deploy.steps.download import RetryPolicy, download_weights, resolve_revision
from modal_llm_deploy.steps.network import NETWORK_HINT, probe
from modal_llm_deploy.steps.verify import Fixes, verify_weights

BIN = Path(sys.executable).parent
SHARD2 = "model-00002-of-00004.safetensors"
FAST = RetryPolicy(attempts=3, delays_s=(0.01, 0.02), max_retry_after_s=0.5)
# The profile's own policy (5 attempts, waits 5, 15, 30, 60 s: 110 s of waiting) is what the
# CLI uses: a retried "no network" could not finish in the time limit below.
LIMIT_S = 15


def refused_endpoint() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connecting is refused
    return f"http://127.0.0.1:{port}"


OFFLINE = {
    "refused": (refused_endpoint, "the connection was refused"),
    "unresolvable": (lambda: "http://hub.modal-llm-deploy-test.invalid", "the host name does not resolve"),
}


def cli(*args: str, endpoint: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_LLM_DEPLOY_"))}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(cwd / "hf-home"), HF_HUB_DISABLE_XET="1")
    t = time.monotonic()
    r = subprocess.run([str(BIN / "modal-llm-deploy"), *args], capture_output=True, text=True, env=env,
                       cwd=cwd, timeout=120)
    return r, time.monotonic() - t


def assert_offline_line(r: subprocess.CompletedProcess[str], secs: float, why: str) -> str:
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("error: ") and why in line and line.endswith(NETWORK_HINT), line
    assert secs < LIMIT_S, secs
    return line


@pytest.mark.parametrize("case", list(OFFLINE))
def test_offline_revision_fails_in_seconds_with_the_hint(case, tmp_path):
    make, why = OFFLINE[case]
    endpoint = make()
    r, secs = cli("revision", "glm51_fp8", endpoint=endpoint, cwd=tmp_path)
    line = assert_offline_line(r, secs, why)
    assert f"cannot reach {endpoint}" in line and r.stdout == "", line


@pytest.mark.parametrize("case", list(OFFLINE))
def test_offline_local_download_fails_in_seconds_and_leaves_nothing(case, tmp_path):
    make, why = OFFLINE[case]
    weights = tmp_path / "models" / "glm"
    r, secs = cli("download", "glm51_fp8", "--weights-dir", str(weights), endpoint=make(), cwd=tmp_path)
    line = assert_offline_line(r, secs, why)
    assert "listing zai-org/GLM-5.1-FP8@main" in line, line
    # Nothing new: not the weights directory, not its parent, not a state folder.
    assert not (tmp_path / "models").exists()
    rep = verify_weights(weights, revision=None, fixes=Fixes("dl", "cc", "rp"))
    assert [p.kind for p in rep.problems] == ["weights.not_downloaded"], rep.problems


def test_offline_into_an_existing_directory_leaves_it_as_it_was(tmp_path):
    weights = tmp_path / "w"
    weights.mkdir()
    with pytest.raises(StepError, match="connection was refused"):
        download_weights(REPO_ID, "main", weights, endpoint=refused_endpoint(), retry=FAST, fail_fast=True)
    assert weights.is_dir() and list(weights.iterdir()) == []


def test_containers_keep_their_retries_and_the_last_line_has_the_hint(tmp_path, capsys):
    """fail_fast is off by default (modal_adapter/runtime.py's download): every attempt is made,
    each wait is printed, and the final line names the network."""
    with pytest.raises(StepError) as ei:
        download_weights(REPO_ID, "main", tmp_path / "w", endpoint=refused_endpoint(), retry=FAST)
    msg = str(ei.value)
    assert "failed after 3 attempts" in msg and "Connection refused" in msg and msg.endswith(NETWORK_HINT), msg
    waits = [x for x in capsys.readouterr().out.splitlines() if "waiting" in x]
    assert len(waits) == 2 and "before attempt 2 of 3" in waits[0], waits
    assert not (tmp_path / "w").exists()


def test_runtime_download_does_not_fail_fast():
    """The container's download call (modal_adapter/runtime.py) never passes fail_fast."""
    import inspect

    from modal_llm_deploy.modal_adapter import runtime

    src = inspect.getsource(runtime)
    assert "download_weights(" in src and "fail_fast" not in src


def test_fail_fast_still_retries_a_hub_that_answers(hub_server, hub_files, tmp_path):
    """Only an unreachable host fails at once: a 503 on the listing and on a file is retried."""
    hub_server.add_fault(kind="status", status=503, where="api", path="", times=1)
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", times=2)
    res = download_weights(REPO_ID, "main", tmp_path, endpoint=hub_server.endpoint, retry=FAST, fail_fast=True,
                           progress_every_s=0)
    assert complete_path(tmp_path).exists() and res.files_fetched == len(hub_files)
    assert all(f.fired for f in hub_server.faults)


def test_revision_says_what_it_waits_for(hub_server, hub_repo):
    hub_server.add_fault(kind="status", status=503, where="api", path="", times=2)
    said: list[str] = []
    sha = resolve_revision(REPO_ID, "main", endpoint=hub_server.endpoint, retry=FAST, fail_fast=True, say=said.append)
    assert sha == hub_repo.resolve("main")
    assert len(said) == 2 and all(f"resolving {REPO_ID}@main: HTTP 503; waiting" in s for s in said), said


@pytest.mark.parametrize("case", list(OFFLINE))
def test_probe_fails_in_seconds_and_passes_a_listening_hub(case, hub_server):
    make, why = OFFLINE[case]
    t = time.monotonic()
    with pytest.raises(StepError) as ei:
        probe(make(), timeout_s=5)
    assert time.monotonic() - t < 6 and str(ei.value).endswith(NETWORK_HINT)
    assert ("refused" if case == "refused" else "does not resolve") in str(ei.value)
    assert probe(hub_server.endpoint) < 5


# --- a failed download leaves nothing misread ---------------------------------------------------


def test_a_download_that_failed_before_writing_leaves_nothing(hub_server, tmp_path):
    """A failure the Hub answers (here: no such revision) before anything was written."""
    weights = tmp_path / "new" / "w"
    with pytest.raises(StepError, match="not found"):
        download_weights(REPO_ID, "no-such-branch", weights, endpoint=hub_server.endpoint, retry=FAST)
    assert not (tmp_path / "new").exists()


def test_a_download_that_failed_midway_is_not_complete_to_verify_and_resumes(hub_server, hub_files, tmp_path):
    hub_server.add_fault(kind="truncate", path=SHARD2, where="cdn", after_bytes=500_000, times=1)
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", skip=1, times=None)
    with pytest.raises(StepError, match=SHARD2):
        download_weights(REPO_ID, "main", tmp_path, endpoint=hub_server.endpoint, retry=FAST, progress_every_s=0)
    assert state_dir(tmp_path).is_dir()  # kept: the next run resumes from it
    rep = verify_weights(tmp_path, revision=None, fixes=Fixes("dl", "cc", "rp"))
    codes = {p.kind for p in rep.problems}
    assert not rep.ok and "weights.not_complete" in codes, rep.problems
    assert any(SHARD2 in str(p) for p in rep.problems), rep.problems  # the missing shard is named
    hub_server.clear_faults()
    hub_server.clear_log()
    download_weights(REPO_ID, "main", tmp_path, endpoint=hub_server.endpoint, retry=FAST, progress_every_s=0)
    gets = [r for r in hub_server.file_gets() if r.file == SHARD2]
    assert [g.range for g in gets] == ["bytes=500000-"]  # resumed, not restarted
    assert verify_weights(tmp_path, revision=None, fixes=Fixes("dl", "cc", "rp")).ok


def _chained(inner: OSError) -> Exception:
    """An exception chained the way the client chains the socket's (httpx2 → httpcore2 → OSError)."""
    try:
        try:
            raise inner
        except OSError as exc:
            raise ConnectionError("connect failed") from exc
    except ConnectionError as outer:
        return outer


@pytest.mark.parametrize("inner,why", [
    (socket.gaierror(-2, "Name or service not known"), "does not resolve"),
    (ConnectionRefusedError(111, "Connection refused"), "refused"),
    (OSError(113, "No route to host"), "no route"),
    (OSError(101, "Network is unreachable"), "no route"),
])
def test_unreachable_reads_the_socket_error_under_the_clients(inner, why):
    from modal_llm_deploy.steps.network import unreachable

    assert why in unreachable(_chained(inner))


@pytest.mark.parametrize("inner", [ConnectionResetError(104, "Connection reset by peer"), TimeoutError("read")])
def test_a_flaky_network_is_not_unreachable(inner):
    """A reset or a read timeout is a flaky network, not an absent one: retried even locally."""
    from modal_llm_deploy.steps.network import unreachable

    assert unreachable(_chained(inner)) is None
