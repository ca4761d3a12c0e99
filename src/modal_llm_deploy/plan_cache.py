"""A deploy script's plan, validated once and reused while its inputs stay the same.

Modal imports the deploy script on every ``modal run`` and ``modal deploy``. Validating the
profile and building the plan with pydantic cost more CPU there than building every Modal
object of the app (benchmarks/bench_import.py, issue 7). But the plan is pure data, computed
from inputs this module can name:

* the library's and the profile plugin's source and data files: every file and directory
  under the packages the plan mounts into its images (``ImagePlan.local_python_sources``),
  so an edited, added or removed file counts;
* the installed distributions: the modification time of every ``sys.path`` directory that
  distributions are installed into, which changes when pip installs, upgrades or removes
  anything there (a new plugin, another modal);
* the profile name, the overrides given in code, the override variables
  (``MODAL_LLM_DEPLOY_SET``/``_FILE``) and the override files' contents (size and mtime);
* the interpreter (executable, version) and ``sys.path`` itself.

So the first build of a deploy script stores the plan's JSON with that list of inputs, the way
make and ccache record dependencies, and a later import that finds every input unchanged renders
the stored JSON (modal_app.render_json) without importing pydantic, the profile or the plugins.
Any change, or anything unreadable, is a miss: the plan is built and validated as before.

Not seen: a plugin whose profile depends on something outside its package (an environment
variable of its own, a file elsewhere, the clock). Profiles are data; for such a plugin set
``MODAL_LLM_DEPLOY_PLAN_CACHE=off``. Entries are written atomically and hold no secret (a plan
names secrets, never their values).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from .envvars import CACHE_DIR_ENV, FILE_ENV, PLAN_CACHE_ENV, SET_ENV

FORMAT = 1
# A file modified this recently may change again within the same mtime tick and go unnoticed
# (ccache's "file too new" rule): such a build is not stored.
TOO_NEW_S = 2.0


def enabled() -> bool:
    return os.environ.get(PLAN_CACHE_ENV, "").strip().lower() not in ("0", "off", "false", "no")


def cache_dir() -> Path:
    given = os.environ.get(CACHE_DIR_ENV, "").strip()
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modal-llm-deploy"


def _key(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None, version: str) -> str:
    parts = [
        FORMAT, version, name,
        json.dumps(dict(overrides or {}), sort_keys=True, default=repr),
        os.path.abspath(file) if file is not None else None,
        os.environ.get(SET_ENV, ""), os.environ.get(FILE_ENV, ""),
        sys.executable, sys.version, sys.path, os.getcwd(),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _version() -> str:
    from . import __version__

    return __version__


def _entry_path(key: str) -> Path:
    return cache_dir() / "plans" / f"{key}.json"


def _stat(path: str) -> list:
    st = os.stat(path)
    return [path, st.st_mtime_ns, st.st_size if not os.path.isdir(path) else -1]


def lookup(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None,
           version: str) -> str | None:
    """The stored plan JSON when every recorded input is unchanged; None otherwise."""
    if not enabled():
        return None
    try:
        entry = json.loads(_entry_path(_key(name, overrides, file, version)).read_text("utf-8"))
        if entry.get("format") != FORMAT:
            return None
        for path, mtime_ns, size in entry["deps"]:
            if _stat(path) != [path, mtime_ns, size]:
                return None
        plan = entry["plan"]
        return plan if isinstance(plan, str) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no entry, or one we cannot trust: build the plan


def _package_files(import_name: str) -> Iterable[str]:
    """Every file and directory (``__pycache__`` aside) of the top-level package or module."""
    import importlib.util

    spec = importlib.util.find_spec(import_name.split(".")[0])
    if spec is None:
        return
    if spec.submodule_search_locations:
        for root in spec.submodule_search_locations:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
                yield dirpath
                for f in sorted(filenames):
                    yield os.path.join(dirpath, f)
    elif spec.origin and os.path.exists(spec.origin):
        yield spec.origin


_DIST_METADATA = (".dist-info", ".egg-info", ".egg-link", ".pth")


def _install_dirs() -> list[str]:
    """The ``sys.path`` directories distributions are installed into (they hold ``.dist-info``
    and the like): pip adds or removes an entry there on every install, upgrade and uninstall,
    which moves the directory's mtime. Other ``sys.path`` directories (the deploy script's, the
    current one) change for unrelated reasons and would only cause needless rebuilds."""
    out = []
    for p in sys.path:
        p = os.path.abspath(p or ".")
        try:
            if os.path.isdir(p) and any(n.endswith(_DIST_METADATA) for n in os.listdir(p)):
                out.append(p)
        except OSError:
            continue
    return out


def dependencies(packages: Iterable[str], files: Iterable[str | os.PathLike]) -> list[list]:
    """(path, mtime_ns, size or -1 for a directory) of every input of a plan."""
    paths: list[str] = []
    for pkg in dict.fromkeys(packages):
        paths.extend(_package_files(pkg))
    paths.extend(_install_dirs())
    paths.extend(os.path.abspath(f) for f in files)
    return [_stat(p) for p in dict.fromkeys(paths)]


def store(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None, version: str,
          plan_json: str, packages: Iterable[str]) -> bool:
    """Record ``plan_json`` for these inputs. False (and nothing written) when the cache is off,
    an input changed moments ago, or the cache directory is not writable: only a cache."""
    if not enabled():
        return False
    override_files = [f for f in (os.environ.get(FILE_ENV, "").strip(), file) if f]
    try:
        deps = dependencies(packages, override_files)
        newest = max(mtime for _, mtime, _ in deps) / 1e9
        if time.time() - newest < TOO_NEW_S:
            return False
        path = _entry_path(_key(name, overrides, file, version))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"format": FORMAT, "profile": name, "deps": deps, "plan": plan_json}, fh)
            os.replace(tmp, path)  # readers see the old entry or the new one, never half of one
        except BaseException:
            os.unlink(tmp)
            raise
        return True
    except OSError:
        return False


def cached_plan_json(name: str, overrides: Mapping[str, Any] | None = None,
                     file: str | os.PathLike | None = None) -> str:
    """The plan JSON of profile ``name`` with these overrides (as ``load_profile`` applies
    them): stored, when every input is unchanged; otherwise built, validated and stored."""
    hit = lookup(name, overrides, file, _version())
    if hit is not None:
        return hit
    from . import load_profile
    from .plan import build_plan

    plan = build_plan(load_profile(name, overrides, file))
    plan_json = plan.model_dump_json()
    mounted = [src for img in plan.images.values() for src in img.local_python_sources]
    store(name, overrides, file, _version(), plan_json, ["modal_llm_deploy", *mounted])
    return plan_json
