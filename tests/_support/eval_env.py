"""What SGLang 0.5.23's eval harness (``python -m sglang.test.run_eval``) runs on here: the one
private SGLang environment of the tests (tests/_support/sglang_env.py), which carries what the
harness imports beyond the benchmark's needs: ``openai`` at SGLang 0.5.23's own pin (its
METADATA: ``Requires-Dist: openai==2.8.0``) and ``httpx``.

``run_eval`` imports ``sglang.test.simple_eval_common`` (``openai``, ``httpx``, ``jinja2``,
``numpy``, ``requests``, ``tqdm``) and, when it scores, ``sglang.test.test_utils`` (``torch``,
``aiohttp``, ``msgspec``, ``psutil``, ``PIL`` and ``sglang.benchmark.serving`` with its import
chain, torchvision included); the probe below imports both before any test relies on them.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from _support.sglang_env import sglang_python

IMPORT_PROBE = "import sglang.test.run_eval, sglang.test.test_utils, openai, httpx; print('ok')"


def eval_env(version: str) -> tuple[Path, tuple[str, ...]]:
    """(python, extra sys.path entries) on which ``sglang.test.run_eval`` really imports; raises
    with the import error otherwise. The one environment needs no overlay: the tuple is empty."""
    python = sglang_python(version, "eval")
    r = subprocess.run([str(python), "-c", IMPORT_PROBE], capture_output=True, text=True, cwd="/")
    if r.returncode != 0:
        raise RuntimeError(f"run_eval does not import in {python}: {r.stderr[-2000:]}")
    return python, ()
