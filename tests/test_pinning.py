"""Revisions pinned by the first download, end to end through the real CLI (issue 7).

The fake hub (tests/hubserver.py, real huggingface_hub client) serves a repo whose ``main`` is
commit C. The bundled GLM profile follows ``main``: the download resolves it to C and records
C; compile and verify then run under a kernel key containing C. When the hub moves ``main`` to
D, a plain download refuses in one line; ``--update`` switches to D. A flipped byte in a shard is
found by ``verify --deep``, whose printed fix, run verbatim, repairs it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import BIN_DIR, STANDIN_DIR  # noqa: E402

from modal_llm_deploy import build_plan, load_profile  # noqa: E402
from modal_llm_deploy.plan.pinning import resolve_pinned_plan, revision_display  # noqa: E402
from modal_llm_deploy.base.errors import StepError  # noqa: E402
from modal_llm_deploy.base.layout import recorded_revision  # noqa: E402

pytestmark = pytest.mark.timeout(240)

CLI = str(Path(sys.executable).with_name("modal-llm-deploy"))
SHARD2 = "model-00002-of-00004.safetensors"


@pytest.fixture
def env(tmp_path, hub_server, hub_repo):
    sets = [f"model.repo_id={hub_repo.repo_id}", "model.allow_patterns=none", "download.backoff_s=[0.01]"]
    e = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MODAL_"))}
    e.update(
        HF_ENDPOINT=hub_server.endpoint, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_HOME=str(tmp_path / "hf_home"), PYTHONPATH=str(STANDIN_DIR),
        # the CLI is on the user's PATH (printed fixes start with `modal-llm-deploy`)
        PATH=f"{BIN_DIR}{os.pathsep}{Path(CLI).parent}{os.pathsep}{e.get('PATH', '')}",
        STANDIN_GPU="NVIDIA B200,10.0", STANDIN_GPU_COUNT="8", STANDIN_COMPILE_STEP_S="0.05",
    )
    w, c = tmp_path / "weights", tmp_path / "cache"
    args = [a for s in sets for a in ("--set", s)] + ["--weights-dir", str(w), "--cache-dir", str(c)]
    return dict(env=e, args=args, sets=sets, weights=w, cache=c, model=w / "GLM-tiny-FP8")


def cli(env, cmd: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, cmd, "glm51_fp8", *env["args"], *extra], env=env["env"],
                          capture_output=True, text=True, timeout=120)


def keys(cache: Path) -> set[str]:
    """Kernel key directories, without the argv-hash suffix (the hash is tested in test_plan);
    dot-directories such as the local work dir ``.work`` are not keys."""
    if not cache.exists():
        return set()
    return {re.sub(r"-[0-9a-f]{10}$", "", p.name) for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")}


def test_plan_shows_the_ref_until_a_download_records_it(repo):
    plan = build_plan(load_profile("glm51_fp8"))
    assert not plan.weights.pinned and plan.weights.revision == "main"
    assert revision_display(plan) == "main → resolved at first download"
    r = subprocess.run([CLI, "plan", "glm51_fp8"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "zai-org/GLM-5.1-FP8 @ main → resolved at first download" in r.stdout
    sha = "0123456789abcdef0123456789abcdef01234567"
    pinned = build_plan(load_profile("glm51_fp8", {"model.revision": sha}))
    assert pinned.weights.pinned and revision_display(pinned) == sha and sha[:12] in pinned.kernel_cache.key


def test_main_is_pinned_by_the_first_download_then_moves_only_on_update(env, hub_server, hub_repo, hub_files):
    c = hub_repo.refs["main"]
    # 1. download `main` → commit C, recorded in the volume.
    r = cli(env, "download")
    assert r.returncode == 0, r.stderr + r.stdout
    assert recorded_revision(env["model"]) == c
    assert f"= commit {c} (recorded as the pin)" in r.stdout

    # 2. compile and verify run under a key containing C.
    r = cli(env, "compile")
    assert r.returncode == 0, r.stderr + r.stdout
    assert keys(env["cache"]) == {f"sm100-sglang0.5.23-glm-tiny-fp8-rev{c[:12]}-tp8-ep1"}
    r = cli(env, "verify")
    assert r.returncode == 0, r.stderr + r.stdout
    assert f"rev{c[:12]}" in r.stdout and f"@ {c[:12]}" in r.stdout

    # 3. the hub moves `main` to D: a plain download refuses in one line and changes nothing.
    changed = dict(hub_files)
    changed[SHARD2] = bytes(reversed(hub_files[SHARD2]))
    d = hub_repo.add_commit(changed)
    r = cli(env, "download")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    err = r.stderr.strip()
    assert err.count("\n") == 0 and "moved upstream" in err and "--update" in err and d in err
    assert recorded_revision(env["model"]) == c
    assert cli(env, "verify").returncode == 0  # C stays complete and compiled

    # 4. --update: D is downloaded and recorded; its kernels are a new key (verify says compile).
    r = cli(env, "download", "--update")
    assert r.returncode == 0, r.stderr + r.stdout
    assert recorded_revision(env["model"]) == d and (env["model"] / SHARD2).read_bytes() == changed[SHARD2]
    r = cli(env, "verify")
    assert r.returncode == 1 and f"rev{d[:12]}" in r.stdout and "modal-llm-deploy compile glm51_fp8" in r.stdout
    assert cli(env, "compile").returncode == 0
    assert f"sm100-sglang0.5.23-glm-tiny-fp8-rev{d[:12]}-tp8-ep1" in keys(env["cache"])

    # 5. a flipped byte: verify --deep names the file and prints a fix; run verbatim, it repairs.
    p = env["model"] / SHARD2
    data = bytearray(p.read_bytes())
    data[12345] ^= 0xFF
    p.write_bytes(bytes(data))
    assert cli(env, "download").returncode == 0  # sizes only: "already complete" (why a repair exists)
    r = cli(env, "verify", "--deep")
    assert r.returncode == 1
    line = next(x for x in r.stdout.splitlines() if SHARD2 in x and "corrupted" in x)
    fix = re.search(r"→ run: (.+)$", line).group(1)
    assert "--repair" in fix
    hub_server.clear_log()
    r = subprocess.run(["bash", "-c", fix], env=env["env"], capture_output=True, text=True, timeout=120)  # verbatim
    assert r.returncode == 0, r.stderr + r.stdout
    assert {x.file for x in hub_server.file_gets()} == {SHARD2}
    r = cli(env, "verify", "--deep")
    assert r.returncode == 0, r.stderr + r.stdout


def test_steps_refuse_without_a_recorded_commit_and_on_a_pin_mismatch(tmp_path, hub_repo):
    plan = build_plan(load_profile("glm51_fp8", {"storage.weights_mount": str(tmp_path / "w")}))
    wd = Path(plan.weights.dir)
    # verify may go on (it reports the missing weights itself); compile/serve may not.
    assert resolve_pinned_plan(plan, wd) is plan
    with pytest.raises(StepError) as ei:
        resolve_pinned_plan(plan, wd, fix="modal run deploy.py::download_model", required=True)
    msg = str(ei.value)
    assert "no complete download" in msg and "'main'" in msg and msg.endswith("→ run: modal run deploy.py::download_model")

    # a profile pinned to one sha, a volume holding another: one line naming both and the fixes
    from modal_llm_deploy.base.layout import CompletionMarker, Manifest, ManifestEntry

    held, pinned_sha = "a" * 40, "b" * 40
    Manifest("zai-org/GLM-5.1-FP8", held, (ManifestEntry("config.json", 2),)).save(wd)
    CompletionMarker("zai-org/GLM-5.1-FP8", held, 1, 2, 0.0, ref="main").save(wd)
    assert resolve_pinned_plan(plan, wd).kernel_cache.key.rsplit("-", 1)[0].endswith(f"rev{held[:12]}-tp8-ep1")
    pinned = build_plan(load_profile("glm51_fp8", {"storage.weights_mount": str(tmp_path / "w"),
                                                   "model.revision": pinned_sha}))
    with pytest.raises(StepError) as ei:
        resolve_pinned_plan(pinned, wd, fix="dl", required=True)
    assert held in str(ei.value) and pinned_sha in str(ei.value) and f"--set model.revision={held}" in str(ei.value)


def test_container_glue_pins_compile_and_verify_to_the_recorded_commit(tmp_path, monkeypatch, hub_server, hub_repo,
                                                                         hub_files, capsys):
    """runtime.download_model/compile_deepgemm/verify_setup as Modal runs them (only the Volume
    handle is a recorder), for a profile that follows `main`."""
    from test_runtime_glue import RecordingVolume

    from modal_llm_deploy.modal_adapter import runtime
    from modal_llm_deploy.plan.models import PLAN_ENV

    plan = build_plan(load_profile("glm51_fp8", {
        "model.repo_id": hub_repo.repo_id, "model.allow_patterns": None,
        "storage.weights_mount": str(tmp_path / "models"), "storage.cache_mount": str(tmp_path / "kernels"),
        "engine.python": sys.executable, "download.backoff_s": [0.01],
    }))
    assert not plan.weights.pinned and "{revision}" in plan.kernel_cache.key
    volumes: dict[str, RecordingVolume] = {}
    monkeypatch.setattr(runtime, "_volume", lambda name: volumes.setdefault(name, RecordingVolume(name)))
    for k, v in {PLAN_ENV: plan.model_dump_json(), "HF_ENDPOINT": hub_server.endpoint, "PYTHONPATH": str(STANDIN_DIR),
                 "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}", "STANDIN_GPU": "NVIDIA B200,10.0",
                 "STANDIN_GPU_COUNT": "8", "STANDIN_COMPILE_STEP_S": "0.05"}.items():
        monkeypatch.setenv(k, v)
    c = hub_repo.refs["main"]

    # compile before any download: one line, the download command to run
    with pytest.raises(SystemExit):
        runtime.compile_deepgemm()
    assert "no complete download" in capsys.readouterr().err

    runtime.download_model()
    runtime.compile_deepgemm()
    assert keys(tmp_path / "kernels") == {f"sm100-sglang0.5.23-glm-tiny-fp8-rev{c[:12]}-tp8-ep1"}
    runtime.verify_setup(deep=True)
    assert f"rev{c[:12]}" in capsys.readouterr().out

    d = hub_repo.add_commit({**hub_files, "config.json": b'{"architectures": ["FakeForCausalLM"], "v": 2}'})
    with pytest.raises(SystemExit):
        runtime.download_model()
    assert "moved upstream" in capsys.readouterr().err
    runtime.download_model(update=True)
    assert recorded_revision(Path(plan.weights.dir)) == d


def test_modal_fixes_take_update_and_repair(tmp_path):
    """The Modal-side fixes (`… ::download_model --repair`, `--update`) are real options of the
    registered function: Modal's own CLI parses them from runtime.download_model's signature and
    gets as far as "Token missing" (an unknown option stops earlier, with "No such option")."""
    from modal_llm_deploy.modal_adapter.runtime import fixes_for

    plan = build_plan(load_profile("glm51_fp8"))
    repair = fixes_for(plan).repair_command
    assert repair == "modal run examples/glm51_deploy.py::download_model --repair"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)  # no ~/.modal.toml
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    root = Path(__file__).resolve().parents[1]
    for cmd in (repair, f"{plan.commands['download']} --update", f"{plan.commands['download']} --bogus"):
        r = subprocess.run(["bash", "-c", cmd], env=env, cwd=root, capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        if cmd.endswith("--bogus"):
            assert "No such option" in out and "Token missing" not in out, out
        else:
            assert "Token missing" in out, out
