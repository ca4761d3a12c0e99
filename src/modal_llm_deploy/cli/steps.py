"""Local twins of the container steps: download, compile, verify, serve on local directories."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.cli.common import (
    FileOpt,
    ProfileArg,
    SetOpt,
    UsageError,
    _guard,
    _load,
    app,
)
from modal_llm_deploy.engine.local import version_mismatch
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.plan.commands import local_command
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.plan.pinning import resolve_pinned_plan
from modal_llm_deploy.plan.step_args import kernel_expectation as _kernel_expectation
from modal_llm_deploy.profile.model import Profile

if TYPE_CHECKING:
    from modal_llm_deploy.steps.verify import Fixes


# --- local twins of the container steps --------------------------------------------------------

WeightsDir = typer.Option(..., "--weights-dir", help="Local directory standing in for the weights volume.")
CacheDir = typer.Option(..., "--cache-dir", help="Local directory standing in for the kernel-cache volume.")
PythonOpt = typer.Option(sys.executable, "--python", help="Interpreter that has SGLang (for compile/serve).")


def _local(profile: str, sets, file, weights_dir: Path, cache_dir: Path | None,
           python: str | None = None) -> tuple[Profile, DeploymentPlan]:
    """The profile and its plan, with the volume mounts pointed at local directories."""
    extra: dict[str, Any] = {"storage.weights_mount": str(weights_dir.resolve())}
    if cache_dir is not None:
        extra["storage.cache_mount"] = str(cache_dir.resolve())
    if python:
        extra["engine.python"] = python
    prof = _load(profile, sets, file, extra)
    if cache_dir is None:
        return prof, build_plan(prof)
    from modal_llm_deploy.engine.caches import local_work_dir

    # compile and serve with the same --cache-dir run SGLang's caches at the same absolute path
    return prof, build_plan(prof, cache_work_dir=str(local_work_dir(cache_dir)))


def _local_fixes(prof: Profile, weights_dir: Path, cache_dir: Path) -> "Fixes":
    """Fix lines of the local form, on the same (absolute) directories, with the same
    overrides: run as printed, they act on this deployment (commands.local_command)."""
    from modal_llm_deploy.steps.verify import Fixes

    return Fixes(
        download=local_command("download", prof, weights_dir),
        compile=local_command("compile", prof, weights_dir, cache_dir),
        repair=local_command("download", prof, weights_dir, None, "--repair"),
    )


def _one_node(p: DeploymentPlan, what: str) -> None:
    """A multi-node profile cannot compile or serve on this one machine: its SGLang would wait for
    the other nodes forever (profile/topology.py). Say so instead of hanging."""
    if p.topology.nodes > 1:
        raise UsageError(
            f"profile {p.profile!r} spans hardware.nodes={p.topology.nodes} machines: local {what} runs one node "
            f"only; use {p.commands['setup_cli']} / {p.commands['deploy_cli']} (a Modal cluster), or --set "
            "hardware.nodes=1 with a tensor_parallel_size that fits this machine"
        )


@app.command()
def download(profile: str = ProfileArg, weights_dir: Path = WeightsDir,
             cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", hidden=True,
                                                      help="Accepted for symmetry with the other steps; unused."),
             update: bool = typer.Option(False, "--update", help="The ref (e.g. main) moved upstream: download its new commit and swap it in."),
             repair: bool = typer.Option(False, "--repair", help="Re-hash every file against the manifest and re-fetch what differs."),
             sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Download the weights into a local directory.

    Records the commit the profile's revision resolved to. The token comes from HF_TOKEN. Works from any directory; needs no --cache-dir."""

    def run() -> None:
        import os

        from modal_llm_deploy.steps.download import RetryPolicy, download_weights

        # No kernel cache is involved: the profile's own cache_mount stays (a local cache dir
        # defaulting to "." used to contain ./weights and fail validation).
        _, p = _local(profile, sets, file, weights_dir, None)
        w = p.weights
        download_weights(
            w.repo_id, w.revision, Path(w.dir), allow_patterns=w.allow_patterns,
            token=os.environ.get(w.token_env) or None,
            retry=RetryPolicy(attempts=w.attempts, delays_s=tuple(w.backoff_s)),
            max_workers=w.max_workers,
            update=update,
            repair=repair,
            fail_fast=True,  # this machine: no network fails in seconds, with the hint (steps/network.py)
        )

    _guard(run)


@app.command("compile")
def compile_cmd(profile: str = ProfileArg, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir, python: str = PythonOpt,
                force: bool = typer.Option(False, "--force", help="Recompile even if the marker exists."),
                sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Compile DeepGEMM kernels on this machine's GPU.

    Into the cache directory, under the profile's kernel key."""

    def run() -> None:
        from modal_llm_deploy.steps.deepgemm import compile_deepgemm

        prof, p = _local(profile, sets, file, weights_dir, cache_dir, python)
        _one_node(p, "compile/serve")
        if msg := version_mismatch(p.sglang_argv[0], p.sglang_version):  # flags proven for one release
            raise UsageError(msg)
        if not p.kernel_cache.enabled or p.compile_argv is None:
            raise UsageError(f"profile {profile!r} has kernel_cache.deepgemm=false: nothing to compile")
        fixes = _local_fixes(prof, weights_dir, cache_dir)
        p = resolve_pinned_plan(p, p.weights.dir, fix=fixes.download, required=True)  # key holds the recorded commit
        compile_deepgemm(
            argv=p.compile_argv, weights_dir=Path(p.weights.dir), cache_root=cache_dir.resolve(),
            kernel=_kernel_expectation(p), revision=p.weights.revision, fixes=fixes, force=force,
            work_dir=Path(p.kernel_cache.work_dir),
        )

    _guard(run)


@app.command()
def verify(profile: str = ProfileArg, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir,
           deep: bool = typer.Option(False, "--deep", help="Also sha256 every file against the manifest."),
           sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Prove local weights and kernel cache are complete.

    Each problem is printed with the command that fixes it."""

    def run() -> None:
        from modal_llm_deploy.steps.verify import verify_setup

        prof, p = _local(profile, sets, file, weights_dir, cache_dir)
        fixes = _local_fixes(prof, weights_dir, cache_dir)
        if not weights_dir.is_dir():
            raise StepError(f"weights directory {weights_dir} does not exist: nothing has been "
                            f"downloaded there; run: {fixes.download}")
        p = resolve_pinned_plan(p, p.weights.dir)
        report = verify_setup(
            Path(p.weights.dir), cache_dir.resolve(), revision=p.weights.revision,
            # kernels are keyed by the recorded commit: with none recorded yet, the weights problems say what to run
            kernel=_kernel_expectation(p) if p.weights.pinned else None, fixes=fixes, deep=deep,
        )
        if not report.ok:  # the report already logged each problem with its fix command
            raise typer.Exit(1)

    _guard(run)


@app.command()
def serve(profile: str = ProfileArg, weights_dir: Path = WeightsDir, cache_dir: Path = CacheDir, python: str = PythonOpt,
          sets: Optional[list[str]] = SetOpt, file: Optional[Path] = FileOpt) -> None:
    """Run the supervised SGLang server locally.

    Supervised exactly as in the Modal container.

    The API key comes from the variable the profile names (API_KEY by default)."""

    def run() -> None:
        import os

        from modal_llm_deploy.steps.serve import prepare_serve, serve_forever

        prof, p = _local(profile, sets, file, weights_dir, cache_dir, python)
        _one_node(p, "compile/serve")
        if msg := version_mismatch(p.sglang_argv[0], p.sglang_version):  # flags proven for one release
            raise UsageError(msg)
        fixes = _local_fixes(prof, weights_dir, cache_dir)
        p = resolve_pinned_plan(p, p.weights.dir, fix=fixes.download, required=True)  # serve the recorded commit
        s = p.server
        api_key = None
        if s.auth == "api_key":
            api_key = os.environ.get(s.api_key_env)
            if not api_key:
                raise UsageError(f"{s.api_key_env} is not set: export the API key clients will send (or --set serving.public=true --set serving.api_key_secret=none)")
        env = prepare_serve(  # refuses incomplete weights before SGLang spends minutes loading
            Path(p.weights.dir), cache_dir.resolve(), revision=p.weights.revision, kernel=_kernel_expectation(p),
            fixes=fixes, deepgemm=p.kernel_cache.enabled,
            allow_cold_jit=p.kernel_cache.allow_cold_jit, work_dir=Path(p.kernel_cache.work_dir),
        )
        code = serve_forever(
            p.sglang_argv, env={**p.unit("serve").env, **env}, port=s.port, ready_timeout_s=s.startup_timeout_s,
            grace_s=s.exit_grace_period_s, api_key=api_key, served_model_name=s.served_name,
        )
        raise typer.Exit(code)

    _guard(run)


