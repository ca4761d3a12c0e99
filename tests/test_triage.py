"""Log triage: every signature string exists in the pinned sources; each excerpt gets its fix.

The sources are the real installed packages: SGLang 0.5.23 and torch in the parser venv (the
same one test_sglang_args.py uses), modal and huggingface_hub in this venv, and this library.
Strings of torch's compiled CUDA library (the NCCL watchdog's messages) are proven in the
pinned torch wheel by tests/gen_torch_strings.py, whose record (tests/torch_strings.json) is
checked here and regenerated when the wheel is on this machine. A release that rewords a
message makes ``test_signature_strings_exist_in_pinned_sources`` fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.check import check_argvs
from modal_llm_deploy.engine.phases import BATCH_MARKERS, MARKERS
from modal_llm_deploy.operate.triage import (
    Triage,
    catalogue,
    fix_changes,
    fix_values,
    split_lines,
    triage_lines,
)
from modal_llm_deploy.profile.overrides import SET_ENV

import gen_torch_strings
from conftest import BUNDLED, REPO
from modalbox.box import box  # noqa: F401  (fixture)

CLI = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "modal-llm-deploy")
SGLANG_VERSION = "0.5.23"


@pytest.fixture(scope="module")
def package_roots(sglang_parser) -> dict[str, Path]:
    py = sglang_parser(SGLANG_VERSION)
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    roots = {"sglang": Path(site) / "sglang", "torch": Path(site) / "torch"}
    for pkg in ("modal", "huggingface_hub", "modal_llm_deploy"):
        roots[pkg] = Path(importlib.util.find_spec(pkg).submodule_search_locations[0])
    # The parser venv must really be the pinned release, or the check proves nothing.
    meta = list(Path(site).glob(f"sglang-{SGLANG_VERSION}.dist-info"))
    assert meta, f"parser venv at {site} does not hold sglang {SGLANG_VERSION}"
    return roots


TORCH_RECORD = json.loads(gen_torch_strings.RECORD.read_text())


def _source(roots: dict[str, Path], package: str, file: str) -> str:
    if package == "torch" and file == gen_torch_strings.LIBRARY:
        # compiled: proven in the pinned wheel's library, see the torch_strings tests below
        return "\n".join(s["string"] for s in TORCH_RECORD["strings"])
    path = roots[package] / file
    assert path.is_file(), f"{package}/{file} does not exist in the pinned package"
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("sig", catalogue(), ids=lambda s: s.id)
def test_signature_strings_exist_in_pinned_sources(package_roots, sig):
    for m in sig.matches:
        text = _source(package_roots, m.package, m.file)
        for s in m.all:
            assert s in text, f"{sig.id}: {s!r} no longer occurs in {m.package}/{m.file}"


@pytest.mark.parametrize("marker", MARKERS + BATCH_MARKERS, ids=lambda m: f"{m.phase}:{m.needle[:16]}")
def test_phase_markers_exist_in_pinned_sources(package_roots, marker):
    assert marker.needle in _source(package_roots, marker.package, marker.file)


# --- strings of torch's compiled CUDA library ----------------------------------------------------


def _site(package_roots) -> Path:
    return package_roots["sglang"].parent


def test_torch_strings_record_is_for_the_torch_sglang_pins(package_roots):
    """The record names the wheel of the torch SGLang 0.5.23 requires (its METADATA), with the
    registry's size and sha256, the library inside it, and covers every compiled string."""
    r = TORCH_RECORD
    version = gen_torch_strings.pinned_torch(_site(package_roots))
    assert r["sglang"] == SGLANG_VERSION and r["torch"] == version
    assert r["wheel"]["filename"] == gen_torch_strings.wheel_name(version)
    assert re.fullmatch(r"[0-9a-f]{64}", r["wheel"]["sha256"]) and r["wheel"]["size"] > 100_000_000
    assert r["wheel"]["url"].endswith("/" + r["wheel"]["filename"])
    assert r["library"]["member"] == "torch/" + gen_torch_strings.LIBRARY
    wanted = gen_torch_strings.catalogue_strings()
    assert "Watchdog caught collective operation timeout: " in wanted
    assert [s["string"] for s in r["strings"]] == wanted, "catalogue changed: rerun tests/gen_torch_strings.py"
    assert all(0 <= s["offset"] < r["library"]["size"] for s in r["strings"])


def test_torch_strings_regenerate_from_the_wheel(package_roots):
    """Extract again from the pinned wheel and compare: the record must be what the wheel says,
    offsets included. The wheel is taken from $MLD_TORCH_WHEEL or pip's cache, else downloaded
    once from the package registry into .cache/torch-wheel/ (550 MB, checked against the
    recorded sha256) and reused."""
    wheel = gen_torch_strings.locate_wheel(TORCH_RECORD) or gen_torch_strings.fetch_wheel(
        TORCH_RECORD, REPO / ".cache" / "torch-wheel")
    new = gen_torch_strings.generate(wheel, _site(package_roots))
    new["wheel"]["url"] = TORCH_RECORD["wheel"]["url"]  # only an online run reads it
    assert new == TORCH_RECORD


def test_torch_strings_extraction_refuses_a_string_the_library_lacks(tmp_path):
    """The proof can fail: a reworded message is reported, not recorded."""
    import zipfile

    whl = tmp_path / "fake.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr("torch/" + gen_torch_strings.LIBRARY, b"\0Watchdog caught collective operation timeout: \0")
    assert gen_torch_strings.extract(whl, ["Watchdog caught collective operation timeout: "])["strings"][0]["offset"] == 1
    with pytest.raises(SystemExit, match="does not contain"):
        gen_torch_strings.extract(whl, ["Watchdog caught collective operation timed out: "])


# --- triage ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glm() -> "object":
    return load_profile("glm51_fp8")


@pytest.mark.parametrize("sig", catalogue(), ids=lambda s: s.id)
def test_each_excerpt_is_triaged_to_its_own_fix(glm, sig):
    findings = triage_lines(sig.excerpt, glm)
    assert [f.signature.id for f in findings] == [sig.id]
    f = findings[0]
    text = " ".join([f.fix, *f.commands])
    # every placeholder filled from the profile (a shell's "${VAR:?}" in a secret command is no placeholder)
    assert not re.search(r"(?<!\$)\{[a-z_]+\}", text) and "<PROFILE>" not in text
    assert len(f.commands) == len(sig.changes) * (2 if sig.then == "deploy" else 1)
    # each excerpt really contains one of the signature's source strings
    assert any(all(s in line for s in m.all) for m in sig.matches for line in sig.excerpt)


def test_catalogue_covers_the_issue():
    ids = {s.id for s in catalogue()}
    assert {"oom_load", "oom_graph_capture", "kv_pool_no_room", "watchdog_timeout", "nccl_error", "deepgemm_jit",
            "startup_timeout", "weights_incomplete", "kernel_key_mismatch", "hf_unauthorized", "hf_not_found",
            "hf_revision", "hf_gated", "secret_missing", "sglang_crash", "preemption", "oom_before_load",
            "nccl_watchdog_timeout", "nccl_watchdog_hang"} <= ids


OOM = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB."


def test_same_oom_line_means_different_things_by_phase():
    by_phase = {
        "[sglang] Load weight begin. avail mem=139.20 GB": "oom_load",
        "[sglang] Capture target decode CUDA graph begin. backend=full": "oom_graph_capture",
        "[sglang] The server is fired up and ready to roll!": "oom_serving",
    }
    for marker, want in by_phase.items():
        assert [f.signature.id for f in triage_lines([marker, OOM])] == [want]


def test_phase_label_and_title_agree_with_the_logs_order(glm):
    """No phase line above the OOM: "before weights load" in title and label alike. An OOM after
    decoding began (a batch line after the load began, the ready line cut off) is "while
    serving" and gets the serving fix (lower the fraction and the batch), not the load one."""
    (f,) = triage_lines(["some unrelated line", OOM], glm)
    assert f.signature.id == "oom_before_load" and f.title == "CUDA OOM before weights load" == "CUDA OOM " + f.when
    log = ["[sglang] Load weight begin. avail mem=178.20 GB",
           "[sglang] Decode batch, #running-req: 31, #token: 51200, token usage: 0.62, gen throughput (token/s): 3100.00",
           OOM]
    (f,) = triage_lines(log, glm)
    assert f.signature.id == "oom_serving" and f.title == "CUDA OOM while serving" and f.when == "while serving"
    assert "engine.flags.mem-fraction-static=0.85 engine.flags.max-running-requests=36" in f.commands[0]
    # every phase: the title names the phase the label names, whatever came before
    markers = ["Load weight begin.", "Load weight end.", "Capture x CUDA graph begin.", "Capture x CUDA graph end.",
               "The server is fired up and ready to roll!", "SGLang warmup request done in 1.0 s", "Prefill batch, #new-seq: 1"]
    for marker in markers:
        (f,) = triage_lines(["[sglang] Load weight begin.", marker, OOM], glm)
        assert f.title == "CUDA OOM " + f.when, (marker, f.title, f.when)


def test_nccl_watchdog_timeout_is_recognised_with_its_kin(glm):
    sig = next(s for s in catalogue() if s.id == "nccl_watchdog_timeout")
    (f,) = triage_lines(sig.excerpt, glm)
    assert f.signature.id == "nccl_watchdog_timeout" and f.count == len(sig.excerpt) - 1  # the `terminate` line is no match
    assert "engine.flags.dist-timeout=1800" in f.commands[0] and f.commands[0].startswith(SET_ENV + "=")


def test_a_healthy_boot_has_no_findings():
    boot = ["[sglang] Load weight begin. avail mem=178.2 GB", "[sglang] Load weight end. elapsed=330.1 s",
            "[sglang] Capture target verify CUDA graph begin.", "[sglang] Capture target verify CUDA graph end.",
            "[sglang] The server is fired up and ready to roll!", "SGLang warmup request done in 1.20 s"]
    assert triage_lines(boot) == []


def test_repeats_are_counted_and_chunks_resplit():
    t = Triage()
    chunks = ["ERROR: NCCL error: unhandled", " cuda error\nfoo\nRuntimeError: NCCL error: x\n"]
    for line in split_lines(chunks):
        t.feed(line)
    (f,) = t.findings.values()
    assert f.signature.id == "nccl_error" and f.count == 2 and f.line_nos == [1, 3]


@pytest.mark.parametrize("name", BUNDLED)
def test_every_change_in_a_fix_is_a_valid_profile_change_and_sglang_accepts_it(sglang_parser, name):
    """A fix that changes ``engine.flags.X`` must be a profile the library accepts and an argv
    the pinned SGLang parser accepts; otherwise triage would hand out broken advice."""
    profile = load_profile(name)
    values = fix_values(profile)
    argvs = {}
    for sig in catalogue():
        for i, change in enumerate(fix_changes(sig, values)):
            if any(isinstance(v, str) and v.startswith("<") for v in change.values()):
                continue  # a value the user must choose (a commit sha, a repo id)
            argvs[f"{sig.id}:{i}"] = build_plan(load_profile(name, change)).sglang_argv
    assert len(argvs) >= 8
    r = check_argvs(sglang_parser(SGLANG_VERSION), argvs)
    bad = {k: r[k]["problems"] for k in argvs if not r[k]["ok"]}
    assert not bad


def test_cli_triage_file_and_stdin(tmp_path):
    sig = next(s for s in catalogue() if s.id == "deepgemm_jit")
    log = tmp_path / "server.log"
    log.write_text("\n".join(("boot", *sig.excerpt, "more")) + "\n")
    r = subprocess.run([CLI, "triage", str(log), "--profile", "glm51_fp8", "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1, r.stderr  # a known failure was found
    (f,) = json.loads(r.stdout)
    assert f["id"] == "deepgemm_jit" and f["line"] == 2
    assert f["fix"].startswith("modal run examples/glm51_deploy.py::compile_deepgemm")
    r = subprocess.run([CLI, "triage", "-", "--json"], input="\n".join(sig.excerpt), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 1, r.stderr
    (f,) = json.loads(r.stdout)  # no profile: the fix names the steps without guessing a script
    assert f["id"] == "deepgemm_jit" and f["fix"].startswith("modal run <deploy script>::compile_deepgemm")
    r = subprocess.run([CLI, "triage", "-"], input="all fine\n", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "no known failure" in r.stdout


def test_cli_triage_missing_file_is_one_line_exit_2(tmp_path):
    r = subprocess.run([CLI, "triage", str(tmp_path / "nope.log")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nope.log" in r.stderr


def test_cli_logs_without_token_fails_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)
    r = subprocess.run([CLI, "logs", "glm51_fp8", "--triage"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "glm-5.1-production" in r.stderr and "Token missing" in r.stderr


# --- the fix, pasted as printed, deploys the fixed values ------------------------------------------

OOM_SERVING_LOG = ["[sglang] Load weight begin. avail mem=178.20 GB",
                   "[sglang] The server is fired up and ready to roll!",
                   "[sglang] torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.00 GiB."]


def _cli_triage(tmp_path, *args: str) -> subprocess.CompletedProcess:
    log = tmp_path / "server.log"
    log.write_text("\n".join(OOM_SERVING_LOG) + "\n")
    return subprocess.run([CLI, "triage", str(log), "-p", "glm51_fp8", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "100"})


def test_cli_triage_oom_prints_the_deploy_with_the_fix_and_exits_1(tmp_path):
    r = _cli_triage(tmp_path)
    assert r.returncode == 1, r.stderr
    env_cmd = ("MODAL_LLM_DEPLOY_SET='engine.flags.mem-fraction-static=0.85 engine.flags.max-running-requests=36' "
               "modal deploy examples/glm51_deploy.py")
    cli_cmd = ("modal-llm-deploy deploy glm51_fp8 --set engine.flags.mem-fraction-static=0.85 "
               "--set engine.flags.max-running-requests=36")
    lines = [line.strip() for line in r.stdout.splitlines()]
    assert env_cmd in lines and cli_cmd in lines  # each on a line of its own, unwrapped at 100 columns
    assert "CUDA OOM while serving (line 3, while serving)" in r.stdout
    assert "load_profile" not in r.stdout  # the examples call build_app("glm51_fp8"), nothing to edit
    # overrides already in effect stay in the printed commands, beside the fix
    r = _cli_triage(tmp_path, "--set", "app_name=glm-fix", "--json")
    (f,) = json.loads(r.stdout)
    assert f["commands"][0].startswith("MODAL_LLM_DEPLOY_SET='app_name=glm-fix engine.flags.mem-fraction-static=0.85 ")


def test_cli_triage_exit_status_says_whether_a_failure_was_found(tmp_path):
    r = subprocess.run([CLI, "triage", "-"], input="all fine\n", capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "no known failure" in r.stdout
    r = subprocess.run([CLI, "triage", "-"], input=OOM_SERVING_LOG[-1], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "CUDA OOM before weights load" in r.stdout


def test_printed_fix_deploy_sends_the_fixed_plan_to_modal(box, tmp_path):
    """Run the printed `MODAL_LLM_DEPLOY_SET=… modal deploy …` line as a shell would (the
    assignment is the command's environment) with the real modal client against the local
    control plane: what Modal receives is the plan with the fix, not the unfixed one."""
    from modalbox.compare import compare_plan, sent_app

    r = _cli_triage(tmp_path, "--json")
    (f,) = json.loads(r.stdout)
    words = shlex.split(f["commands"][0])
    assign = [w for w in words if re.match(r"^[A-Z_]+=", w)]
    argv = words[len(assign):]
    env = dict(w.split("=", 1) for w in assign)
    assert list(env) == [SET_ENV] and argv[:2] == ["modal", "deploy"]
    res = box.modal(*argv[1:], env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    sent = sent_app(box.cp, res.calls)

    def plan_json(*sets: str) -> dict:
        args = [CLI, "plan", "glm51_fp8", "--json"] + [x for s in sets for x in ("--set", s)]
        return json.loads(subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout)

    fixed = plan_json("engine.flags.mem-fraction-static=0.85", "engine.flags.max-running-requests=36")
    assert compare_plan(fixed, sent) == []
    assert compare_plan(plan_json(), sent) != []  # the unfixed plan differs: the check can fail


def test_logs_triage_annotates_and_exits_1_when_a_failure_streamed_by(box):
    """`logs --triage` on the app Modal streams (AppGetLogs, the real client against the local
    control plane): the finding is printed with its fix commands and the exit status is 1."""
    import asyncio

    res = box.modal("deploy", "examples/glm51_deploy.py")
    assert res.returncode == 0, res.stdout + res.stderr
    app_id = box.cp.apps["glm-5.1-production"]
    box.cp.app_logs.setdefault(app_id, []).append((1, "[sglang] Load weight begin. avail mem=178.20 GB\n", asyncio.Event()))
    r = box.mld("logs", "glm51_fp8", "--triage", "--timeout", "2", timeout=120)
    assert r.returncode == 0 and "Load weight begin." in r.stdout, r.stdout + r.stderr  # nothing known: 0
    box.cp.app_logs[app_id].clear()
    for line in OOM_SERVING_LOG:
        box.cp.app_logs.setdefault(app_id, []).append((1, line + "\n", asyncio.Event()))
    r = box.mld("logs", "glm51_fp8", "--triage", "--timeout", "3", timeout=120)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "CUDA OOM while serving" in r.stdout
    assert ("MODAL_LLM_DEPLOY_SET='engine.flags.mem-fraction-static=0.85 engine.flags.max-running-requests=36' "
            "modal deploy examples/glm51_deploy.py") in r.stdout
