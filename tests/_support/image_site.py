"""Rebuild a container image's Python environment offline, from what the plan declares.

An image in the plan says which distributions it has (``pip`` + ``provided_by_base``), and
Modal adds its own client (``modal`` and its dependencies) to every container. This module
turns that declaration into an isolated *site* directory that holds only those
distributions (with their transitive runtime requirements, read from the installed metadata
of the dev environment) plus the ``local_python_sources`` exactly as Modal would mount them
under ``/root``. A ``python -I -S`` subprocess whose ``sys.path`` is the standard library plus
that directory then sees what the container sees, and nothing else from the dev environment.

Materialisation is by symlink, file by file from each distribution's RECORD
(``Distribution.files``), so the site holds exactly the files ``pip install`` put there;
building one takes a few tens of milliseconds.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from packaging.requirements import Requirement

# Modal installs its client (and so its dependencies) into every container it runs.
MODAL_CLIENT = "modal"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class SiteError(RuntimeError):
    """The declared set cannot be materialised from the dev environment (not installed, or the
    installed version does not satisfy the declared requirement)."""


@dataclass
class ResolvedSet:
    dists: dict[str, md.Distribution] = field(default_factory=dict)  # canonical name → dist
    why: dict[str, str] = field(default_factory=dict)  # canonical name → who pulled it in

    def names(self) -> list[str]:
        return sorted(self.dists)


def _marker_ok(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in ({""} | extras))


def resolve(requirements: Iterable[str]) -> ResolvedSet:
    """Transitive closure of ``requirements`` (PEP 508 strings or bare names) over the installed
    metadata: ``requires()`` whose markers apply here (extras only where requested)."""
    out = ResolvedSet()
    extras_seen: dict[str, set[str]] = {}
    todo: list[tuple[Requirement, str]] = [(Requirement(r), "<declared>") for r in requirements]
    while todo:
        req, parent = todo.pop()
        key = canonical(req.name)
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            raise SiteError(f"{req.name} (required by {parent}) is not installed in the dev environment") from None
        if req.specifier and not req.specifier.contains(dist.version, prereleases=True):
            raise SiteError(
                f"{req.name} {dist.version} is installed but {parent} requires {req}: the test "
                "would not prove what the image gets"
            )
        new_extras = set(req.extras) - extras_seen.get(key, set())
        if key in out.dists and not new_extras:
            continue
        out.dists[key] = dist
        out.why.setdefault(key, parent)
        extras = extras_seen.setdefault(key, set())
        extras |= set(req.extras)
        for r in dist.requires or []:
            sub = Requirement(r)
            if _marker_ok(sub, extras):
                todo.append((sub, dist.metadata["Name"]))
    return out


def _link(src: Path, dst: Path) -> None:
    if dst.exists() or dst.is_symlink():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src)


def _link_distribution(site: Path, dist: md.Distribution) -> int:
    files = dist.files
    n = 0
    if files is None:  # no RECORD: fall back to top_level.txt
        base = Path(dist.locate_file(""))
        for top in (dist.read_text("top_level.txt") or "").split():
            for cand in (base / top, base / f"{top}.py"):
                if cand.exists():
                    _link(cand, site / cand.name)
                    n += 1
        return n
    for f in files:
        parts = PurePosixPath(str(f)).parts
        # scripts (../../bin/x) and .pth files (no site processing in the container check)
        if not parts or parts[0] == ".." or str(f).endswith(".pth"):
            continue
        if parts[0].startswith("__editable__"):
            raise SiteError(f"{dist.metadata['Name']} is an editable install: cannot materialise it as an image would")
        src = Path(dist.locate_file(f))
        if src.exists():
            _link(src, site.joinpath(*parts))
            n += 1
    return n


def local_source_files(module: str) -> list[tuple[Path, PurePosixPath]]:
    """(local file, path relative to /root) for ``image.add_local_python_source(module)`` with
    Modal's default filter (Python files only), computed by Modal's own mount code."""
    from modal.file_pattern_matcher import NON_PYTHON_FILES
    from modal.mount import _MountedPythonModule

    entry = _MountedPythonModule(module, "/root", NON_PYTHON_FILES)
    return [
        (Path(local), PurePosixPath(remote).relative_to("/root"))
        for local, remote in entry.get_files_to_upload()
    ]


def build_site(site: Path, declared: Iterable[str], local_sources: Iterable[str]) -> ResolvedSet:
    """Materialise ``declared`` + ``modal`` (transitively) and ``local_sources`` into ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    resolved = resolve([*declared, MODAL_CLIENT])
    for dist in resolved.dists.values():
        _link_distribution(site, dist)
    for module in local_sources:
        files = local_source_files(module)
        if not files:
            raise SiteError(f"add_local_python_source({module!r}) would mount no files")
        for local, rel in files:
            _link(local, site.joinpath(*rel.parts))
    return resolved


def stdlib_paths() -> list[str]:
    """The base interpreter's standard library (pure, platform-specific, lib-dynload); never a
    site-packages directory. In a venv ``sysconfig`` answers with the venv prefix for
    ``platstdlib``, so ask for the base installation explicitly."""
    base = {
        "base": sys.base_prefix,
        "platbase": sys.base_exec_prefix,
        "installed_base": sys.base_prefix,
        "installed_platbase": sys.base_exec_prefix,
    }
    paths = sysconfig.get_paths(vars=base)
    cands = [paths["stdlib"], paths["platstdlib"], os.path.join(paths["platstdlib"], "lib-dynload")]
    out: list[str] = []
    for p in cands:
        if os.path.isdir(p) and p not in out:
            assert "site-packages" not in p, p
            out.append(p)
    return out


def run_isolated(
    code: str, site: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in ``python -I -S -B`` with ``sys.path`` = stdlib + ``site`` only.

    -I: no PYTHON* env vars, no user site, no script dir on sys.path; -S: no site module, so no
    site-packages and no .pth files; -B: don't write bytecode into the site's real directories.
    ``sys.path`` is then set explicitly before anything else is imported. The child gets a bare
    environment (PATH, an empty HOME) plus ``env``.
    """
    paths = stdlib_paths() + [str(site)]
    bootstrap = f"import sys\nsys.path[:] = {paths!r}\n" + code
    home = site.parent / "home"
    home.mkdir(exist_ok=True)
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}
    child_env.update(env or {})
    exe = getattr(sys, "_base_executable", None) or sys.executable
    return subprocess.run(
        [exe, "-I", "-S", "-B", "-c", bootstrap, *args],
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def top_level_names(dist: md.Distribution) -> set[str]:
    """Import names a distribution provides (first path component of its files, or top_level.txt)."""
    names: set[str] = set()
    for f in dist.files or []:
        parts = PurePosixPath(str(f)).parts
        if not parts or parts[0] == ".." or parts[0].endswith((".dist-info", ".egg-info", ".data")):
            continue
        if parts[0] == "__pycache__" or parts[0].endswith(".pth"):
            continue
        top = parts[0]
        if len(parts) == 1:
            if not top.endswith((".py", ".so", ".pyd")):
                continue
            top = top.split(".")[0]
        names.add(top)
    if not names:
        names = set((dist.read_text("top_level.txt") or "").split())
    return names


def provider_map(resolved: ResolvedSet) -> dict[str, str]:
    """Top-level import name → canonical distribution name, over a resolved set."""
    out: dict[str, str] = {}
    for key, dist in resolved.dists.items():
        for name in top_level_names(dist):
            out.setdefault(name, key)
    return out
