"""CPU cost of building the app when Modal imports the deploy script: the library's example
against the same 4-unit app written by hand (benchmarks/handwritten_4unit.py).

    .venv/bin/python benchmarks/bench_import.py [--pairs 15]

Each run is a fresh interpreter that imports the script the way ``modal deploy`` does
(``runpy.run_path``) and builds every Modal object, offline. CPU = user + sys of that child
(``os.wait4``), interpreter start included for both. Runs alternate (A B, B A, A B, …) so a
slower moment of a shared machine hits both sides alike; the figures are the medians, and the
ratio of each pair. A third series, ``import modal`` alone, shows the floor both share.
Goal (issue 7): example / hand-written ≤ 1.2. The example builds its app from a profile name, so
after its first build the plan comes from the plan cache (modal_adapter/plan_cache.py); a fourth series runs
it with that cache off, which is what the first build of a deploy script (or any build after
an input changed) costs.

On a shared, loaded machine CPU seconds swing by ±20 % between runs; ``--instructions`` also
counts the instructions each side executes under valgrind (callgrind's "Collected"), which
does not depend on the load — slow (~1 min per run) but deterministic.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "glm51_deploy.py"
HAND = ROOT / "benchmarks" / "handwritten_4unit.py"
BUILD = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__modal_bench__')"


# Bytecode caches for the children, outside the repository. The warm-up runs below write them,
# as a user's first `modal deploy` does (pip also compiles on install). Without this, an
# environment with PYTHONDONTWRITEBYTECODE=1 (ours has it) re-compiles every library module
# from source in every run, which the one-file hand-written script barely pays: the figures
# were the compiler's, not the import's.
PYCACHE = Path(tempfile.gettempdir()) / f"mld-bench-pycache-{os.getuid()}"


# The plan cache (modal_llm_deploy/plan_cache.py) of the children, outside the user's: the
# warm-up runs fill it as a user's first `modal run` does; the "first build" series turns it off.
PLAN_CACHE = Path(tempfile.gettempdir()) / f"mld-bench-plan-cache-{os.getuid()}"
NO_PLAN_CACHE = {"MODAL_LLM_DEPLOY_PLAN_CACHE": "off"}


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["MODAL_LLM_DEPLOY_CACHE_DIR"] = str(PLAN_CACHE)
    env.update(extra or {})
    return env


def cpu_of(argv: list[str], pythonpath: str | None = None, extra: dict[str, str] | None = None) -> float:
    """user+sys CPU seconds of one child process."""
    env = child_env(extra)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    _, status, ru = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        raise SystemExit(f"{argv} failed: {err}")
    return ru.ru_utime + ru.ru_stime


def instructions_of(argv: list[str], extra: dict[str, str] | None = None) -> int:
    """Instructions executed by one child under valgrind's callgrind."""
    env = child_env(extra)
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    m = re.search(r"Collected : (\d+)", r.stderr)
    if r.returncode != 0 or not m:
        raise SystemExit(f"valgrind {argv} failed: {r.stderr[-2000:]}")
    return int(m.group(1))


def probe_plan_cache_hit(py: str, when: str) -> None:
    """Stop unless the example builds from its stored plan: otherwise the example series would
    silently measure first builds."""
    probe = subprocess.run([py, "-c", BUILD + "; print('pydantic' in sys.modules)", str(EXAMPLE)], env=child_env(),
                           cwd=ROOT, capture_output=True, text=True)
    if probe.stdout.strip().splitlines()[-1:] != ["False"]:
        raise SystemExit(f"the example validated its profile {when}: no plan-cache hit in {PLAN_CACHE}: "
                         f"{probe.stdout[-300:]}{probe.stderr[-1000:]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--instructions", action="store_true", help="also count instructions with valgrind (slow)")
    ap.add_argument("--baseline-src", metavar="DIR",
                    help="an older checkout (e.g. `git archive <commit> | tar -x -C DIR`): its example, with "
                         "PYTHONPATH=DIR/src, runs as a third series in the same alternation")
    args = ap.parse_args()
    py = sys.executable
    example = [py, "-c", BUILD, str(EXAMPLE)]
    hand = [py, "-c", BUILD, str(HAND)]
    floor = [py, "-c", "import modal"]
    for cmd in (example, hand, floor):  # warm the page cache and .pyc files (twice: the first writes them)
        cpu_of(cmd)
        cpu_of(cmd)
    probe_plan_cache_hit(py, "after warming up")
    base_pp = str(Path(args.baseline_src) / "src") if args.baseline_src else None
    baseline = [py, "-c", BUILD, str(Path(args.baseline_src or ".") / "examples" / "glm51_deploy.py")]
    if base_pp:
        cpu_of(baseline, base_pp)
    a, b, f, old, ratios, old_ratios, cold, cold_ratios = [], [], [], [], [], [], [], []
    for i in range(args.pairs):
        first, second = (example, hand) if i % 2 == 0 else (hand, example)
        x = cpu_of(first)
        y = cpu_of(second)
        ex, hd = (x, y) if first is example else (y, x)
        a.append(ex)
        b.append(hd)
        ratios.append(ex / hd)
        f.append(cpu_of(floor))
        cold.append(cpu_of(example, extra=NO_PLAN_CACHE))
        cold_ratios.append(cold[-1] / hd)
        if base_pp:
            old.append(cpu_of(baseline, base_pp))
            old_ratios.append(old[-1] / hd)
    probe_plan_cache_hit(py, "at the end (an input changed during the run: the figures are a mix)")
    med_a, med_b, med_f = statistics.median(a), statistics.median(b), statistics.median(f)
    print(f"{args.pairs} alternated pairs, CPU seconds (user+sys), medians:")
    print(f"  examples/glm51_deploy.py            {med_a:.3f} s")
    print(f"  benchmarks/handwritten_4unit.py     {med_b:.3f} s")
    print(f"  python -c 'import modal' (floor)    {med_f:.3f} s")
    print(f"ratio example/hand-written: median of pairs {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}); ratio of medians {med_a / med_b:.3f}")
    print(f"above the floor: example +{med_a - med_f:.3f} s, hand-written +{med_b - med_f:.3f} s")
    print(f"first build (plan cache off: validates the profile, as the first `modal run` does): "
          f"{statistics.median(cold):.3f} s; ratio to hand-written: median of pairs "
          f"{statistics.median(cold_ratios):.3f}; ratio of medians {statistics.median(cold) / med_b:.3f}")
    if base_pp:
        print(f"baseline {args.baseline_src}: {statistics.median(old):.3f} s; ratio baseline/hand-written: median of "
              f"pairs {statistics.median(old_ratios):.3f}; ratio of medians {statistics.median(old) / med_b:.3f}")
    if args.instructions:
        if not shutil.which("valgrind"):
            raise SystemExit("--instructions needs valgrind on PATH")
        ia, ib, iff = instructions_of(example), instructions_of(hand), instructions_of(floor)
        ic = instructions_of(example, NO_PLAN_CACHE)
        print("instructions (valgrind callgrind, one run each; independent of machine load):")
        print(f"  example {ia / 1e9:.3f} G, hand-written {ib / 1e9:.3f} G, import modal {iff / 1e9:.3f} G; "
              f"ratio example/hand-written {ia / ib:.3f}")
        print(f"  first build (plan cache off) {ic / 1e9:.3f} G; ratio to hand-written {ic / ib:.3f}")


if __name__ == "__main__":
    main()
