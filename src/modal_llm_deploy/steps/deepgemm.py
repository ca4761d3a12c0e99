"""Pre-compile SGLang's DeepGEMM kernels once, into the kernel-cache volume, under this
profile's key.

``python3 -m sglang.compile_deep_gemm`` (SGLang 0.5.23) starts a full server on ``--host/--port``,
polls ``GET /v1/models`` *without* an Authorization header until it answers 200 (so the argv must
never carry ``--api-key``), sends one ``/generate`` request, prints
``DeepGEMM Kernels compilation finished successfully.`` and exits 0. Two behaviours we guard
against, because each would burn GPU-hours:

* it never notices that its server process died: it keeps polling until ``--timeout``
  (default 3600 s). We watch the child's process group and stop the run when the server is gone;
* after that timeout it raises, but multiprocessing then joins the still-running server at exit,
  so the process may never end. We enforce ``--timeout`` plus a margin ourselves.

The run builds every SGLang cache (DeepGEMM, SGLang's own JIT kernels, Triton, FlashInfer, …;
``steps/caches.py``) under one fixed absolute work directory, the same path the server later
restores them to. After the run the tree is copied into the volume's key directory; the marker
is written only after a zero exit and after that copy, atomically, so "marker present" means
"a compile for exactly this key (arguments included) finished and its tree is complete". A
failed run publishes the partial tree (DeepGEMM reuses what it compiled) but never a marker.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import KernelExpectation, KernelMarker, kernel_dir
from modal_llm_deploy.engine import caches as engine_caches
from modal_llm_deploy.steps import caches
from modal_llm_deploy.steps.gpu import GpuInfo, probe_gpu
from modal_llm_deploy.steps.log import log
from modal_llm_deploy.steps.serve import (
    Redactor,
    StreamedChild,
    _cmdline,
    _flag_value,
    ensure_port_free,
)
from modal_llm_deploy.steps.verify import Fixes, check_kernels, verify_weights

SUCCESS_LINE = "DeepGEMM Kernels compilation finished successfully"
DEFAULT_TIMEOUT_S = 3600  # compile_deep_gemm's own default for --timeout


@dataclass(frozen=True)
class CompileResult:
    skipped: bool
    duration_s: float
    marker_path: Path
    gpu_name: str | None = None
    cache_files: int = 0
    work_dir: Path | None = None


def _argv_timeout(argv: list[str]) -> int:
    for i, a in enumerate(argv):
        if a == "--timeout" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--timeout="):
            return int(a.split("=", 1)[1])
    return DEFAULT_TIMEOUT_S


def _installed_sglang_version() -> str | None:
    try:
        return importlib.metadata.version("sglang").split("+", 1)[0]  # drop a local tag (+cu130)
    except importlib.metadata.PackageNotFoundError:
        return None


def _count_files(d: Path) -> tuple[int, int]:
    n = b = 0
    for root, _dirs, files in os.walk(d):
        for f in files:
            n += 1
            try:
                b += os.stat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return n, b


def compile_deepgemm(
    *,
    argv: list[str],
    weights_dir: Path,
    cache_root: Path,
    kernel: KernelExpectation,
    revision: str | None,
    fixes: Fixes,
    env: Mapping[str, str] | None = None,
    gpu_probe: Callable[[], GpuInfo] = probe_gpu,
    force: bool = False,
    work_dir: Path | None = None,
    deadline_margin_s: float = 240.0,
    server_gone_grace_s: float = 60.0,
    poll_s: float = 0.5,
) -> CompileResult:
    """Run the plan's ``python3 -m sglang.compile_deep_gemm … --timeout N`` and write the marker.

    Order: refuse a bad argv → weights complete? → already compiled for this key? (skip) →
    right GPU? → restore any partial tree to ``work_dir`` → run, streaming every line → copy the
    tree into ``cache_root/<key>`` → marker on success only.

    ``work_dir``: where SGLang's caches live during the run (every cache variable points under
    it); the server must use the same absolute path. Default: ``<cache_root>/.work`` (local CLI).
    """
    _refuse_api_key(argv)
    timeout_s = _argv_timeout(argv)

    _require_weights(weights_dir, revision, fixes)

    kdir = kernel_dir(cache_root, kernel.key)
    marker_path = kdir / kernel.marker_name

    # 2. Already compiled for exactly this key (arch, SGLang version, …)?
    problems, _warn, existing = check_kernels(cache_root, kernel, fixes)
    if existing is not None and not force:
        log(
            f"DeepGEMM kernels for {kernel.key} already compiled on {existing.gpu_name} "
            f"({existing.duration_s:.0f} s): skipping (marker {marker_path}; force to rebuild)"
        )
        return CompileResult(True, 0.0, marker_path, existing.gpu_name)

    gpu = _require_gpu(argv, kernel, fixes, gpu_probe)

    # compile_deep_gemm polls its own --host/--port: a server already there would fool it.
    ensure_port_free(_flag_value(argv, "--host") or "127.0.0.1", int(_flag_value(argv, "--port") or 30000),
                     "compiling kernels (compile_deep_gemm starts its own server there)")

    # 4. Run it.
    _remove_marker(marker_path, existing, problems)
    work = Path(work_dir) if work_dir is not None else engine_caches.local_work_dir(cache_root)
    lock = caches.WorkDirLock(work).acquire()
    try:
        return _run_and_publish(argv, kdir, marker_path, work, kernel, revision, fixes, env, gpu, timeout_s,
                                deadline_margin_s, server_gone_grace_s, poll_s)
    finally:
        lock.release()


def _refuse_api_key(argv: list[str]) -> None:
    """compile_deep_gemm's readiness poll sends no key: an --api-key in the argv would hang it."""
    if any(a == "--api-key" or a.startswith("--api-key=") for a in argv):
        raise StepError(
            "the compile command contains --api-key: sglang.compile_deep_gemm polls /v1/models without an "
            "Authorization header and would wait until --timeout; remove --api-key from the compile argv"
        )


def _require_weights(weights_dir: Path, revision: str | None, fixes: Fixes) -> None:
    """Step 1: raise unless the weights verify clean (quick mode)."""
    # 1. Weights: compiling against a half-downloaded checkpoint fails after minutes of GPU time.
    rep = verify_weights(weights_dir, revision=revision, fixes=fixes)
    if rep.problems:
        p = rep.problems[0]
        more = f" (+{len(rep.problems) - 1} more problem(s))" if len(rep.problems) > 1 else ""
        raise StepError(f"weights not ready for the kernel compile: {p.message}{more} → run: {fixes.download}")
    log(f"weights OK: {rep.shards} shards, {rep.total_bytes / 1e9:.1f} GB (rev {(rep.revision or '?')[:12]})")


def _require_gpu(argv: list[str], kernel: KernelExpectation, fixes: Fixes,
                 gpu_probe: Callable[[], GpuInfo]) -> GpuInfo:
    """Step 3: raise unless this GPU's arch and count, and the installed SGLang, fit the key."""
    # 3. The GPU we are on must be the one the key says.
    try:
        gpu = gpu_probe()
    except StepError as e:
        raise StepError(
            f"{e}: DeepGEMM kernels must be compiled on the profile's GPU ({kernel.arch}); "
            f"run {fixes.compile}"
        ) from None
    if gpu.arch != kernel.arch:
        raise StepError(
            f"this GPU is {gpu.name} ({gpu.arch}) but the profile's kernels are for {kernel.arch} "
            f"(key {kernel.key}): DeepGEMM kernels are per architecture; run {fixes.compile} on a "
            f"{kernel.arch} GPU (the Modal function requests the profile's GPUs)"
        )
    tp = next((v for f in ("--tp-size", "--tensor-parallel-size", "--tp") if (v := _flag_value(argv, f))), None)
    pp = next((v for f in ("--pp-size", "--pipeline-parallel-size") if (v := _flag_value(argv, f))), None)
    # Multi-node (profile/topology.py): the TP × PP group spans --nnodes containers, each with its share.
    nnodes = int(_flag_value(argv, "--nnodes") or 1)
    need = int(tp or 1) * int(pp or 1) // nnodes
    if gpu.count < need:
        raise StepError(
            f"{gpu.count}× {gpu.name} visible but the compile argv needs {need} GPUs per node (tp × pp / nnodes); "
            f"run {fixes.compile} on Modal with the profile's GPU count"
        )
    installed = _installed_sglang_version()
    if installed is not None and installed != kernel.sglang_version:
        raise StepError(
            f"SGLang {installed} is installed but the profile pins {kernel.sglang_version}: the kernels would be "
            f"recorded under the wrong key; use the profile's image"
        )
    return gpu


def _remove_marker(marker_path: Path, existing: KernelMarker | None, problems: list) -> None:
    """Step 4's first move: delete the key's current marker, if any, before the run."""
    # A marker that does not match (or is being rebuilt) goes first: a failed run must not leave
    # one behind.
    if marker_path.exists():
        why = "rebuild requested" if existing is not None else (problems[0].message if problems else "invalid")
        log(f"removing kernel marker {marker_path} before compiling ({why})")
        marker_path.unlink()


def _run_and_publish(argv, kdir: Path, marker_path: Path, work: Path, kernel: KernelExpectation, revision,
                     fixes: Fixes, env, gpu: GpuInfo, timeout_s: int, deadline_margin_s: float,
                     server_gone_grace_s: float, poll_s: float) -> CompileResult:
    # Resume: a failed run published what it had compiled (no marker); start from that tree.
    n, b = caches.restore(kdir, work, skip_names=(kernel.marker_name,))
    if n:
        log(f"restored {n} cached files ({b / 1e6:.1f} MB) of an earlier run from {kdir} to {work}")
    cache_env = engine_caches.cache_env(work)
    Path(cache_env["SGLANG_DG_CACHE_DIR"]).mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {}), **cache_env, "PYTHONUNBUFFERED": "1"}
    seen_success: list[bool] = []

    def on_line(line: str) -> None:
        if SUCCESS_LINE in line:
            seen_success.append(True)
        log(f"[compile] {line}")

    child = StreamedChild(argv, env=child_env, prefix="[compile] ", redactor=Redactor(), on_line=on_line)
    log(
        f"compiling DeepGEMM kernels for {kernel.key} on {gpu.count}× {gpu.name} ({gpu.arch}) "
        f"into {cache_env['SGLANG_DG_CACHE_DIR']} (a cold compile takes 10–30 min; --timeout {timeout_s} s)"
    )
    log(f"running: {' '.join(argv)}")
    t0 = time.monotonic()
    rc, failure = _watch(child, t0 + timeout_s + deadline_margin_s, timeout_s, deadline_margin_s,
                         server_gone_grace_s, poll_s)
    duration = time.monotonic() - t0

    # Publish the tree either way: a re-run after a failure compiles only what is missing.
    t_copy = time.monotonic()
    files, nbytes = caches.publish(work, kdir, skip_names=(kernel.marker_name,))
    log(f"copied {files} cache files ({nbytes / 1e6:.1f} MB) from {work} to {kdir} in "
        f"{time.monotonic() - t_copy:.1f} s")
    if failure is not None or rc != 0:
        what = failure or f"the kernel compile failed with exit code {rc}"
        raise StepError(
            f"{what} after {duration:.0f} s; last lines: {child.tail_text()} → fix the cause, then run: "
            f"{fixes.compile} (kernels compiled so far are kept)"
        )
    if not seen_success:
        log(f"WARNING: exit code 0 but no {SUCCESS_LINE!r} line was seen")

    return _write_marker(argv, marker_path, work, kernel, revision, gpu, cache_env, duration, files, nbytes)


def _watch(child: StreamedChild, deadline: float, timeout_s: int, deadline_margin_s: float,
           server_gone_grace_s: float, poll_s: float) -> tuple[int, str | None]:
    """Start the child and wait for it, stopping it past the deadline or once its server is gone.

    Returns (exit code, why we stopped it or None)."""
    child.start()
    had_server = False
    gone_since: float | None = None
    failure: str | None = None
    try:
        while child.poll() is None:
            time.sleep(poll_s)
            now = time.monotonic()
            if now > deadline:
                failure = (
                    f"the kernel compile ran past --timeout {timeout_s} s + {deadline_margin_s:.0f} s and was killed"
                )
                break
            # compile_deep_gemm keeps polling after its server died; notice that ourselves.
            members = [p for p in child.group_members() if "resource_tracker" not in _cmdline(p)]
            if members:
                had_server, gone_since = True, None
            elif had_server:
                gone_since = gone_since or now
                if now - gone_since > server_gone_grace_s:
                    failure = (
                        f"the compile's SGLang server exited {now - gone_since:.0f} s ago but compile_deep_gemm "
                        "kept waiting (it polls until --timeout); stopped it"
                    )
                    break
    except BaseException:
        child.kill_group()
        child.finish_output(2.0)
        raise
    if failure is not None:
        child.signal_leader(signal.SIGTERM)
        time.sleep(min(2.0, poll_s * 4))
        child.kill_group()
        rc = child.wait()
    else:
        rc = child.wait()
        child.kill_group()  # stragglers of the server tree would hold GPU memory
    child.finish_output(5.0)
    return rc, failure


def _write_marker(argv, marker_path: Path, work: Path, kernel: KernelExpectation, revision, gpu: GpuInfo,
                  cache_env: dict, duration: float, files: int, nbytes: int) -> CompileResult:
    """Step 5: write the key's marker (after a successful run, once its tree is published)."""
    # 5. Marker: only now (after the tree is in place), atomically.
    dg_files, dg_bytes = _count_files(Path(cache_env["SGLANG_DG_CACHE_DIR"]))
    if dg_files == 0:
        log(f"WARNING: {cache_env['SGLANG_DG_CACHE_DIR']} is empty after the compile: does this model use DeepGEMM?")
    KernelMarker(
        key=kernel.key,
        arch=gpu.arch,
        sglang_version=kernel.sglang_version,
        gpu_name=gpu.name,
        duration_s=round(duration, 1),
        built_at=time.time(),
        extra={
            "revision": revision,
            "gpu_count": gpu.count,
            "compute_cap": gpu.compute_cap,
            "deep_gemm_files": dg_files,
            "deep_gemm_bytes": dg_bytes,
            "cache_files": files,
            "cache_bytes": nbytes,
            "work_dir": str(work),  # the absolute path the server must restore the tree to
            "cache_env": cache_env,
        },
        argv_hash=kernel.argv_hash or engine_caches.argv_hash(argv),
        argv=list(argv),
    ).save(marker_path)
    log(f"DeepGEMM kernels compiled in {duration:.0f} s: {dg_files} DeepGEMM files, {files} cache files, "
        f"{nbytes / 1e6:.1f} MB; marker {marker_path}")
    return CompileResult(False, duration, marker_path, gpu.name, dg_files, work)
