"""Benchmark verify: quick mode at GLM-5.1-FP8's real size, deep mode's sha256 throughput.

    PYTHONPATH=src /work/venv/bin/python benchmarks/bench_verify.py [--tmp DIR] [--deep-files 8] [--deep-mb 256]

1. Quick verify on a 140-shard tree of *sparse* files (~750 GB apparent, ~0 bytes on disk) with
   manifest, completion marker, index, config, tokenizer and a kernel marker. Goal: < 1 s.
2. Deep verify (sha256 of every file, threads) on N real files of M MB, beside ``sha256sum``
   (sequential and ``xargs -P``) and a process pool, on the same files. The files were just
   written, so they sit in the page cache: this measures hashing, not the disk or the volume.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "standin" / "lib"))

from standin_trees import FIXES, KERNEL, REVISION, make_tree, write_kernel_marker  # noqa: E402

import modal_llm_deploy.steps as steps_pkg  # noqa: E402
from modal_llm_deploy.steps import verify as verify_mod  # noqa: E402
from modal_llm_deploy.steps.verify import sha256_file, verify_setup  # noqa: E402

GLM_BYTES = 750 * 10**9
GLM_SHARDS = 140


def quiet():
    """Silence the step's log lines while timing."""
    verify_mod.log = lambda msg: None
    steps_pkg.log = lambda msg: None


def bench_quick(tmp: Path, runs: int = 7) -> None:
    wd = tmp / "quick" / "GLM-5.1-FP8"
    cache = tmp / "quick" / "kernel-cache"
    t0 = time.monotonic()
    tree = make_tree(wd, n_shards=GLM_SHARDS, shard_size=GLM_BYTES // GLM_SHARDS, sparse=True)
    write_kernel_marker(cache)
    build = time.monotonic() - t0
    used = sum(os.stat(wd / s).st_blocks * 512 for s in tree.shards)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        rep = verify_setup(wd, cache, revision=REVISION, kernel=KERNEL, fixes=FIXES, log_summary=False)
        times.append(time.perf_counter() - t0)
        assert rep.ok, rep.problems
    print(f"quick verify: {rep.shards} shards, {rep.files} files, {rep.total_bytes / 1e9:.1f} GB apparent "
          f"({used / 1e6:.1f} MB on disk; tree built in {build:.2f} s)")
    print(f"  {runs} runs: first {times[0] * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms, "
          f"max {max(times) * 1000:.1f} ms  (goal < 1000 ms)")


def _hash_path(p: str) -> str:
    return sha256_file(Path(p))


def bench_deep(tmp: Path, n_files: int, mb: int) -> None:
    wd = tmp / "deep" / "model"
    size = mb * 1024 * 1024
    t0 = time.monotonic()
    tree = make_tree(wd, n_shards=n_files, shard_size=size)
    total = n_files * size
    print(f"deep verify: {n_files} × {mb} MiB = {total / 1e9:.2f} GB real files "
          f"(written + hashed for the manifest in {time.monotonic() - t0:.1f} s; page cache warm)")
    paths = [str(wd / s) for s in tree.shards]
    # warm the page cache evenly for every contender
    for p in paths:
        with open(p, "rb") as fh:
            while fh.read(64 << 20):
                pass

    def row(name: str, seconds: float) -> None:
        print(f"  {name:<34} {seconds:6.2f} s  {total / seconds / 1e6:8.0f} MB/s")

    cpus = os.cpu_count() or 1
    print(f"  ({cpus} CPUs visible)")
    for w in sorted({1, 2, 4, cpus, min(2 * cpus, 32)}):
        t0 = time.perf_counter()
        rep = verify_setup(wd, None, revision=REVISION, kernel=None, fixes=FIXES, deep=True, workers=w,
                           log_summary=False, progress_interval_s=3600)
        row(f"verify deep, {w} thread(s)", time.perf_counter() - t0)
        assert rep.ok and rep.hashed_files == n_files, rep.problems

    for w in sorted({2, cpus}):
        t0 = time.perf_counter()
        with ProcessPoolExecutor(max_workers=w) as ex:
            list(ex.map(_hash_path, paths))
        row(f"process pool, {w} process(es)", time.perf_counter() - t0)

    if shutil.which("sha256sum"):
        t0 = time.perf_counter()
        subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL)
        row("sha256sum (sequential)", time.perf_counter() - t0)
        t0 = time.perf_counter()
        subprocess.run(f"printf '%s\\n' {' '.join(paths)} | xargs -P {cpus} -n 1 sha256sum",
                       shell=True, check=True, stdout=subprocess.DEVNULL)
        row(f"sha256sum (xargs -P {cpus})", time.perf_counter() - t0)

    t0 = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            hashlib.file_digest(fh, "sha256")
    row("hashlib.file_digest (sequential)", time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tmp", default=None, help="directory for the trees (default: a new temp dir)")
    ap.add_argument("--deep-files", type=int, default=8)
    ap.add_argument("--deep-mb", type=int, default=256)
    ap.add_argument("--skip-deep", action="store_true")
    a = ap.parse_args()
    quiet()
    tmp = Path(tempfile.mkdtemp(prefix="bench-verify-", dir=a.tmp))
    try:
        bench_quick(tmp)
        if not a.skip_deep:
            bench_deep(tmp, a.deep_files, a.deep_mb)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
