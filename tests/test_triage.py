"""Log triage: every signature string exists in the pinned sources; each excerpt gets its fix.

The sources are the real installed packages: SGLang 0.5.23 and torch in the parser venv (the
same one test_sglang_args.py uses), modal and huggingface_hub in this venv, and this library.
A release that rewords a message makes ``test_signature_strings_exist_in_pinned_sources`` fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.check import check_argvs
from modal_llm_deploy.engine.phases import MARKERS
from modal_llm_deploy.profile.overrides import parse_set_options
from modal_llm_deploy.operate.triage import (
    Triage,
    catalogue,
    fix_values,
    render_fix,
    set_options,
    split_lines,
    triage_lines,
)

from conftest import BUNDLED, REPO

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


def _source(roots: dict[str, Path], package: str, file: str) -> str:
    path = roots[package] / file
    assert path.is_file(), f"{package}/{file} does not exist in the pinned package"
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("sig", catalogue(), ids=lambda s: s.id)
def test_signature_strings_exist_in_pinned_sources(package_roots, sig):
    for m in sig.matches:
        text = _source(package_roots, m.package, m.file)
        for s in m.all:
            assert s in text, f"{sig.id}: {s!r} no longer occurs in {m.package}/{m.file}"


@pytest.mark.parametrize("marker", MARKERS, ids=lambda m: m.phase)
def test_phase_markers_exist_in_pinned_sources(package_roots, marker):
    assert marker.needle in _source(package_roots, marker.package, marker.file)


@pytest.mark.parametrize("sig", catalogue(), ids=lambda s: s.id)
def test_each_excerpt_is_triaged_to_its_own_fix(sig):
    plan = build_plan(load_profile("glm51_fp8"))
    findings = triage_lines(sig.excerpt, plan)
    assert [f.signature.id for f in findings] == [sig.id]
    f = findings[0]
    assert "{" not in f.fix and "<PROFILE>" not in f.fix  # every placeholder filled from the plan
    # each excerpt really contains one of the signature's source strings
    assert any(all(s in line for s in m.all) for m in sig.matches for line in sig.excerpt)


def test_catalogue_covers_the_issue():
    ids = {s.id for s in catalogue()}
    assert {"oom_load", "oom_graph_capture", "kv_pool_no_room", "watchdog_timeout", "nccl_error", "deepgemm_jit",
            "startup_timeout", "weights_incomplete", "kernel_key_mismatch", "hf_unauthorized", "hf_not_found",
            "hf_revision", "hf_gated", "secret_missing", "sglang_crash", "preemption"} <= ids


def test_same_oom_line_means_different_things_by_phase():
    oom = "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB."
    by_phase = {
        "[sglang] Load weight begin. avail mem=139.20 GB": "oom_load",
        "[sglang] Capture target decode CUDA graph begin. backend=full": "oom_graph_capture",
        "[sglang] The server is fired up and ready to roll!": "oom_serving",
    }
    for marker, want in by_phase.items():
        assert [f.signature.id for f in triage_lines([marker, oom])] == [want]


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


@pytest.fixture(scope="module")
def all_fixes() -> dict[str, list[str]]:
    out = {}
    for name in BUNDLED:
        plan = build_plan(load_profile(name))
        values = fix_values(plan)
        out[name] = [render_fix(s, values) for s in catalogue()]
    return out


@pytest.mark.parametrize("name", BUNDLED)
def test_every_set_in_a_fix_is_a_valid_profile_change_and_sglang_accepts_it(sglang_parser, all_fixes, name):
    """A fix that says ``--set engine.flags.X=V`` must be a profile the library accepts and an
    argv the pinned SGLang parser accepts; otherwise triage would hand out broken advice."""
    argvs, seen = {}, 0
    for i, fix in enumerate(all_fixes[name]):
        for key, value in set_options(fix):
            if "<" in value:
                continue  # a value the user must choose (a commit sha, a repo id)
            seen += 1
            plan = build_plan(load_profile(name, parse_set_options([f"{key}={value}"])))
            argvs[f"{i}:{key}"] = plan.sglang_argv
    assert seen >= 6
    r = check_argvs(sglang_parser(SGLANG_VERSION), argvs)
    bad = {k: r[k]["problems"] for k in argvs if not r[k]["ok"]}
    assert not bad


def test_cli_triage_file_and_stdin(tmp_path):
    sig = next(s for s in catalogue() if s.id == "deepgemm_jit")
    log = tmp_path / "server.log"
    log.write_text("\n".join(("boot", *sig.excerpt, "more")) + "\n")
    r = subprocess.run([CLI, "triage", str(log), "--profile", "glm51_fp8", "--json"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    (f,) = json.loads(r.stdout)
    assert f["id"] == "deepgemm_jit" and f["line"] == 2
    assert f["fix"].startswith("modal run examples/glm51_deploy.py::compile_deepgemm")
    r = subprocess.run([CLI, "triage", "-", "--json"], input="\n".join(sig.excerpt), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
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
