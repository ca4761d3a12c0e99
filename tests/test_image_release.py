"""The image names the release the flags were proven against (issue 19).

A tag naming another SGLang release than ``engine.sglang_version`` is refused at plan time,
naming both; a reference naming none (a digest, a custom image) plans with a note, and the
container checks the installed release at start and refuses a mismatch (steps/release.py,
called by prepare_serve from the Modal runtime). The installed release is read from a real
package tree: the stand-in (tests/standin/sglang declares 0.5.23) and one declaring 0.5.22.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.engine.release import release_in_image
from modal_llm_deploy.steps.release import require_sglang_release

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import STANDIN_DIR  # noqa: E402

CLI = Path(sys.executable).with_name("modal-llm-deploy")


@pytest.mark.parametrize("ref,release", [
    ("lmsysorg/sglang:v0.5.23-cu130", "0.5.23"),
    ("lmsysorg/sglang:v0.5.22-cu130", "0.5.22"),
    ("lmsysorg/sglang:v0.5.23.post1-cu129", "0.5.23.post1"),
    ("registry.example:5000/team/sglang:0.5.23", "0.5.23"),  # the port is not a tag
    ("registry.example:5000/team/sglang", None),
    ("lmsysorg/sglang@sha256:" + "a" * 64, None),
    ("lmsysorg/sglang:latest", None),
    ("ghcr.io/acme/glm-server:prod", None),
])
def test_release_named_by_an_image_reference(ref, release):
    assert release_in_image(ref) == release


def test_plan_refuses_an_image_of_another_release_naming_both():
    r = subprocess.run([str(CLI), "plan", "glm51_fp8", "--set", "engine.image=lmsysorg/sglang:v0.5.22-cu130"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "engine.image" in lines[0] and "0.5.22" in lines[0] and "0.5.23" in lines[0], lines[0]


def test_an_image_naming_no_release_plans_with_the_start_check_noted():
    digest = "lmsysorg/sglang@sha256:" + "b" * 64
    plan = build_plan(load_profile("glm51_fp8", {"engine.image": digest}))
    note = plan.images["sglang"].release_note
    assert note and "names no SGLang release" in note and "checks the installed sglang at start" in note
    assert "0.5.23" in note
    r = subprocess.run([str(CLI), "plan", "glm51_fp8", "--set", f"engine.image={digest}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "names no SGLang release" in r.stdout, r.stderr
    tagged = build_plan(load_profile("glm51_fp8")).images["sglang"].release_note
    assert tagged and "names SGLang 0.5.23" in tagged and "checked at plan time" in tagged


@pytest.fixture
def other_release(tmp_path) -> Path:
    pkg = tmp_path / "other" / "sglang"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('__version__ = "0.5.22"\n')
    return pkg.parent


def test_container_start_accepts_the_planned_release(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(STANDIN_DIR))  # the probe's interpreter sees the stand-in
    assert require_sglang_release(sys.executable, "0.5.23", what="serve") == "0.5.23"


def test_container_start_refuses_another_release(monkeypatch, other_release):
    monkeypatch.setenv("PYTHONPATH", str(other_release))
    with pytest.raises(StepError) as ei:
        require_sglang_release(sys.executable, "0.5.23", what="serve")
    msg = str(ei.value)
    assert "\n" not in msg and "0.5.22" in msg and "0.5.23" in msg and "engine.image" in msg


def test_container_start_refuses_an_image_without_sglang(tmp_path):
    import venv

    venv.EnvBuilder(with_pip=False).create(tmp_path / "bare")
    with pytest.raises(StepError, match="no usable SGLang.*0.5.23"):
        require_sglang_release(str(tmp_path / "bare" / "bin" / "python"), "0.5.23", what="serve")


def test_the_runtime_checks_the_release_before_touching_the_volumes(monkeypatch, other_release, tmp_path):
    """modal_adapter/runtime.py _serve_env (the server's start in the container) refuses an image
    of another release with the plan's interpreter, before the weights or caches are read."""
    from modal_llm_deploy.modal_adapter import runtime

    plan = build_plan(load_profile("glm51_fp8", {"engine.image": "lmsysorg/sglang@sha256:" + "c" * 64}))
    monkeypatch.setenv("PYTHONPATH", str(other_release))
    assert plan.sglang_argv[0] == "python3"  # the image's interpreter; here: this test's, seeing PYTHONPATH
    plan = plan.model_copy(update={"sglang_argv": [sys.executable, *plan.sglang_argv[1:]]})
    with pytest.raises(StepError) as ei:
        runtime._serve_env(plan, tmp_path / "weights", tmp_path / "cache")
    assert "0.5.22" in str(ei.value) and "0.5.23" in str(ei.value)
    assert not (tmp_path / "cache").exists() and not (tmp_path / "weights").exists()


def test_the_compile_step_refuses_another_installed_release(monkeypatch, tmp_path):
    """steps/deepgemm.py reads the installed distribution (importlib.metadata) before compiling:
    kernels compiled by another release would be recorded under this release's key."""
    from modal_llm_deploy.base.layout import KernelExpectation
    from modal_llm_deploy.steps import deepgemm
    from modal_llm_deploy.steps.gpu import GpuInfo
    from modal_llm_deploy.steps.verify import Fixes

    dist = tmp_path / "site" / "sglang-0.5.22.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sglang\nVersion: 0.5.22\n")
    monkeypatch.syspath_prepend(str(dist.parent))
    kernel = KernelExpectation(key="sm100-sglang0.5.23-x", arch="sm100", sglang_version="0.5.23", marker_name=".m")
    gpu = GpuInfo(name="NVIDIA B200", arch="sm100", compute_cap="10.0", count=8)
    with pytest.raises(StepError) as ei:
        deepgemm._require_gpu(["python3", "-m", "sglang.compile_deep_gemm", "--tp-size", "8"], kernel,
                              Fixes(download="dl", compile="cc", repair="rp"), lambda: gpu)
    assert "SGLang 0.5.22 is installed" in str(ei.value) and "pins 0.5.23" in str(ei.value)
