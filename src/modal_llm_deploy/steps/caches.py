"""SGLang's compiled-kernel caches: every one listed, compiled once, reused at the same path.

What the pinned SGLang (0.5.23) reads, from its source:

* ``srt/environ.py``: ``SGLANG_CACHE_DIR`` (default ``~/.cache/sglang``) is the base;
  ``third_party_cache_defaults()`` derives ``TRITON_CACHE_DIR``, ``TORCHINDUCTOR_CACHE_DIR``,
  ``CUDA_CACHE_PATH``, ``TILELANG_CACHE_DIR`` and ``FLASHINFER_WORKSPACE_BASE`` from it, and
  ``redirect_third_party_caches()`` (called first thing in ``sglang/__init__.py``) applies them
  with ``os.environ.setdefault`` — only when not already set, and silently not at all once
  FlashInfer was imported. So we set every one of them explicitly, to the same values.
* ``SGLANG_DG_CACHE_DIR`` (``srt/environ.py``, default ``$SGLANG_CACHE_DIR/deep_gemm``);
  ``srt/layers/deep_gemm_wrapper/compile_utils.py`` copies it into ``DG_JIT_CACHE_DIR`` (the
  variable DeepGEMM itself reads) and takes its lock files under ``DG_JIT_CACHE_DIR/locks``.
* ``SGLANG_JIT_CACHE_DIR`` (``srt/environ.py``; ``kernels/jit/utils/compile/cache.py``
  ``cache_root()``: unset → ``~/.cache/sglang/jit``, *not* under ``SGLANG_CACHE_DIR``): SGLang's
  own JIT kernels (DSA indexer, top-k, MLA KV paths).
* ``SGLANG_CUTE_AOT_CACHE_DIR`` (``srt/environ.py``, default ``$SGLANG_CACHE_DIR/cute_aot``;
  ``kernels/jit/cute_aot_cache.py``): CuTe DSL ahead-of-time objects.
* ``TORCH_EXTENSIONS_DIR`` (``srt/utils/cpp_extension_loader.py``): torch C++ extension builds.

Not set on purpose: ``XDG_CACHE_HOME`` (read only by ``srt/model_loader/expert_pack_runtime.py``
for GGUF expert packs of other models; setting it would also move the Hugging Face cache).

The rule (FlashInfer writes absolute paths into its build files, so a moved cache may rebuild):
the compile run and the server both run SGLang with every cache under ONE fixed absolute work
directory (:data:`WORK_DIR` in a container). The compile run writes there; on success the tree
is copied into the cache volume under the kernel key, then the marker is written, last. The
server restores the key's tree from the read-only volume mount to the same work directory
before SGLang starts, so every cached build is found where it was built.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Mapping, Sequence

from . import StepError

# The container's fixed work directory: not the volume mount (Modal would publish writes of a
# writable mount; the server's is read-only) and not key-dependent (same path in compile and
# serve, whatever the key).
WORK_DIR = "/opt/modal-llm-deploy/sglang-cache"
# The local CLI's work directory inside --cache-dir: derived from it alone, so `compile` and
# `serve` with the same --cache-dir use the same absolute path. A dot name: never a key.
LOCAL_WORK_NAME = ".work"


@dataclass(frozen=True)
class CacheLocation:
    name: str
    env: str
    subdir: str  # under the work directory ("" = the work directory itself)
    holds: str
    source: str  # where the pinned SGLang reads it


SGLANG_CACHES: tuple[CacheLocation, ...] = (
    CacheLocation("sglang", "SGLANG_CACHE_DIR", "",
                  "base of SGLang's caches: FA3 kernel locks, FlashInfer autotune results, "
                  "custom all-reduce, torch.compile backend",
                  "srt/environ.py Envs.SGLANG_CACHE_DIR"),
    CacheLocation("deep_gemm", "SGLANG_DG_CACHE_DIR", "deep_gemm",
                  "DeepGEMM FP8 GEMM kernels for every M up to the chunked-prefill bound",
                  "srt/environ.py Envs.SGLANG_DG_CACHE_DIR"),
    CacheLocation("deep_gemm (DeepGEMM's own name)", "DG_JIT_CACHE_DIR", "deep_gemm",
                  "same directory; SGLang copies SGLANG_DG_CACHE_DIR into it at import",
                  "srt/layers/deep_gemm_wrapper/compile_utils.py"),
    CacheLocation("sglang_jit", "SGLANG_JIT_CACHE_DIR", "jit",
                  "SGLang's own JIT kernels (DSA indexer, top-k, MLA KV)",
                  "srt/environ.py Envs.SGLANG_JIT_CACHE_DIR; kernels/jit/utils/compile/cache.py"),
    CacheLocation("cute_aot", "SGLANG_CUTE_AOT_CACHE_DIR", "cute_aot",
                  "CuTe DSL ahead-of-time compiled objects",
                  "srt/environ.py Envs.SGLANG_CUTE_AOT_CACHE_DIR"),
    CacheLocation("triton", "TRITON_CACHE_DIR", "triton", "Triton kernels",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("inductor", "TORCHINDUCTOR_CACHE_DIR", "inductor", "torch.compile / Inductor artefacts",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("cuda", "CUDA_CACHE_PATH", "nv", "CUDA driver PTX→SASS JIT cache",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("tilelang", "TILELANG_CACHE_DIR", "tilelang", "TileLang kernels",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("flashinfer", "FLASHINFER_WORKSPACE_BASE", "",
                  "FlashInfer JIT modules (FlashInfer appends .cache/flashinfer; absolute paths in its build files)",
                  "srt/environ.py third_party_cache_defaults()"),
    CacheLocation("torch_extensions", "TORCH_EXTENSIONS_DIR", "torch_extensions",
                  "torch C++ extension builds",
                  "srt/utils/cpp_extension_loader.py"),
)


def cache_path(work_dir: str | Path, loc: CacheLocation) -> str:
    w = str(work_dir).rstrip("/")
    return f"{w}/{loc.subdir}" if loc.subdir else w


def cache_env(work_dir: str | Path) -> dict[str, str]:
    """Every cache variable the pinned SGLang reads, each pointed under ``work_dir``."""
    return {loc.env: cache_path(work_dir, loc) for loc in SGLANG_CACHES}


def local_work_dir(cache_root: Path) -> Path:
    return Path(cache_root).resolve() / LOCAL_WORK_NAME


# --- the kernel key's argument hash ---------------------------------------------------------

# Arguments that never shape a kernel, so they stay out of the hash (name → values it takes).
# Everything else is hashed, conservatively: a needless recompile costs one compile run, a
# missed kernel-shaping flag costs a cold JIT in every container.
NOT_KERNEL_SHAPING: dict[str, int] = {
    "--host": 1, "--port": 1,  # where the compile run's private server or the real one listens
    "--timeout": 1,  # compile_deep_gemm's own wait limit
    # where the weights are mounted (differs between Modal and a local box); the weights
    # themselves are pinned by the revision part of the key
    "--model-path": 1, "--model": 1,
    "--served-model-name": 1,  # the label clients send in "model"
    "--watchdog-timeout": 1,  # a timer in the scheduler (srt/utils/watchdog.py)
    "--enable-metrics": 0,  # the Prometheus endpoint
    # text post-processing of generated output (tool calls, reasoning blocks)
    "--tool-call-parser": 1, "--reasoning-parser": 1,
    # multi-node: which rank and where rank 0 is (set per container at run time, topology.py);
    # the whole cluster shares one key. --nnodes stays in: it changes the TP group per GPU.
    "--node-rank": 1, "--dist-init-addr": 1,
}


def kernel_args(argv: Sequence[str]) -> list[str]:
    """The SGLang arguments of ``argv`` (``python -m sglang.X …``) that can shape kernels."""
    args = list(argv)
    if "-m" in args[:3]:
        args = args[args.index("-m") + 2:]  # drop the interpreter and the module
    out: list[str] = []
    skip = 0
    for a in args:
        if skip:
            skip -= 1
            continue
        if a in NOT_KERNEL_SHAPING:
            skip = NOT_KERNEL_SHAPING[a]
            continue
        if "=" in a and a.split("=", 1)[0] in NOT_KERNEL_SHAPING:
            continue
        out.append(a)
    return out


def argv_hash(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """10 hex digits over the kernel-shaping arguments and the engine's extra env.

    Why flags: DeepGEMM's compiled M range follows ``chunked_prefill_size``
    (``srt/layers/deep_gemm_wrapper/compile_utils.py`` ``update_deep_gemm_config``: m_max =
    2 × chunked_prefill_size above 8192), backends and speculative settings pick other kernels.
    Why env: ``SGLANG_JIT_DEEPGEMM_FAST_WARMUP`` (same file) compiles a sampled M list instead.
    """
    data = {"args": kernel_args(argv), "env": sorted((env or {}).items())}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:10]


# --- work directory: restore, publish, exclusive use -----------------------------------------


def _ignore(skip_names: Sequence[str]):
    # Lock files are per-run state (DeepGEMM's DG_JIT_CACHE_DIR/locks, FlashInfer's filelocks),
    # never a compiled kernel; markers belong to the volume's key directory only.
    def ignore(_dir: str, names: list[str]) -> set[str]:
        return {n for n in names if n.endswith(".lock") or n in skip_names}

    return ignore


COPY_WORKERS = 16


def copy_tree(src: Path, dst: Path, *, skip_names: Sequence[str] = (), workers: int = COPY_WORKERS) -> tuple[int, int]:
    """Copy ``src`` into ``dst`` (merging), files in parallel; symlinks stay symlinks.

    Parallel because the source of a restore is a Modal Volume mount, where each file costs a
    round trip, and a kernel cache is many small files. Returns (files, bytes) copied.
    """
    from concurrent.futures import ThreadPoolExecutor

    ignore = _ignore(skip_names)
    jobs: list[tuple[str, str]] = []
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        out = os.path.join(dst, rel) if rel != "." else str(dst)
        skipped = ignore(root, dirs + files)
        dirs[:] = [d for d in dirs if d not in skipped]
        os.makedirs(out, exist_ok=True)
        for d in dirs:
            sd = os.path.join(root, d)
            if os.path.islink(sd):  # os.walk does not descend into links; keep them as links
                td = os.path.join(out, d)
                if not os.path.lexists(td):
                    os.symlink(os.readlink(sd), td)
        jobs += [(os.path.join(root, f), os.path.join(out, f)) for f in files if f not in skipped]

    def one(job: tuple[str, str]) -> int:
        a, b = job
        if os.path.islink(a):
            if os.path.lexists(b):
                os.unlink(b)
            os.symlink(os.readlink(a), b)
            return 0
        shutil.copy2(a, b)  # keeps timestamps: build tools compare them (ninja for FlashInfer)
        return os.stat(b).st_size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        sizes = list(pool.map(one, jobs))
    return len(jobs), sum(sizes)


def clear_work_dir(work_dir: Path) -> None:
    work_dir = Path(work_dir)
    if work_dir.exists():
        shutil.rmtree(work_dir)  # never trust a leftover tree
    work_dir.mkdir(parents=True, exist_ok=True)


def restore(src: Path, work_dir: Path, *, skip_names: Sequence[str] = ()) -> tuple[int, int]:
    """Replace ``work_dir`` with a copy of the key directory ``src`` (if it exists).

    Returns (files, bytes) copied. The copy keeps relative layout, so each cache lands at the
    absolute path it was built at (the compile run used the same ``work_dir``).
    """
    try:
        clear_work_dir(work_dir)
        src = Path(src)
        if not src.is_dir():
            return 0, 0
        return copy_tree(src, Path(work_dir), skip_names=skip_names)
    except OSError as e:
        raise StepError(
            f"cannot restore the kernel cache {src} to {work_dir}: {e.strerror or e} "
            f"({e.filename or '?'}); free disk space or fix the directory's permissions"
        ) from None


def publish(work_dir: Path, dest: Path, *, skip_names: Sequence[str] = ()) -> tuple[int, int]:
    """Copy the work tree into the volume's key directory (merging with what is there).

    The caller writes the marker only after this returns: a reader never sees a marker next
    to a half-copied tree.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        return copy_tree(Path(work_dir), dest, skip_names=skip_names)
    except OSError as e:
        # No marker follows: the key stays "not compiled" and a re-run copies again.
        raise StepError(
            f"cannot copy the compiled caches from {work_dir} to {dest}: {e.strerror or e} "
            f"({e.filename or '?'}); no marker was written; free space on the cache volume and re-run the compile"
        ) from None


class WorkDirLock:
    """Exclusive use of a work directory for one compile or one server.

    In a container there is only ever one; on a local box a `compile` and a `serve` (or two
    serves of different profiles) with the same --cache-dir would otherwise wipe each other's
    tree. The lock file sits next to the directory, so clearing the directory keeps it.
    """

    def __init__(self, work_dir: Path):
        self.path = Path(str(Path(work_dir)) + ".lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> "WorkDirLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "?"
            fh.close()
            raise StepError(
                f"SGLang cache work directory {str(self.path)[:-5]} is in use by another compile or serve "
                f"(pid {holder}); wait for it to finish or use another --cache-dir"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            try:
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            finally:
                self._fh.close()
                self._fh = None

    def __enter__(self) -> "WorkDirLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = [
    "LOCAL_WORK_NAME",
    "SGLANG_CACHES",
    "WORK_DIR",
    "CacheLocation",
    "WorkDirLock",
    "argv_hash",
    "cache_env",
    "cache_path",
    "kernel_args",
    "local_work_dir",
    "publish",
    "restore",
]
