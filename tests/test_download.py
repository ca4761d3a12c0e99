"""The download step against a local, fault-injecting fake Hub, with the real huggingface_hub client.

Each test starts its own in-process server (tests/hubserver.py) serving a small synthetic checkpoint
(4 shards of ~2 MB + index, config and tokenizer files; shards are redirected to a "CDN" origin
like on huggingface.co). Retry delays are tiny except where a test proves that no retry happens.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest_hub import REPO_ID, SHARD_SIZE
from hubserver import FakeRepo, Fault, HubServer
from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.steps import download as dlmod
from modal_llm_deploy.steps.download import fetch as fetchmod
from modal_llm_deploy.steps.download import DownloadResult, RetryPolicy, download_weights
from modal_llm_deploy.base.layout import CompletionMarker, Manifest, complete_path, lock_path, manifest_path

pytestmark = pytest.mark.timeout(60)

SHARD1 = "model-00001-of-00004.safetensors"
SHARD2 = "model-00002-of-00004.safetensors"
INDEX = "model.safetensors.index.json"
SENTINEL = "hf_SENTINELtokenDoNotLeak0123456789"


def commit_of(hub: HubServer) -> str:
    return hub.repos[REPO_ID].refs["main"]


def run(hub: HubServer, d: Path, revision: str | None = None, **kw) -> DownloadResult:
    kw.setdefault("retry", RetryPolicy(attempts=3, delays_s=(0.01, 0.02), max_retry_after_s=0.5))
    kw.setdefault("progress_every_s", 0)
    return download_weights(REPO_ID, revision or commit_of(hub), d, endpoint=hub.endpoint, **kw)


def assert_tree(d: Path, files: dict[str, bytes]) -> None:
    """Exactly the repo's files, byte for byte, plus our state directory."""
    present = {p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file()
               and not p.relative_to(d).as_posix().startswith(".modal-llm-deploy/")}
    assert present == set(files)
    for name, data in files.items():
        assert (d / name).read_bytes() == data, name


def content_gets(hub: HubServer, file: str) -> list:
    return [r for r in hub.file_gets(file) if r.status in (200, 206)]


def complete_fetches(hub: HubServer, files: dict[str, bytes]) -> dict[str, int]:
    """How many times each file's bytes were sent in full (summing resumed pieces)."""
    return {f: sum(r.bytes_sent for r in content_gets(hub, f)) // max(len(data), 1) for f, data in files.items()}


# --- happy path, faults, byte-identical trees --------------------------------------------------------


def test_clean_download_writes_manifest_then_marker(hub_server, hub_files, tmp_path):
    res = run(hub_server, tmp_path)
    assert_tree(tmp_path, hub_files)
    assert res.files_total == res.files_fetched == len(hub_files) and res.files_skipped == 0
    assert res.bytes_total == res.bytes_fetched == sum(map(len, hub_files.values()))
    assert not res.already_complete
    man = Manifest.load(tmp_path)
    assert man.repo_id == REPO_ID and man.revision == commit_of(hub_server)
    assert {e.path: e.size for e in man.files} == {k: len(v) for k, v in hub_files.items()}
    assert all(e.sha256 for e in man.files if e.path.endswith(".safetensors"))
    mk = CompletionMarker.load(tmp_path)
    assert (mk.repo_id, mk.revision, mk.files, mk.bytes) == (REPO_ID, man.revision, len(man.files), man.total_bytes)
    assert not lock_path(tmp_path).exists()  # lease released
    # The token never travels to the CDN origin, and no file was fetched more than once.
    assert all(not r.has_auth for r in hub_server.requests(kind="cdn"))
    assert set(complete_fetches(hub_server, hub_files).values()) == {1}


FAULTS = {
    "5xx burst on one shard": [Fault(kind="status", status=503, path=SHARD2, where="cdn", times=2),
                               Fault(kind="status", status=502, path=INDEX, where="resolve", times=1)],
    "mid-file reset per shard": [Fault(kind="reset", path="*.safetensors", where="cdn", per_file=True,
                                       after_bytes=SHARD_SIZE // 2)],
    "truncated body per shard": [Fault(kind="truncate", path="*.safetensors", where="cdn", per_file=True,
                                       after_bytes=SHARD_SIZE // 3)],
    "429 then ok": [Fault(kind="status", status=429, retry_after="1", path=SHARD1, where="cdn", times=1)],
    "corrupted bytes (sha256 catches it)": [Fault(kind="corrupt", path=SHARD1, where="cdn", after_bytes=12345)],
    "stalled read (timeout, resume)": [Fault(kind="stall", seconds=1.5, path=SHARD2, where="cdn",
                                             after_bytes=SHARD_SIZE // 2)],
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_faults_end_in_identical_tree(name, hub_server, hub_files, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 0.5)  # for the stall case
    for f in FAULTS[name]:
        hub_server.add_fault(Fault(**f.to_json()))  # fresh counters per test
    res = run(hub_server, tmp_path)
    assert_tree(tmp_path, hub_files)
    assert complete_path(tmp_path).exists()
    assert all(f.fired for f in hub_server.faults), "every injected fault was hit"
    assert res.files_fetched == len(hub_files)
    if name.startswith("stalled"):
        # The stalled response is still sleeping on the server (not logged yet); the retry resumed.
        assert content_gets(hub_server, SHARD2)[-1].range == f"bytes={SHARD_SIZE // 2}-"
    elif not name.startswith("corrupted"):
        # Resumed, not restarted: every file's bytes crossed the wire once.
        assert set(complete_fetches(hub_server, hub_files).values()) == {1}
        assert hub_server.bytes_sent() == res.bytes_total


def test_resume_uses_range_and_sends_each_byte_once(hub_server, hub_files, tmp_path):
    hub_server.add_fault(kind="reset", path="*.safetensors", where="cdn", per_file=True, after_bytes=SHARD_SIZE // 2)
    run(hub_server, tmp_path)
    for i in range(1, 5):
        shard = f"model-0000{i}-of-00004.safetensors"
        gets = content_gets(hub_server, shard)
        assert len(gets) == 2
        assert gets[1].range == f"bytes={gets[0].bytes_sent}-"  # continued exactly where the cut was
        sent = sum(r.bytes_sent for r in gets)
        assert sent == len(hub_files[shard]), f"{shard}: sent {sent} for {len(hub_files[shard])} bytes (not 2x)"


def test_retry_after_is_honoured_but_capped(hub_server, hub_files, tmp_path):
    # The Hub rate-limits /resolve (the HEAD); the CDN GET rarely answers 429.
    # 1. It asks for 1 s, the cap is 5 s -> we wait ~1 s (honoured, although our own delay is 0.01 s).
    hub_server.add_fault(kind="status", status=429, retry_after="1", path=SHARD1, where="resolve", method="HEAD")
    run(hub_server, tmp_path, retry=RetryPolicy(attempts=3, delays_s=(0.01,), max_retry_after_s=5))
    assert_tree(tmp_path, hub_files)
    heads = hub_server.requests(kind="resolve", file=SHARD1, method="HEAD")
    gap = heads[1].t_start - heads[0].t_end
    # The server stamps t_end after its last write; the client may start its wait a few ms
    # before that (seen: 0.998 s), so allow 50 ms of clock skew between the two sides.
    assert 0.95 <= gap < 2.0, gap

    # 2. It asks for an hour, the cap is 0.3 s -> we wait ~0.3 s.
    hub2 = tmp_path / "capped"
    hub_server.clear_log()
    hub_server.clear_faults()
    hub_server.add_fault(kind="status", status=429, retry_after="3600", path=SHARD2, where="resolve", method="HEAD")
    t = time.monotonic()
    run(hub_server, hub2, retry=RetryPolicy(attempts=3, delays_s=(0.01,), max_retry_after_s=0.3))
    heads = hub_server.requests(kind="resolve", file=SHARD2, method="HEAD")
    gap = heads[1].t_start - heads[0].t_end
    assert 0.25 <= gap < 1.0 and time.monotonic() - t < 5, gap  # same 50 ms skew allowance
    assert_tree(hub2, hub_files)


def test_permanent_503_fails_after_exactly_attempts_and_leaves_no_marker(hub_server, hub_files, tmp_path):
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", times=None)
    with pytest.raises(StepError) as ei:
        run(hub_server, tmp_path, retry=RetryPolicy(attempts=3, delays_s=(0.01,), max_retry_after_s=1))
    msg = str(ei.value)
    assert SHARD2 in msg and "HTTP 503" in msg and "3 attempts" in msg and "\n" not in msg
    assert len(hub_server.requests(kind="cdn", file=SHARD2, method="GET")) == 3
    assert not complete_path(tmp_path).exists()
    assert manifest_path(tmp_path).exists()  # the manifest says what complete would be
    assert not (tmp_path / SHARD2).exists()
    for name, data in hub_files.items():
        if name != SHARD2:
            assert (tmp_path / name).read_bytes() == data  # the others completed

    # The outage ends: a re-run fetches only the missing shard.
    hub_server.clear_faults()
    hub_server.clear_log()
    res = run(hub_server, tmp_path)
    assert_tree(tmp_path, hub_files)
    assert {r.file for r in hub_server.file_gets()} == {SHARD2}
    assert (res.files_fetched, res.files_skipped) == (1, len(hub_files) - 1)


def test_partial_from_a_failed_run_is_resumed_by_the_next(hub_server, hub_files, tmp_path):
    # Run 1: shard 2 is cut after 700 kB, then the CDN is down for good -> the step fails.
    hub_server.add_fault(kind="truncate", path=SHARD2, where="cdn", after_bytes=700_000, times=1)
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", skip=1, times=None)
    with pytest.raises(StepError):
        run(hub_server, tmp_path)
    partials = list((tmp_path / ".modal-llm-deploy" / "partial").glob("model-00002*"))
    assert len(partials) == 1 and partials[0].stat().st_size == 700_000
    # Run 2 (a new process would do the same): continues at byte 700000.
    hub_server.clear_faults()
    hub_server.clear_log()
    run(hub_server, tmp_path)
    assert_tree(tmp_path, hub_files)
    gets = content_gets(hub_server, SHARD2)
    assert [g.range for g in gets] == ["bytes=700000-"]
    assert gets[0].bytes_sent == len(hub_files[SHARD2]) - 700_000
    assert not (tmp_path / ".modal-llm-deploy" / "partial").exists()  # cleaned once complete


def test_rerun_on_complete_tree_fetches_nothing(hub_server, hub_files, tmp_path):
    run(hub_server, tmp_path)
    hub_server.clear_log()
    t = time.monotonic()
    res = run(hub_server, tmp_path)
    assert res.already_complete and res.files_fetched == 0 and res.bytes_fetched == 0
    assert res.files_skipped == len(hub_files)
    assert hub_server.requests() == []  # pinned commit: not even model_info
    assert time.monotonic() - t < 2

    # A branch name needs one API call to learn where it points, still no file GETs.
    res = run(hub_server, tmp_path, revision="main")
    assert hub_server.file_gets() == [] and not res.bytes_fetched
    # Sizes are re-checked locally: a lost shard is noticed and only that shard is fetched.
    (tmp_path / SHARD1).unlink()
    hub_server.clear_log()
    res = run(hub_server, tmp_path)
    assert not res.already_complete and res.files_fetched == 1
    assert {r.file for r in hub_server.file_gets()} == {SHARD1}
    assert_tree(tmp_path, hub_files)


def test_new_revision_fetches_only_what_differs(hub_server, hub_files, tmp_path):
    repo = hub_server.repos[REPO_ID]
    old_commit = commit_of(hub_server)
    run(hub_server, tmp_path, revision=old_commit)
    changed = dict(hub_files)
    changed[SHARD2] = bytes(reversed(hub_files[SHARD2]))  # same size, other bytes: size alone can't tell
    changed["config.json"] = hub_files["config.json"].replace(b"}", b', "x": 1}')
    del changed["tokenizer_config.json"]
    new_commit = repo.add_commit(changed)
    hub_server.clear_log()
    res = run(hub_server, tmp_path, revision=new_commit)
    assert_tree(tmp_path, changed)
    assert {r.file for r in hub_server.file_gets()} == {SHARD2, "config.json"}
    assert CompletionMarker.load(tmp_path).revision == new_commit
    assert res.files_skipped == len(changed) - 2


def test_existing_files_without_manifest_are_verified_not_trusted(hub_server, hub_files, tmp_path):
    """Adopting a directory filled by something else: same size is not enough, content is hashed."""
    for name, data in hub_files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / SHARD1).write_bytes(b"\0" * len(hub_files[SHARD1]))  # right size, wrong bytes
    res = run(hub_server, tmp_path)
    assert_tree(tmp_path, hub_files)
    assert {r.file for r in hub_server.file_gets()} == {SHARD1}
    assert res.files_skipped == len(hub_files) - 1


# --- fail fast, say what to do, never leak the token ------------------------------------------------


def _fail_fast(hub, d, capfd, *, repo_id=REPO_ID, revision=None, token=None) -> str:
    t = time.monotonic()
    with pytest.raises(StepError) as ei:
        # The default policy waits 30 s before a retry: finishing well under a second proves there was none.
        download_weights(repo_id, revision or commit_of(hub), d, endpoint=hub.endpoint, token=token,
                         retry=RetryPolicy(), progress_every_s=0)
    assert time.monotonic() - t < 1.0
    msg = str(ei.value)
    out, err = capfd.readouterr()
    assert SENTINEL not in msg and SENTINEL not in out and SENTINEL not in err
    assert "\n" not in msg
    assert not complete_path(d).exists()
    return msg


def test_repo_not_found(hub_server, tmp_path, capfd):
    msg = _fail_fast(hub_server, tmp_path, capfd, repo_id="fake-org/does-not-exist", token=SENTINEL)
    assert "repo or revision not found" in msg and "model.repo_id" in msg
    assert len(hub_server.requests(kind="api")) == 1  # no retries


def test_revision_not_found(hub_server, tmp_path, capfd):
    msg = _fail_fast(hub_server, tmp_path, capfd, revision="0" * 40, token=SENTINEL)
    assert "repo or revision not found" in msg and "model.revision" in msg
    assert len(hub_server.requests(kind="api")) == 1


def test_invalid_token_401(hub_env, hub_repo, tmp_path, capfd):
    with HubServer([hub_repo], valid_tokens={"hf_the_real_one"}) as hub:
        msg = _fail_fast(hub, tmp_path, capfd, token=SENTINEL)
        assert len(hub.requests(kind="api")) == 1
    assert "HF_TOKEN missing or invalid" in msg and "huggingface-secret" in msg


def test_gated_repo_with_token_without_access(hub_env, hub_files, tmp_path, capfd):
    repo = FakeRepo(REPO_ID, gated=True)
    repo.add_commit(hub_files)
    with HubServer([repo]) as hub:
        msg = _fail_fast(hub, tmp_path, capfd, token=SENTINEL)
    assert f"token has no access to {REPO_ID}" in msg
    assert f"accept the licence at https://huggingface.co/{REPO_ID}" in msg


def test_gated_repo_without_token(hub_env, hub_files, tmp_path, capfd):
    repo = FakeRepo(REPO_ID, gated=True)
    repo.add_commit(hub_files)
    with HubServer([repo]) as hub:
        msg = _fail_fast(hub, tmp_path, capfd)
    assert "no HF_TOKEN" in msg and "huggingface-secret" in msg and "accept the licence" in msg


def test_access_revoked_mid_download_stops_everything(hub_server, tmp_path, capfd):
    """A 403 on one file (e.g. licence withdrawn) is not retried and stops the other workers."""
    hub_server.add_fault(kind="status", status=403, error_code="GatedRepo", path=SHARD2, where="resolve",
                         method="HEAD", times=None)
    msg = _fail_fast(hub_server, tmp_path, capfd, token=SENTINEL)
    assert "token has no access" in msg
    assert len(hub_server.requests(kind="resolve", file=SHARD2)) == 1


# --- crashes and concurrency ---------------------------------------------------------------------------


def test_kill_9_mid_download_then_rerun_resumes(hub_server, hub_files, tmp_path):
    hub_server.set_throttle(4e6)  # ~0.5 s per shard, one file at a time
    src = Path(dlmod.__file__).resolve().parents[3]  # steps/download/__init__.py → src
    script = textwrap.dedent(f"""
        from pathlib import Path
        from modal_llm_deploy.steps.download import RetryPolicy, download_weights
        download_weights({REPO_ID!r}, {commit_of(hub_server)!r}, Path({str(tmp_path)!r}),
                         endpoint={hub_server.endpoint!r}, max_workers=1, retry=RetryPolicy(3, (0.01,), 1),
                         progress_every_s=0.2)
    """)
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    partial_dir = tmp_path / ".modal-llm-deploy" / "partial"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            parts = list(partial_dir.glob("model-00002*")) if partial_dir.exists() else []
            if (tmp_path / SHARD1).exists() and parts and parts[0].stat().st_size > 300_000:
                break
            assert proc.poll() is None, proc.stdout.read().decode()
            time.sleep(0.02)
        else:
            pytest.fail("the subprocess never got half way")
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    lease = json.loads(lock_path(tmp_path).read_text())
    assert lease["pid"] == proc.pid  # the dead runner's lease is still there
    finished = [f for f in sorted(hub_files) if (tmp_path / f).exists()]
    assert SHARD1 in finished and not complete_path(tmp_path).exists()
    kept = parts[0].stat().st_size

    hub_server.set_throttle(None)
    hub_server.clear_log()
    t = time.monotonic()
    res = run(hub_server, tmp_path)  # takes over the dead pid's lease at once
    assert time.monotonic() - t < 5
    assert_tree(tmp_path, hub_files)
    fetched = {r.file for r in hub_server.file_gets()}
    assert not fetched & set(finished), "files finished before the kill were fetched again"
    gets = content_gets(hub_server, SHARD2)
    assert gets[0].range == f"bytes={kept}-" and sum(g.bytes_sent for g in gets) == len(hub_files[SHARD2]) - kept
    assert res.files_skipped == len(finished)


def test_second_runner_fails_clearly_first_completes(hub_server, hub_files, tmp_path):
    hub_server.set_throttle(8e6)
    result: dict = {}

    def first():
        try:
            result["res"] = run(hub_server, tmp_path, max_workers=2)
        except BaseException as exc:  # pragma: no cover - reported below
            result["exc"] = exc

    th = threading.Thread(target=first)
    th.start()
    deadline = time.monotonic() + 10
    while not lock_path(tmp_path).exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    t = time.monotonic()
    with pytest.raises(StepError) as ei:
        run(hub_server, tmp_path)
    assert time.monotonic() - t < 1
    msg = str(ei.value)
    assert msg.startswith("another download is running (host ") and f"pid {os.getpid()}" in msg
    assert "heartbeat" in msg and str(lock_path(tmp_path)) in msg
    th.join(30)
    assert "exc" not in result, result.get("exc")
    assert_tree(tmp_path, hub_files)
    assert not lock_path(tmp_path).exists()


def test_lease_of_another_host_blocks_until_stale(hub_server, hub_files, tmp_path):
    lease = {"owner": "someone-else", "host": "other-box", "host_id": "other-box:x:1", "pid": 4242,
             "heartbeat": time.time() - 12}
    lock_path(tmp_path).parent.mkdir(parents=True)
    lock_path(tmp_path).write_text(json.dumps(lease))
    with pytest.raises(StepError, match=r"another download is running \(host other-box, pid 4242, heartbeat 1\d s ago\)"):
        run(hub_server, tmp_path, lock_stale_after_s=60)
    assert hub_server.requests() == []
    res = run(hub_server, tmp_path, lock_stale_after_s=5)  # 12 s without heartbeat > 5 s: stale
    assert res.files_fetched == len(hub_files)
    assert not lock_path(tmp_path).exists()


# --- checkpoints, progress ---------------------------------------------------------------------------


def test_checkpoint_at_safe_points_and_after_marker(hub_server, tmp_path):
    calls = []
    run(hub_server, tmp_path, checkpoint=lambda: calls.append(complete_path(tmp_path).exists()),
        checkpoint_every_s=0)
    assert len(calls) >= 3  # manifest, files, marker
    assert calls[0] is False and calls[-1] is True  # first before any marker, last after it

    # A failing run still checkpoints what it finished (a restarted container keeps those shards).
    calls.clear()
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", times=None)
    with pytest.raises(StepError):
        run(hub_server, tmp_path / "b", checkpoint=lambda: calls.append(time.monotonic()), checkpoint_every_s=3600)
    assert len(calls) == 2  # after the manifest, and at the failure


def test_progress_lines(hub_server, tmp_path, capsys):
    hub_server.set_throttle(10e6)
    run(hub_server, tmp_path, progress_every_s=0.1, max_workers=4)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if re.search(r"download: \d+/\d+ files, ", line)]
    assert lines, out
    assert all("GB (" in line and "ETA" in line for line in lines)
    assert "download: complete:" in out and "skipped 0" in out


# --- Xet dispatch (no real Xet here: the function the client would call is replaced) --------------


def test_xet_files_go_through_xet_get(hub_env, hub_files, tmp_path, monkeypatch):
    repo = FakeRepo(REPO_ID)
    repo.xet = True
    repo.add_commit(hub_files)
    calls = []

    def fake_xet_get(*, incomplete_path, xet_file_data, headers, expected_size, displayed_filename, _tqdm_bar):
        calls.append(displayed_filename)
        incomplete_path.write_bytes(hub_files[displayed_filename])
        _tqdm_bar.update_transfer(expected_size)
        _tqdm_bar.update(expected_size)

    monkeypatch.setattr(fetchmod, "is_xet_available", lambda: True)
    monkeypatch.setattr(fetchmod, "xet_get", fake_xet_get)
    with HubServer([repo]) as hub:
        res = run(hub, tmp_path)
        assert hub.requests(kind="cdn") == []
    assert sorted(calls) == sorted(f for f in hub_files if f.endswith(".safetensors"))
    assert_tree(tmp_path, hub_files)
    assert res.bytes_fetched == res.bytes_total


# --- why: the plain client ---------------------------------------------------------------------------


def test_plain_snapshot_download_leaves_index_without_shard(hub_server, tmp_path, hub_env):
    """Documents the problem: one 503 on one shard aborts snapshot_download, yet the index is on disk."""
    from huggingface_hub import snapshot_download

    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", times=None)
    with pytest.raises(Exception):
        snapshot_download(REPO_ID, revision=commit_of(hub_server), local_dir=tmp_path, endpoint=hub_server.endpoint,
                          cache_dir=hub_env / "cache")
    assert (tmp_path / INDEX).exists()  # "index exists" ...
    assert not (tmp_path / SHARD2).exists()  # ... but the model is not complete


def test_bad_content_uses_up_attempts_even_when_bytes_arrive(hub_server, tmp_path):
    """A server that always sends corrupt bytes must not loop forever just because bytes keep coming."""
    hub_server.add_fault(kind="corrupt", path=SHARD1, where="cdn", after_bytes=5, times=None)
    with pytest.raises(StepError, match=r"model-00001-of-00004\.safetensors failed after 3 attempts.*sha256 mismatch"):
        run(hub_server, tmp_path)
    assert len(content_gets(hub_server, SHARD1)) == 3
    assert not complete_path(tmp_path).exists()


def test_allow_patterns_select_and_a_wider_rerun_adds_only_the_rest(hub_server, hub_files, tmp_path):
    res = run(hub_server, tmp_path, allow_patterns=["*.json"])
    jsons = {k: v for k, v in hub_files.items() if k.endswith(".json")}
    assert_tree(tmp_path, jsons)
    assert res.files_total == len(jsons) and complete_path(tmp_path).exists()
    hub_server.clear_log()
    res = run(hub_server, tmp_path)  # same commit, all files: not "already complete"
    assert_tree(tmp_path, hub_files)
    assert {r.file for r in hub_server.file_gets()} == set(hub_files) - set(jsons)
    assert res.files_skipped == len(jsons)


# --- refs: resolved by the first download, recorded, never switched silently (issue 7) ------------


def moved_files(files: dict[str, bytes]) -> dict[str, bytes]:
    """The next commit upstream: one shard and config.json change (same sizes: only hashes tell)."""
    changed = dict(files)
    changed[SHARD2] = bytes(reversed(files[SHARD2]))
    changed["config.json"] = files["config.json"].replace(b"}", b', "v": 2}')
    return changed


def test_resolve_revision_answers_like_model_info(hub_server, hub_files):
    from huggingface_hub import HfApi

    repo = hub_server.repos[REPO_ID]
    c = commit_of(hub_server)
    assert dlmod.resolve_revision(REPO_ID, "main", None, endpoint=hub_server.endpoint) == c
    # the fake hub answers model_info the way the real client reads it (ModelInfo.sha)
    assert HfApi(endpoint=hub_server.endpoint).model_info(REPO_ID, revision="main").sha == c
    assert dlmod.resolve_revision(REPO_ID, c, None, endpoint=hub_server.endpoint) == c
    d = repo.add_commit(moved_files(hub_files))  # `main` moves
    assert d != c and dlmod.resolve_revision(REPO_ID, "main", None, endpoint=hub_server.endpoint) == d
    with pytest.raises(StepError) as ei:
        dlmod.resolve_revision(REPO_ID, "no-such-branch", None, endpoint=hub_server.endpoint)
    assert "revision 'no-such-branch' does not exist" in str(ei.value) and "\n" not in str(ei.value)


def test_ref_is_resolved_recorded_and_a_moved_ref_refuses_until_update(hub_server, hub_files, tmp_path):
    from modal_llm_deploy.base.layout import recorded_revision

    repo = hub_server.repos[REPO_ID]
    c = commit_of(hub_server)
    res = run(hub_server, tmp_path, revision="main")
    assert not res.already_complete and recorded_revision(tmp_path) == c
    mk = CompletionMarker.load(tmp_path)
    assert (mk.revision, mk.ref) == (c, "main") and Manifest.load(tmp_path).revision == c

    # Same ref, not moved: nothing fetched (one model_info to learn where `main` points).
    hub_server.clear_log()
    assert run(hub_server, tmp_path, revision="main").already_complete and hub_server.file_gets() == []

    # `main` moves to D upstream: a plain re-run refuses in one line and changes nothing.
    d = repo.add_commit(moved_files(hub_files))
    hub_server.clear_log()
    with pytest.raises(StepError) as ei:
        run(hub_server, tmp_path, revision="main")
    msg = str(ei.value)
    assert "\n" not in msg and "moved upstream" in msg and d in msg and c in msg and "--update" in msg
    assert f"--set model.revision={c}" in msg
    assert hub_server.file_gets() == [] and recorded_revision(tmp_path) == c
    assert_tree(tmp_path, hub_files)

    # --update: only the differing files are fetched, then swapped in; D is recorded.
    hub_server.clear_log()
    res = run(hub_server, tmp_path, revision="main", update=True)
    assert_tree(tmp_path, moved_files(hub_files))
    assert {r.file for r in hub_server.file_gets()} == {SHARD2, "config.json"}
    assert recorded_revision(tmp_path) == d and CompletionMarker.load(tmp_path).ref == "main"
    assert res.files_fetched == 2 and not (tmp_path / ".modal-llm-deploy" / "partial").exists()


def test_failed_update_leaves_the_old_commit_complete_and_servable(hub_server, hub_files, tmp_path):
    from modal_llm_deploy.base.layout import pending_update, recorded_revision
    from modal_llm_deploy.steps.verify import Fixes, verify_weights

    repo = hub_server.repos[REPO_ID]
    c = commit_of(hub_server)
    run(hub_server, tmp_path, revision="main")
    d = repo.add_commit(moved_files(hub_files))
    # config.json of D arrives, the new shard never does: the update fails.
    hub_server.add_fault(kind="status", status=503, path=SHARD2, where="cdn", times=None)
    with pytest.raises(StepError) as ei:
        run(hub_server, tmp_path, revision="main", update=True)
    assert f"still holds the complete commit {c}" in str(ei.value)
    # Nothing half-old, half-new: C's files, C's marker; verify passes and says an update is pending.
    assert_tree(tmp_path, hub_files)
    assert recorded_revision(tmp_path) == c and pending_update(tmp_path) is None
    rep = verify_weights(tmp_path, revision=c, fixes=Fixes("dl", "cc", "rp"))
    assert rep.ok and [w.kind for w in rep.warnings] == ["weights.update_in_progress"]
    assert d[:12] in rep.warnings[0].message and "stays complete and in use" in rep.warnings[0].message
    # The outage ends: the update resumes (config.json is not fetched again) and completes.
    hub_server.clear_faults()
    hub_server.clear_log()
    run(hub_server, tmp_path, revision="main", update=True)
    assert {r.file for r in hub_server.file_gets()} == {SHARD2}
    assert_tree(tmp_path, moved_files(hub_files))
    assert recorded_revision(tmp_path) == d


def test_an_interrupted_swap_is_never_presented_as_complete(hub_server, hub_files, tmp_path, monkeypatch):
    from modal_llm_deploy.base.layout import pending_update, recorded_revision
    from modal_llm_deploy.steps.verify import Fixes, verify_weights

    repo = hub_server.repos[REPO_ID]
    run(hub_server, tmp_path, revision="main")
    repo.add_commit(moved_files(hub_files))
    real_replace = os.replace
    swapped = []

    def crash_mid_swap(src, dst):  # the container dies after the first file of the swap
        if ".modal-llm-deploy/partial" in str(src) and not str(dst).endswith(".json.tmp"):
            if swapped:
                raise OSError(5, "Input/output error")
            swapped.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_mid_swap)
    with pytest.raises(StepError):
        run(hub_server, tmp_path, revision="main", update=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert recorded_revision(tmp_path) is None and "was interrupted" in (pending_update(tmp_path) or "")
    rep = verify_weights(tmp_path, revision=None, fixes=Fixes("dl", "cc", "rp"))
    assert not rep.ok and "update from commit" in rep.problems[0].message
    run(hub_server, tmp_path, revision="main", update=True)  # the fix finishes it
    assert_tree(tmp_path, moved_files(hub_files))


# --- repairs that repair -----------------------------------------------------------------------------


def flip_byte(path: Path, offset: int = 50_000) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


def test_repair_rehashes_and_refetches_only_what_differs(hub_server, hub_files, tmp_path):
    run(hub_server, tmp_path, revision="main")
    flip_byte(tmp_path / SHARD1)
    hub_server.clear_log()
    # The plain download trusts sizes (fast, by design) ...
    assert run(hub_server, tmp_path, revision="main").already_complete
    # ... the repair hashes every file and fetches the one that differs.
    res = run(hub_server, tmp_path, revision="main", repair=True)
    assert {r.file for r in hub_server.file_gets()} == {SHARD1} and res.files_fetched == 1
    assert_tree(tmp_path, hub_files)
    assert complete_path(tmp_path).exists()
    # A repair of an intact tree fetches nothing.
    hub_server.clear_log()
    assert run(hub_server, tmp_path, revision="main", repair=True).already_complete and hub_server.file_gets() == []


def test_repair_after_the_ref_moved_repairs_the_recorded_commit(hub_server, hub_files, tmp_path):
    from modal_llm_deploy.base.layout import recorded_revision

    repo = hub_server.repos[REPO_ID]
    c = commit_of(hub_server)
    run(hub_server, tmp_path, revision="main")
    repo.add_commit(moved_files(hub_files))
    flip_byte(tmp_path / SHARD2)
    run(hub_server, tmp_path, revision="main", repair=True)
    assert_tree(tmp_path, hub_files)
    assert recorded_revision(tmp_path) == c


# --- retry defaults that make sense ---------------------------------------------------------------------


def test_default_attempts_survive_a_burst_of_three_503(hub_server, hub_files, tmp_path):
    from modal_llm_deploy.profile.model import DownloadSpec

    spec, policy = DownloadSpec(), RetryPolicy()
    assert (policy.attempts, tuple(policy.delays_s)) == (spec.attempts, spec.backoff_s)  # one set of defaults
    assert len(spec.backoff_s) == spec.attempts - 1  # each wait is used
    hub_server.add_fault(kind="status", status=503, path=SHARD1, where="cdn", times=3)
    # the default number of attempts, with the waits shortened for the test
    run(hub_server, tmp_path, retry=RetryPolicy(delays_s=(0.01,)))
    assert_tree(tmp_path, hub_files)
    assert len(hub_server.requests(kind="cdn", file=SHARD1, method="GET")) == 4


def test_timeout_before_the_first_byte_retries_quickly(hub_server, hub_files, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_DOWNLOAD_TIMEOUT", 0.5)
    hub_server.add_fault(kind="stall", seconds=3, path=SHARD1, where="cdn", after_bytes=0)
    t = time.monotonic()
    # a 30 s backoff would make this take > 30 s: a read timeout with no byte retries after ~1 s
    run(hub_server, tmp_path, retry=RetryPolicy(attempts=3, delays_s=(30,)))
    assert time.monotonic() - t < 10
    assert_tree(tmp_path, hub_files)


def test_progress_line_says_when_a_file_is_waiting(hub_server, tmp_path, capsys):
    hub_server.add_fault(kind="status", status=503, path=SHARD1, where="cdn", times=1)
    run(hub_server, tmp_path, retry=RetryPolicy(attempts=3, delays_s=(1.5,)), progress_every_s=0.2)
    out = capsys.readouterr().out
    assert f"{SHARD1}: HTTP 503; waiting 1.5 s before attempt 2 of 3" in out
    assert re.search(rf"ETA [^;]+; {re.escape(SHARD1)}: waiting [01] s before attempt 2 of 3", out), out


# --- durability off the critical path -----------------------------------------------------------------


def test_every_file_is_synced_before_the_marker(hub_server, hub_files, tmp_path, monkeypatch):
    synced: list[str] = []
    marker_seen_at: list[int] = []
    real_fsync_file = fetchmod._fsync_file
    real_save = CompletionMarker.save

    def record(path):
        real_fsync_file(path)
        synced.append(Path(path).name)

    def save(self, wd):
        marker_seen_at.append(len(synced))
        real_save(self, wd)

    monkeypatch.setattr(fetchmod, "_fsync_file", record)
    monkeypatch.setattr(CompletionMarker, "save", save)
    run(hub_server, tmp_path)
    assert marker_seen_at == [len(synced)] and set(synced) == set(hub_files)


def test_a_ref_moved_back_to_the_recorded_commit_is_accepted_again(hub_server, hub_files, tmp_path):
    repo = hub_server.repos[REPO_ID]
    c = commit_of(hub_server)
    run(hub_server, tmp_path, revision="main")
    repo.add_commit(moved_files(hub_files))
    with pytest.raises(StepError):
        run(hub_server, tmp_path, revision="main")
    repo.move_ref("main", c)  # upstream reverts the push
    assert run(hub_server, tmp_path, revision="main").already_complete
