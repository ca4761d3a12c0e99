"""What SGLang 0.5.23's eval harness (``python -m sglang.test.run_eval``) needs to run here, in
one function (to merge with the other SGLang environments).

``run_eval`` imports ``sglang.test.simple_eval_common`` (``openai``, ``httpx``, ``jinja2``,
``numpy``, ``requests``, ``tqdm``) and, when it scores, ``sglang.test.test_utils`` (``torch``,
``aiohttp``, ``msgspec``, ``psutil``, ``PIL`` and ``sglang.benchmark.serving`` with its whole
import chain, torchvision included: tests/_support/bench_env.py says why). The benchmark venv
has all of that except ``openai`` and ``httpx`` (the benchmark itself uses aiohttp). So: the
benchmark venv's python, plus an overlay of ``openai`` at SGLang 0.5.23's own pin (its
METADATA: ``Requires-Dist: openai==2.8.0``, which brings httpx) installed with
``pip --target`` under ``.cache-eval/`` and *appended* to the harness's sys.path (the gate's
``sys_path`` option), so every package the venv has keeps its version. Nothing in the shared
``.cache`` is modified.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _support.bench_env import bench_env_python

EVAL_OVERLAY_PACKAGES = ["openai==2.8.0"]
IMPORT_PROBE = "import sglang.test.run_eval, sglang.test.test_utils, openai, httpx; print('ok')"


def eval_env(version: str, shared_cache: Path, own_cache: Path) -> tuple[Path, tuple[str, ...]]:
    """(python, sys_path overlay) on which ``sglang.test.run_eval`` really imports; raises with
    the import error otherwise."""
    python = bench_env_python(version, shared_cache)
    overlay = own_cache / f"eval-overlay-{version}"
    done = overlay / ".complete"
    if not done.is_file():
        overlay.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target",
                        str(overlay), *EVAL_OVERLAY_PACKAGES], check=True)
        done.write_text("\n".join(EVAL_OVERLAY_PACKAGES) + "\n")
    probe = f"import sys; sys.path.append({str(overlay)!r}); {IMPORT_PROBE}"
    r = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, cwd="/")
    if r.returncode != 0:
        raise RuntimeError(f"run_eval does not import in {python} + {overlay}: {r.stderr[-2000:]}")
    return python, (str(overlay),)
