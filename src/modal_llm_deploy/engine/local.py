"""The engine where it runs locally: the local ``compile``/``serve`` commands run SGLang from the
user's own interpreter (``--python``), and a profile's flags are proven for one SGLang release
only (``engine.sglang_version``: flag data, parser test, known-bad table). A different installed
release would get flags it may not know or may read differently, and fail minutes into a GPU
run, or not fail at all. So the commands compare first and refuse a mismatch with one line.

``pip install 'modal-llm-deploy[serve]'`` installs the release the bundled profiles pin.

The version is read from the files of the ``sglang`` package that interpreter would import,
without importing it (importing SGLang pulls in torch and CUDA libraries: seconds, and it may
fail for unrelated reasons): ``sglang/_version.py`` (written by setuptools-scm at build time;
what sglang 0.5.23's ``sglang/version.py`` reads first), else a ``__version__`` in
``sglang/__init__.py``, else the installed distribution's metadata.
"""

from __future__ import annotations

import json
import subprocess

_PROBE = r'''
import importlib.util, importlib.metadata, json, os, re
pat = re.compile(r"^__version__\s*=\s*(?:\w+\s*=\s*)*['\"]([^'\"]+)['\"]", re.M)
spec = importlib.util.find_spec("sglang")
out = {"found": spec is not None and spec.origin is not None, "version": None, "where": None}
if out["found"]:
    d = os.path.dirname(spec.origin)
    out["where"] = d
    for fn in ("_version.py", "__init__.py"):
        p = os.path.join(d, fn)
        if os.path.isfile(p):
            m = pat.search(open(p, encoding="utf-8").read())
            if m:
                out["version"] = m.group(1)
                break
    if out["version"] is None:
        try:
            out["version"] = importlib.metadata.version("sglang")
        except importlib.metadata.PackageNotFoundError:
            pass
print(json.dumps(out))
'''

INSTALL_HINT = "pip install 'modal-llm-deploy[serve]'"


def installed_sglang(python: str) -> dict:
    """``{"found", "version", "where"}`` for the sglang that ``python`` would import."""
    try:
        r = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"found": False, "version": None, "where": None, "error": f"cannot run {python}: {exc}"}
    if r.returncode != 0:
        tail = (r.stderr.strip().splitlines() or ["no output"])[-1]
        return {"found": False, "version": None, "where": None, "error": f"{python} failed: {tail}"}
    return json.loads(r.stdout.strip().splitlines()[-1])


def version_mismatch(python: str, expected: str) -> str | None:
    """None if ``python`` has SGLang ``expected``; else the one-line reason to refuse."""
    got = installed_sglang(python)
    if got.get("error"):
        return f"{got['error']}; the local engine needs SGLang {expected} ({INSTALL_HINT}, or --python)"
    if not got["found"]:
        return (f"{python} has no SGLang: this profile needs SGLang {expected} "
                f"({INSTALL_HINT}, or point --python at an interpreter that has it)")
    if got["version"] != expected:
        return (f"{python} has SGLang {got['version'] or 'of unknown version'} ({got['where']}) but the "
                f"profile's flags are proven for {expected} only (engine.sglang_version): install it with "
                f"{INSTALL_HINT} or pip install 'sglang[all]=={expected}', or use a profile for your version")
    return None
