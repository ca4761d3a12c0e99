"""Benchmark: how long checking ``engine.flags`` against the shipped SGLang flag data takes.

Run from the repo root::

    .venv/bin/python benchmarks/bench_flag_check.py [--repeat 5]

No SGLang is needed (the check reads src/modal_llm_deploy/data/sglang/v<version>.py).

Figures printed:
1. loading + indexing the flag data for one version (cold, first call in a fresh process);
2. ``check_flags`` over the GLM-5.1 profile's flags (warm, median of many calls);
3. validating a whole profile with an override (``apply_overrides``: pydantic + flag check +
   known-bad table), warm;
4. the user's view: ``modal-llm-deploy plan glm51_fp8 --set engine.flags.tp=4`` end to end
   (interpreter start, imports, plugin discovery, validation, the one-line error), median of
   ``--repeat`` runs, next to the time of merely importing the CLI. Goal: well under a second
   on an idle machine; almost all of it is interpreter start and imports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("modal-llm-deploy")

COLD = r"""
import time
t0 = time.perf_counter()
from modal_llm_deploy.engine.flags import table
t1 = time.perf_counter()
table("0.5.23")
t2 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.2f} {(t2 - t1) * 1000:.2f}")
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    colds = []
    for _ in range(a.repeat):
        out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True, env=env)
        colds.append(float(out.stdout.split()[1]) / 1000)
    print(f"1. flag data load + index, cold (median of {a.repeat}): {ms(statistics.median(colds))}")

    from modal_llm_deploy import load_profile
    from modal_llm_deploy.profile.overrides import apply_overrides
    from modal_llm_deploy.profile.model import OWNED_FLAGS
    from modal_llm_deploy.engine.flags import check_flags

    glm = load_profile("glm51_fp8")
    n = 2000
    t0 = time.perf_counter()
    for _ in range(n):
        check_flags("0.5.23", glm.engine.flags, OWNED_FLAGS)
    print(f"2. check_flags over {len(glm.engine.flags)} GLM-5.1 flags, warm: {ms((time.perf_counter() - t0) / n)}")

    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        apply_overrides(glm, {"serving.max_containers": 2})
    print(f"3. whole-profile validation with an override, warm: {ms((time.perf_counter() - t0) / n)}")

    walls = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        r = subprocess.run([str(CLI), "plan", "glm51_fp8", "--set", "engine.flags.tp=4"],
                           capture_output=True, text=True, env=env)
        walls.append(time.perf_counter() - t0)
        assert r.returncode == 2 and "abbreviation of --tp-size" in r.stderr, r.stderr
    print(f"4. `modal-llm-deploy plan glm51_fp8 --set engine.flags.tp=4` → exit 2, end to end "
          f"(median of {a.repeat}): {ms(statistics.median(walls))}  [min {ms(min(walls))}, max {ms(max(walls))}]")

    base = []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import modal_llm_deploy.cli"], check=True, env=env)
        base.append(time.perf_counter() - t0)
    print(f"   for scale: `python -c 'import modal_llm_deploy.cli'` alone (median of {a.repeat}): "
          f"{ms(statistics.median(base))}")


if __name__ == "__main__":
    main()
