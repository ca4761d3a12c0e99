"""Prove a plan's SGLang argv with the real argument parser of the pinned SGLang version.

SGLang flags drift between releases, so "does this argv parse?" can only be answered by the
parser of the exact version a profile pins. That parser runs on a CPU-only machine: SGLang is
installed with ``--no-deps`` into a private virtual environment, plus the few packages
``sglang.srt.server_args`` imports (about 45 s, 2.3 GB, once per version).

The check is stricter than argparse: every ``--flag`` must be a *full* option name. argparse
accepts unique prefixes (``--tp`` for ``--tp-size``) until a release adds a sibling flag and
the prefix turns ambiguous, which is exactly how ``--cuda-graph-max-bs`` broke.

``python -m sglang.compile_deep_gemm`` builds its parser from ``ServerArgs.add_cli_args`` plus
``CompileArgs.add_cli_args``. Importing that module needs CUDA-only packages, so we take the
``CompileArgs`` class from the installed module's own source (``ast``) and check that its
``__main__`` block still builds the parser that way; if the structure changes, the check says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

# What ``sglang.srt.server_args`` needs to import on a CPU-only machine (checked for 0.5.23).
# torch 2.13.0 is the CPU build; sglang itself pins a CUDA build we don't want here.
PARSER_DEPS = [
    "torch==2.13.0",
    "triton",
    "numpy",
    "msgspec",
    "orjson",
    "psutil",
    "pybase64",
    "requests",
    "packaging",
    "pillow",
    "starlette",
    "pydantic",
    "pyzmq",
    "tqdm",
    "ipython",
    "aiohttp",
]

# How the compile module's CompileArgs is obtained without importing it (it needs CUDA-only
# packages): shared by the argv checker and the flag-data generator (engine/flags.py).
COMPILE_ARGS_SNIPPET = r'''
import argparse, ast, json, importlib.util

def compile_args_class():
    spec = importlib.util.find_spec("sglang.compile_deep_gemm")
    src = open(spec.origin).read()
    tree = ast.parse(src)
    main_calls = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for needed in ("ServerArgs.add_cli_args(parser)", "CompileArgs.add_cli_args(parser)"):
        if needed not in main_calls:
            raise SystemExit(json.dumps({"fatal": "sglang.compile_deep_gemm no longer builds its parser with " + needed}))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CompileArgs")
    ns = {}
    exec(compile(ast.Module(body=[ast.parse("import argparse, dataclasses").body[0], cls], type_ignores=[]), spec.origin, "exec"), ns)
    return ns["CompileArgs"]
'''

_CHECKER = COMPILE_ARGS_SNIPPET + r'''
import sys
from sglang.srt.server_args import ServerArgs

class ParseError(Exception):
    pass

class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ParseError(message)

def check(argv, with_compile):
    p = Parser(allow_abbrev=False)
    ServerArgs.add_cli_args(p)
    if with_compile:
        compile_args_class().add_cli_args(p)
    known = {o for a in p._actions for o in a.option_strings}
    problems = []
    for tok in argv:
        if tok.startswith("--"):
            name = tok.split("=", 1)[0]
            if name not in known:
                longer = sorted(k for k in known if k.startswith(name))
                if longer:
                    problems.append(f"{name}: not a full flag name (abbreviation of {', '.join(longer[:3])}): use the full name")
                else:
                    problems.append(f"{name}: not a flag of this SGLang version")
    try:
        ns = p.parse_args(argv)
    except ParseError as e:
        problems.append(str(e))
        ns = None
    values = {k: v for k, v in vars(ns).items() if isinstance(v, (str, int, float, bool, type(None)))} if ns else {}
    return {"ok": not problems, "problems": problems, "values": values}

req = json.load(sys.stdin)
import sglang
out = {"sglang_version": getattr(sglang, "__version__", None)}
for name, item in req.items():
    out[name] = check(item["args"], item["compile"])
print(json.dumps(out))
'''


class ParserEnvError(RuntimeError):
    pass


def sglang_env_python(version: str, env_dir: Path, deps: list[str], *, what: str, probe: str | None = None) -> Path:
    """The interpreter of a private venv holding ``sglang==version`` (``--no-deps``) plus
    ``deps``; created on first use, reused once complete. ``probe``: code that must run in it
    (e.g. an import) before the venv counts as complete."""
    py = Path(env_dir) / "bin" / "python"
    stamp = Path(env_dir) / ".complete"
    if stamp.exists() and py.exists():
        return py
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    for cmd in (pip + ["--no-deps", f"sglang=={version}"], pip + list(deps)):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            tail = (r.stderr or r.stdout).strip().splitlines()[-3:]
            raise ParserEnvError(f"installing the SGLang {version} {what} failed: {' | '.join(tail)}")
    if probe is not None:
        r = subprocess.run([str(py), "-c", probe], capture_output=True, text=True, cwd=str(env_dir))
        if r.returncode != 0:
            tail = r.stderr.strip().splitlines()[-3:]
            raise ParserEnvError(f"the SGLang {version} {what} in {env_dir} does not work: {' | '.join(tail)}")
    stamp.write_text(version + "\n")
    return py


def parser_env_python(version: str, root: Path) -> Path:
    """The interpreter of a private venv holding sglang==version's parser; created on first use."""
    return sglang_env_python(version, Path(root) / f"sglang-{version}", PARSER_DEPS, what="parser")


def strip_module_prefix(argv: list[str]) -> tuple[list[str], str]:
    """``[python3, -m, sglang.launch_server, --x, ...]`` → (``[--x, ...]``, module)."""
    if len(argv) >= 3 and argv[1] == "-m":
        return argv[3:], argv[2]
    raise ValueError(f"not a 'python -m module' argv: {argv[:3]}")


def check_argvs(python: Path | str, argvs: dict[str, list[str]]) -> dict[str, Any]:
    """Parse each ``python -m sglang.<module> ...`` argv with the real parser in ``python``.

    Returns ``{"sglang_version": ..., name: {"ok", "problems", "values"}}``.
    """
    req: dict[str, Any] = {}
    for name, argv in argvs.items():
        args, module = strip_module_prefix(argv)
        if module not in ("sglang.launch_server", "sglang.compile_deep_gemm"):
            raise ValueError(f"{name}: unexpected module {module}")
        req[name] = {"args": args, "compile": module == "sglang.compile_deep_gemm"}
    return run_in_parser(python, _CHECKER, req)


def run_in_parser(python: Path | str, script: str, request: Any) -> Any:
    """Run ``script`` in the parser interpreter with ``request`` as JSON on stdin; the script
    prints its JSON answer as the last stdout line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    r = subprocess.run(
        [str(python), "-c", script],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(python).parent,  # never pick up a local ./sglang directory
        timeout=300,
    )
    if r.returncode != 0:
        msg = r.stdout.strip() or r.stderr.strip().splitlines()[-1:]
        raise ParserEnvError(f"the SGLang parser could not run: {msg}")
    return json.loads(r.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # pragma: no cover - manual use
    print(json.dumps(check_argvs(sys.argv[1], json.loads(sys.stdin.read())), indent=2))
