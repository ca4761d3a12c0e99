"""`modal run` with the real modal client against the local control plane: the setup pipeline's
order and stop-on-failure, and each step called alone with its arguments.

Function calls are answered by the control plane (tests/modalbox/control_plane.py: FunctionMap →
FunctionGetOutputs); arguments are decoded the way a container decodes them
(modal/_serialization.py: deserialize_data_format). A failing step is answered the way a real
container reports one (modal/_runtime/container_io_manager.py: output_items_exception), with the
line our runtime printed to stderr streamed on AppGetLogs first.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from modalbox.box import box  # noqa: F401  (fixture)
from modalbox.control_plane import Outcome

SCRIPT = "examples/glm51_deploy.py"


def calls_of(box, res) -> list[tuple[str, tuple, dict]]:
    ids = {c.request.function_id for c in res.calls if c.method == "FunctionMap"}
    return [(c.function_name, c.args, c.kwargs) for c in box.cp.calls if c.function_id in ids]


def real_compile_failure(tmp_path: Path) -> Outcome:
    """What the compile container reports when the weights are missing, produced by the real
    code: the step (steps/deepgemm.py) raises StepError, runtime._fail prints its one line to
    stderr and ends the call with SystemExit(exit code)."""
    from modal_llm_deploy import build_plan, load_profile
    from modal_llm_deploy.modal_adapter.runtime import _fail, fixes_for, kernel_expectation
    from modal_llm_deploy.base.errors import StepError
    from modal_llm_deploy.steps.deepgemm import compile_deepgemm

    plan = build_plan(load_profile("glm51_fp8"))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exc, contextlib.redirect_stderr(err):
        try:
            # The plan's own container paths: on a fresh weights volume the model dir is missing.
            compile_deepgemm(argv=plan.compile_argv, weights_dir=Path(plan.weights.dir), cache_root=tmp_path / "cache",
                             kernel=kernel_expectation(plan), revision=plan.weights.revision, fixes=fixes_for(plan))
        except StepError as e:
            _fail(e)
    line = err.getvalue()
    assert line.startswith("ERROR: weights not ready for the kernel compile") and line.count("\n") == 1, line
    return Outcome(exception=exc.value, stderr=line)


@contextlib.contextmanager
def compile_fails(box, tmp_path: Path):
    """While inside, the control plane answers compile_deepgemm with real_compile_failure
    (yielded, for the line it printed)."""
    outcome = real_compile_failure(tmp_path)
    box.cp.outcomes.clear()
    box.cp.outcomes["compile_deepgemm"] = outcome
    try:
        yield outcome
    finally:
        box.cp.outcomes.clear()


def test_setup_runs_download_compile_verify_in_order(box):
    box.cp.outcomes.clear()
    res = box.modal("run", SCRIPT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert calls_of(box, res) == [
        ("download_model", (), {}),
        ("compile_deepgemm", (), {"force": False}),
        ("verify_setup", (), {"deep": False}),
    ]
    assert "volumes ready. Next: modal deploy examples/glm51_deploy.py" in res.stdout
    # The profile names a ref (main): the key's revision part is only known once the download
    # recorded its commit, so the pipeline says so instead of printing the template's placeholder.
    assert "{revision}" not in res.stdout
    assert "2/3 compile_deepgemm on B200:8 (kernel key pinned to the commit download_model records)" in res.stdout
    # `modal run` creates an ephemeral app (not a deployment) and disconnects at the end.
    assert not res.of("AppPublish") or all(not p.name for p in res.of("AppPublish"))
    assert res.of("AppClientDisconnect")


def test_compile_failure_stops_before_verify_with_one_line(box, tmp_path):
    with compile_fails(box, tmp_path) as outcome:
        res = box.modal("run", SCRIPT)
    names = [n for n, _, _ in calls_of(box, res)]
    assert names == ["download_model", "compile_deepgemm"], names  # verify never started
    assert res.returncode != 0
    # The client prints container logs (AppGetLogs) on its own stdout.
    out = res.stdout + res.stderr
    assert outcome.stderr.strip() in out, out
    assert "weights directory /models/GLM-5.1-FP8 does not exist" in out
    assert "3/3 verify_setup" not in out
    assert "Traceback" not in out, out


@pytest.mark.parametrize(
    "target, args, expected",
    [
        # modal's CLI sends every boolean option of the function, set or not (modal/cli/run.py)
        ("download_model", [], ("download_model", (), {"update": False, "repair": False})),
        ("download_model", ["--repair"], ("download_model", (), {"update": False, "repair": True})),
        ("compile_deepgemm", ["--force"], ("compile_deepgemm", (), {"force": True})),
        ("verify_setup", ["--deep"], ("verify_setup", (), {"deep": True})),
    ],
)
def test_each_step_alone_with_its_arguments(box, target, args, expected):
    box.cp.outcomes.clear()
    res = box.modal("run", f"{SCRIPT}::{target}", *args)
    assert res.returncode == 0, res.stdout + res.stderr
    assert calls_of(box, res) == [expected]


def test_detached_download_as_in_readme(box):
    """README: `modal run --detach examples/glm51_deploy.py::download_model`."""
    box.cp.outcomes.clear()
    res = box.modal("run", "--detach", f"{SCRIPT}::download_model")
    assert res.returncode == 0, res.stdout + res.stderr
    assert calls_of(box, res) == [("download_model", (), {"update": False, "repair": False})]
    (create,) = res.of("AppCreate")
    from modal_proto import api_pb2

    assert create.app_state == api_pb2.APP_STATE_DETACHED
