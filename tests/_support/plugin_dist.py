"""Throwaway plugin distributions, installed into a throwaway overlay environment.

The overlay is a ``venv --without-pip`` whose site-packages holds one ``.pth`` line that adds
the dev environment's site directories (``site.addsitedir``, so the dev env's own ``.pth``
files — editable installs of modal-llm-deploy and the GLM plugin — are processed too). The
overlay's python therefore sees everything the dev env has, plus whatever is installed into
the overlay; the dev env itself is never written to, so nothing needs uninstalling and a
crashed test cannot leave a broken plugin behind that breaks every later
``modal-llm-deploy`` call. Creating it takes ~0.1 s.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

BACKEND = Path(__file__).with_name("wheel_backend.py")


def make_overlay_venv(root: Path) -> Path:
    """Create the overlay at ``root``; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    purelib = Path(sysconfig.get_path("purelib", vars={"base": str(root), "platbase": str(root)}))
    assert purelib.is_dir(), purelib
    dev_sites = [p for p in site.getsitepackages() if os.path.isdir(p)]
    line = "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in dev_sites)
    (purelib / "_mld_dev_env.pth").write_text(line + "\n")
    return root / "bin" / "python"


def write_plugin(
    src_dir: Path,
    *,
    dist_name: str,
    entry_point: str,
    target: str,
    files: dict[str, str],
    version: str = "0.1.0",
) -> Path:
    """A plugin source tree: pyproject.toml with ``[project.entry-points.modal_llm_deploy]``,
    ``files`` under ``src/`` (paths like ``pkg/__init__.py``), and the in-tree backend."""
    src_dir.mkdir(parents=True)
    (src_dir / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = []
            build-backend = "wheel_backend"
            backend-path = ["_build"]

            [project]
            name = "{dist_name}"
            version = "{version}"
            description = "test plugin for modal-llm-deploy"
            requires-python = ">=3.11"
            dependencies = ["modal-llm-deploy"]

            [project.entry-points.modal_llm_deploy]
            {entry_point} = "{target}"
            """
        )
    )
    (src_dir / "_build").mkdir()
    shutil.copy(BACKEND, src_dir / "_build" / "wheel_backend.py")
    for rel, text in files.items():
        path = src_dir / "src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return src_dir


def pip_install(python: Path, *src_dirs: Path) -> None:
    """``pip install --no-deps --no-build-isolation`` offline into ``python``'s environment."""
    proc = subprocess.run(
        [
            str(python), "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
            "--no-cache-dir", "--disable-pip-version-check", "--no-input", "-q",
            *map(str, src_dirs),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
    )
    if proc.returncode:
        raise RuntimeError(f"pip install failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without PYTHON* variables (they would leak the dev setup)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(extra)
    return env
