"""The architecture contract (pyproject.toml ``[tool.importlinter]``, docs/architecture.md "The
map"): layers whose imports point down only, a pure core, plain container steps, no circles.

Checked with import-linter on the installed source, imports under ``TYPE_CHECKING`` and inside
functions included; and shown to fail when one upward import is added to a copy of the tree.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "modal_llm_deploy"
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_the_contract_is_kept():
    r = _lint()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "6 kept, 0 broken" in r.stdout, r.stdout


def test_one_upward_import_breaks_it(tmp_path):
    """The contract can fail: the plan importing operate code (bench's constants, as it once
    did) is reported as broken, naming the import."""
    copy = tmp_path / "modal_llm_deploy"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    models = copy / "plan" / "models.py"
    models.write_text(models.read_text() + "\nfrom modal_llm_deploy.operate.bench import BENCH_MODULE  # noqa\n")
    r = _lint(pythonpath=tmp_path)
    assert r.returncode != 0, r.stdout
    assert "BROKEN" in r.stdout and "modal_llm_deploy.plan.models -> modal_llm_deploy.operate.bench" in r.stdout, r.stdout
    assert str(tmp_path) in subprocess.run(  # the lint ran on the copy, not on the installed tree
        [sys.executable, "-c", "import modal_llm_deploy; print(modal_llm_deploy.__file__)"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)}).stdout


def test_no_module_imports_its_own_package_init():
    """A package's ``__init__`` may re-export its modules; a module importing from its own
    package's (or an ancestor's) ``__init__`` closes a circle with that re-export."""
    graph = grimp.build_graph("modal_llm_deploy", include_external_packages=False)
    bad = sorted(
        (importer, imported)
        for importer in graph.modules
        for imported in graph.find_modules_directly_imported_by(importer)
        if importer.startswith(imported + ".")
    )
    assert not bad, bad


def _long_functions(limit: int = 80) -> list[str]:
    out = []
    for path in SRC.rglob("*.py"):
        if path.parent.name == "sglang" and path.parent.parent.name == "data":
            continue  # generated flag data
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                doc = ast.get_docstring(node) or ""
                if length > limit and "Long because" not in doc:
                    out.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_small_rooms():
    """No function over 80 lines unless its docstring says why ("Long because …")."""
    assert _long_functions() == []
