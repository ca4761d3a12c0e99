"""Benchmark: our download step vs plain ``snapshot_download``, against the local fake hub.

Run from the repo root::

    /work/venv/bin/python benchmarks/bench_download.py [--shards 20] [--shard-mb 20] [--repeat 5]

The fake hub (tests/hubserver.py) runs in a *subprocess*, so it does not share the client's GIL.
Both clients are the real huggingface_hub 2.4 with Xet disabled (plain HTTP), 8 workers.

Figures printed:
1. bytes sent by the server / bytes needed, with one mid-file cut per shard at 55 % of the shard
   (not on a 10 MB boundary), for two kinds of cut: a TCP reset (RST) and a clean close before
   Content-Length was reached (FIN, "truncated body"). Goal for ours: <= 1.01.
2. wall time with no faults, as ``--repeat`` alternated pairs (the order flips every pair;
   ``os.sync()`` before each run), every pair's ratio and the median. Goal (issue 7): ours <= 1.05 x
   plain. Ours also computes sha256 of every shard in-stream and makes every file durable (fsync,
   off the workers' critical path, all done before the COMPLETE marker); plain does neither.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Before huggingface_hub is imported: plain HTTP against the fake hub, no progress bars.
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_TOKEN", None)

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

import huggingface_hub  # noqa: E402
from huggingface_hub import snapshot_download  # noqa: E402
from hubserver import Fault, RemoteHub, model_files  # noqa: E402

from modal_llm_deploy.base.errors import StepError  # noqa: E402
from modal_llm_deploy.steps.download import RetryPolicy, download_weights  # noqa: E402

REPO = "bench-org/GLM-bench-FP8"
RETRY = RetryPolicy(attempts=3, delays_s=(0.1, 0.2), max_retry_after_s=1)


def run_ours(hub: RemoteHub, d: Path) -> tuple[str, float, int | None]:
    t = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # our log lines
            res = download_weights(REPO, "main", d, endpoint=hub.endpoint, retry=RETRY, progress_every_s=0,
                                   max_workers=8)
        return "ok", time.perf_counter() - t, res.bytes_fetched
    except StepError as exc:
        return f"FAILED: {exc}", time.perf_counter() - t, None


def run_plain(hub: RemoteHub, d: Path, cache: Path) -> tuple[str, float, int | None]:
    t = time.perf_counter()
    try:
        snapshot_download(REPO, revision="main", local_dir=d, cache_dir=cache, endpoint=hub.endpoint, max_workers=8)
        return "ok", time.perf_counter() - t, None
    except Exception as exc:
        return f"FAILED: {type(exc).__module__}.{type(exc).__name__}", time.perf_counter() - t, None


def identical(d: Path, files: dict[str, bytes]) -> bool:
    return all((d / n).is_file() and (d / n).read_bytes() == b for n, b in files.items())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shards", type=int, default=20)
    ap.add_argument("--shard-mb", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # plain client's retry warnings
    shard_size = int(args.shard_mb * 1024 * 1024)
    spec = {"repos": [{"repo_id": REPO, "n_shards": args.shards, "shard_size": shard_size, "seed": 7}]}
    files = model_files(args.shards, shard_size, seed=7)
    needed = sum(map(len, files.values()))
    print(f"huggingface_hub {huggingface_hub.__version__}; {args.shards} shards x {args.shard_mb:g} MiB "
          f"= {needed / 1e6:.1f} MB needed; fake hub in a subprocess; {os.cpu_count()} CPUs")

    work = Path(tempfile.mkdtemp(prefix="bench-dl-"))
    rows: list[tuple[str, str, str]] = []
    try:
        with RemoteHub(spec) as hub:
            def once(kind: str, who: str) -> tuple[str, float, int, bool, int | None]:
                hub.clear_faults()
                hub.clear_log()
                if kind != "none":
                    hub.add_fault(Fault(kind=kind, path="*.safetensors", where="cdn", per_file=True,
                                        after_bytes=int(shard_size * 0.55)))
                d = work / f"{who}-{kind}-{time.monotonic_ns()}"
                os.sync()  # start each run without the previous run's dirty pages being written back
                outcome, secs, received = run_ours(hub, d) if who == "ours" else run_plain(hub, d, work / "cache")
                sent = hub.bytes_sent()
                ok = outcome == "ok" and identical(d, files)
                shutil.rmtree(d, ignore_errors=True)
                shutil.rmtree(work / "cache", ignore_errors=True)
                return outcome, secs, sent, ok, received

            def cell(outcome: str, sent: int, ok: bool, received: int | None) -> str:
                if outcome != "ok":
                    return outcome[:60]
                got = f" (client wrote {received / needed:.4f})" if received is not None else ""
                return f"{sent / needed:.4f}{got}" + ("" if ok else " TREE DIFFERS")

            for kind, label in (("reset", "1 TCP reset per shard at 55 %"), ("truncate", "1 truncated body per shard at 55 %")):
                o1, _, s1, ok1, r1 = once(kind, "ours")
                o2, _, s2, ok2, r2 = once(kind, "plain")
                rows.append((f"bytes sent / needed, {label}", cell(o1, s1, ok1, r1), cell(o2, s2, ok2, r2)))

            once("none", "ours")  # warm-up (page cache, imports, connections)
            once("none", "plain")
            t_ours, t_plain, ratios = [], [], []
            for i in range(args.repeat):
                times = {}
                for who in (("ours", "plain") if i % 2 == 0 else ("plain", "ours")):
                    o, s, _, ok, _ = once("none", who)
                    assert o == "ok" and ok, o
                    times[who] = s
                t_ours.append(times["ours"])
                t_plain.append(times["plain"])
                ratios.append(times["ours"] / times["plain"])
                first = "ours first" if i % 2 == 0 else "plain first"
                rows.append((f"pair {i + 1} ({first}), s", f"{times['ours']:.2f}",
                             f"{times['plain']:.2f}   ratio {ratios[-1]:.3f}"))
            mo, mp = statistics.median(t_ours), statistics.median(t_plain)
            rows.append((f"wall time, no faults (median of {args.repeat}), s", f"{mo:.2f}", f"{mp:.2f}"))
            rows.append(("wall time, no faults (best), s", f"{min(t_ours):.2f}", f"{min(t_plain):.2f}"))
            rows.append(("ours / plain: median of pair ratios", f"{statistics.median(ratios):.3f}x",
                         f"(min {min(ratios):.3f}, max {max(ratios):.3f}; goal <= 1.05)"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows + [("", "download_weights", "")])
    print()
    print(f"{'':<{w0}}  {'download_weights':<{w1}}  snapshot_download")
    for a, b, c in rows:
        print(f"{a:<{w0}}  {b:<{w1}}  {c}")


if __name__ == "__main__":
    main()
