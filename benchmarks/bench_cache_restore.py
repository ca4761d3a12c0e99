"""Benchmark: restoring a kernel-cache key directory to the work directory (server start) and
publishing the work tree into the key directory (end of compile), with ``steps/caches.py``.

Run from the repo root::

    .venv/bin/python benchmarks/bench_cache_restore.py [--files 20000] [--kb 64] [--repeat 3]

The tree is synthetic (many small files in nested directories, like DeepGEMM's cubins and
SGLang's JIT build directories) on the local disk; on Modal the source of a restore is the volume
mount, whose read speed this does not measure. Figures printed: files/s and MB/s for restore and
publish, median of ``--repeat`` runs. What it is for: the restore runs inside the server's
startup budget, so its time is part of every cold start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from modal_llm_deploy.steps.caches import publish, restore  # noqa: E402


def make_tree(root: Path, files: int, kb: int) -> None:
    blob = os.urandom(kb * 1024)
    per_dir = 200
    for i in range(files):
        d = root / f"sub{i // per_dir:04d}"
        if i % per_dir == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"kernel_{i}.cubin").write_bytes(blob)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--kb", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        key_dir, work = t / "volume" / "key", t / "work"
        make_tree(key_dir, a.files, a.kb)
        r_times, p_times = [], []
        for _ in range(a.repeat):
            os.sync()
            t0 = time.perf_counter()
            n, b = restore(key_dir, work)
            r_times.append(time.perf_counter() - t0)
            dest = t / "volume" / f"pub{len(p_times)}"
            t0 = time.perf_counter()
            publish(work, dest)
            p_times.append(time.perf_counter() - t0)
        mb = b / 1e6
        for what, times in (("restore", r_times), ("publish", p_times)):
            m = statistics.median(times)
            print(f"{what}: {n} files, {mb:.0f} MB in {m:.2f} s (median of {a.repeat}) = "
                  f"{n / m:,.0f} files/s, {mb / m:,.0f} MB/s")


if __name__ == "__main__":
    main()
