"""A minimal, stdlib-only PEP 517 build backend for throwaway test distributions.

Copied into a test plugin's source tree and named in its pyproject.toml
(``build-backend = "wheel_backend"``, ``backend-path = ["_build"]``), so that
``pip install --no-build-isolation --no-index <dir>`` works offline without setuptools' wheel
support (setuptools < 70.1 needs the separate ``wheel`` package) or network access. It reads
the standard ``[project]`` table (name, version, dependencies, entry-points) and packs every
package under ``src/`` into a pure-Python ``py3-none-any`` wheel with a correct RECORD.
"""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
import zipfile
from pathlib import Path


def _project() -> dict:
    return tomllib.loads(Path("pyproject.toml").read_text())["project"]


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _entry_points(project: dict) -> str:
    out = []
    for group, eps in project.get("entry-points", {}).items():
        out.append(f"[{group}]")
        out += [f"{k} = {v}" for k, v in eps.items()]
        out.append("")
    return "\n".join(out)


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    name, version = _dist_name(project["name"]), project["version"]
    distinfo = f"{name}-{version}.dist-info"
    files: dict[str, bytes] = {}
    src = Path("src")
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
            files[path.relative_to(src).as_posix()] = path.read_bytes()
    tops = sorted({a.split("/")[0] for a in files})
    files[f"{distinfo}/METADATA"] = _metadata(project).encode()
    files[f"{distinfo}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: mld-test-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    ).encode()
    files[f"{distinfo}/entry_points.txt"] = _entry_points(project).encode()
    files[f"{distinfo}/top_level.txt"] = ("\n".join(tops) + "\n").encode()
    record = [_record_line(a, d) for a, d in files.items()] + [f"{distinfo}/RECORD,,"]
    files[f"{distinfo}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel_name = f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)
    return wheel_name
