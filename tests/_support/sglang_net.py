"""SGLang 0.5.23's own network code on this CPU machine, for tests/test_peer_network.py.

Runs on the SGLang parser venv's python (the real sglang 0.5.23 and CPU torch) plus an
*overlay*: the server packages SGLang's HTTP and health servers import that the parser venv lacks
(``uvicorn``, ``uvloop``, ``fastapi``; sglang 0.5.23's METADATA: ``uvicorn>=0.51``). They are
installed once with ``pip --target`` into .cache/sglang-net-overlay and *appended* to sys.path,
so every package the parser venv already has keeps its own version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

OVERLAY_PACKAGES = ["uvicorn>=0.51", "uvloop", "fastapi"]


def ensure_overlay(root: Path) -> Path:
    done = root / ".complete"
    if done.is_file():
        return root
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target",
                    str(root), *OVERLAY_PACKAGES], check=True)
    done.write_text("\n".join(OVERLAY_PACKAGES) + "\n")
    return root


def run_json(python: Path, overlay: Path | None, script: str, *args: str, timeout: float = 120) -> dict:
    """Run ``script`` in the parser python (overlay appended to sys.path); its last stdout line is JSON."""
    boot = (f"import sys; sys.path.append({str(overlay)!r})\n" if overlay else "") + script
    r = subprocess.run([str(python), "-c", boot, *args], capture_output=True, text=True, timeout=timeout, cwd="/",
                       env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")})
    if r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
