"""A deploy script's plan, validated once and reused while its inputs stay the same.

Modal imports the deploy script on every ``modal run`` and ``modal deploy``. Validating the
profile and building the plan with pydantic cost more CPU there than building every Modal
object of the app (benchmarks/bench_import.py, issue 7). But the plan is pure data, computed
from inputs this module can name:

* the library's and the profile plugin's source and data files: every file and directory
  under the packages the plan mounts into its images (``ImagePlan.local_python_sources``),
  so an edited, added or removed file counts;
* every other module the build imported, stdlib aside, with its directory: a helper package
  the plugin imports, the other plugins (the plugin scan imports them all, and one of them
  could claim the same profile name), pydantic itself;
* every ``sys.path`` entry's modification time, or its absence: pip installing, upgrading or
  removing a distribution changes site-packages, and a module placed next to the deploy
  script, which would now shadow a recorded one, changes the script's directory;
* the profile name, the overrides given in code (plain JSON data only: anything else is never
  cached), the override variables (``MODAL_LLM_DEPLOY_SET``/``_FILE``) and the override files;
* the interpreter (executable, version), ``sys.path`` itself and the working directory.

So the first build of a deploy script stores the plan's JSON with that list of inputs, the way
make and ccache record dependencies, and a later import that finds every input unchanged renders
the stored JSON (modal_app.render_json) without importing pydantic, the profile or the plugins.
Any change, or anything unreadable, is a miss: the plan is built and validated as before. A
build during which an input changed (or that read an input changed within the last
``TOO_NEW_S`` before it started) is not stored, as ccache does.

Not seen: a plugin whose profile depends on something outside its package (an environment
variable of its own, a file elsewhere, the clock). Profiles are data; for such a plugin set
``MODAL_LLM_DEPLOY_PLAN_CACHE=off``. Entries are written atomically and hold no secret (a plan
names secrets, never their values).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from modal_llm_deploy.base.envvars import (
    CACHE_DIR_ENV,
    FILE_ENV,
    PLAN_CACHE_ENV,
    SET_ENV,
)

FORMAT = 1
# A file modified this recently may change again within the same mtime tick and go unnoticed
# (ccache's "file too new" rule): such a build is not stored.
TOO_NEW_S = 2.0
# Entries not rewritten for this long are removed when another is stored.
MAX_AGE_S = 30 * 24 * 3600


def enabled() -> bool:
    return os.environ.get(PLAN_CACHE_ENV, "").strip().lower() not in ("0", "off", "false", "no")


def cache_dir() -> Path:
    given = os.environ.get(CACHE_DIR_ENV, "").strip()
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "modal-llm-deploy"


def _key(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None,
         version: str) -> str | None:
    """The entry's name; None when the overrides are not plain JSON data (a set, an object):
    their text could differ from run to run, so such a build is neither looked up nor stored."""
    try:
        given = json.dumps(dict(overrides or {}), sort_keys=True)
        parts = [
            FORMAT, version, name, given,
            os.path.abspath(file) if file is not None else None,
            os.environ.get(SET_ENV, ""), os.environ.get(FILE_ENV, ""),
            sys.executable, sys.version, sys.path, os.getcwd(),
        ]
    except (TypeError, ValueError, OSError):  # (OSError: the working directory was removed)
        return None
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:32]


def _version() -> str:
    from modal_llm_deploy.base.version import __version__

    return __version__


def _entry_path(key: str) -> Path:
    return cache_dir() / "plans" / f"{key}.json"


def _stat(path: str) -> list:
    """[path, mtime_ns, size] (size -1 for a directory); [path, None, None] when it does not
    exist, so a path that appears later (a module that now shadows another) is a change too."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return [path, None, None]
    return [path, st.st_mtime_ns, -1 if stat.S_ISDIR(st.st_mode) else st.st_size]


def lookup(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None,
           version: str) -> str | None:
    """The stored plan JSON when every recorded input is unchanged; None otherwise."""
    if not enabled():
        return None
    key = _key(name, overrides, file, version)
    if key is None:
        return None
    try:
        entry = json.loads(_entry_path(key).read_text("utf-8"))
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


def _module_files(names: Iterable[str]) -> Iterable[str]:
    """The file of each module named, and the directory holding it, stdlib aside (the
    interpreter's version is in the key): whatever the build imported beyond the mounted
    packages, such as a helper package a plugin imports, or another plugin that claims the
    same profile name (the plugin scan imports every plugin)."""
    import sysconfig

    stdlib = tuple(os.path.join(os.path.realpath(sysconfig.get_paths()[k]), "")
                   for k in ("stdlib", "platstdlib"))
    for name in names:
        f = getattr(sys.modules.get(name), "__file__", None)
        if f and not os.path.realpath(f).startswith(stdlib):
            yield os.path.abspath(f)
            yield os.path.dirname(os.path.abspath(f))


def _path_dirs() -> list[str]:
    """Every ``sys.path`` entry: a directory's mtime moves when an entry is added to or removed
    from it — pip installing, upgrading or removing a distribution in site-packages, a module
    placed next to the deploy script that would now shadow a recorded one (modal 1.6
    cli/import_refs.py puts the working directory, ``""``, and the script's directory first on
    sys.path before importing it). Entries that do not exist are recorded as missing."""
    return [os.path.abspath(p or ".") for p in sys.path]


def dependencies(packages: Iterable[str], files: Iterable[str | os.PathLike],
                 modules: Iterable[str] = ()) -> list[list]:
    """(path, mtime_ns, size or -1 for a directory; None, None when missing) of every input of
    a plan: the mounted packages' files, the modules ``modules`` names, ``sys.path``, ``files``."""
    paths: list[str] = []
    for pkg in dict.fromkeys(packages):
        paths.extend(_package_files(pkg))
    paths.extend(_module_files(modules))
    paths.extend(_path_dirs())
    paths.extend(os.path.abspath(f) for f in files)
    return [_stat(p) for p in dict.fromkeys(paths)]


def store(name: str, overrides: Mapping[str, Any] | None, file: str | os.PathLike | None, version: str,
          plan_json: str, packages: Iterable[str], modules: Iterable[str] = (), started: float | None = None) -> bool:
    """Record ``plan_json`` for these inputs. False (and nothing written) when the cache is off,
    an input changed since ``started - TOO_NEW_S`` (the build may have read it half-written or
    before a change within the same mtime tick), or the cache directory is not writable."""
    key = _key(name, overrides, file, version) if enabled() else None
    if key is None:
        return False
    override_files = [f for f in (os.environ.get(FILE_ENV, "").strip(), file) if f]
    started = time.time() if started is None else started
    try:
        deps = dependencies(packages, override_files, modules)
        newest = max((mtime for _, mtime, _ in deps if mtime is not None), default=0) / 1e9
        if newest >= started - TOO_NEW_S:
            return False
        path = _entry_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        _prune(path.parent)
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


def _prune(directory: Path) -> None:
    """Drop entries (and temp files of killed writers) not written for MAX_AGE_S: each new
    sys.path, working directory or override set makes a new entry, and none is ever reused
    once its inputs change."""
    limit = time.time() - MAX_AGE_S
    for f in directory.iterdir():
        try:
            if f.suffix == ".json" and f.stat().st_mtime < limit:
                f.unlink()
        except OSError:
            continue


def cached_plan_json(name: str, overrides: Mapping[str, Any] | None = None,
                     file: str | os.PathLike | None = None) -> str:
    """The plan JSON of profile ``name`` with these overrides (as ``load_profile`` applies
    them): stored, when every input is unchanged; otherwise built, validated and stored."""
    hit = lookup(name, overrides, file, _version())
    if hit is not None:
        return hit
    from modal_llm_deploy.plan.build import build_plan
    from modal_llm_deploy.profile.loader import load_profile

    started, before = time.time(), set(sys.modules)
    plan = build_plan(load_profile(name, overrides, file))
    plan_json = plan.model_dump_json()
    mounted = [src for img in plan.images.values() for src in img.local_python_sources]
    store(name, overrides, file, _version(), plan_json, ["modal_llm_deploy", *mounted],
          modules=[m for m in sys.modules if m not in before], started=started)
    return plan_json
