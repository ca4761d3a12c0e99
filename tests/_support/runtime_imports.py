"""Which imports does each container role perform? Read from the source, not hard-coded.

``modal_llm_deploy.modal_adapter.runtime`` imports its steps lazily, inside each entry point, so that an
image only needs what its own roles use. This module walks modal_adapter/runtime.py's AST from a role's
entry point (following references to runtime's own module-level helpers such as
``kernel_expectation`` and ``_fail``), collects the imports found there, and then scans every
library module reached that way *in full* (module level and function bodies, transitively),
so a lazy ``from huggingface_hub import snapshot_download`` inside a step function is checked
too. Imports under ``if TYPE_CHECKING:`` and imports guarded by ``except ImportError`` are
not requirements and are skipped.
"""

from __future__ import annotations

import ast
import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path

# CPython 3.11 raises a spurious "SystemError: AST constructor recursion depth mismatch" when
# ast.parse runs in several threads at once (python/cpython#106905); test_container_imports
# checks its cases in a thread pool, so parsing is serialized here.
_PARSE_LOCK = threading.Lock()


def _parse(source: str) -> ast.Module:
    with _PARSE_LOCK:
        return ast.parse(source)

LIBRARY = "modal_llm_deploy"
RUNTIME = f"{LIBRARY}.modal_adapter.runtime"

# Unit role (plan.units[*].role) → the runtime object Modal imports and runs for it.
ROLE_ENTRY = {
    "download": "download_model",
    "compile": "compile_deepgemm",
    "verify": "verify_setup",
    "serve": "SGLangServer",
    "bench": "bench",
    "keep_warm": "keep_warm",
    "eval": "eval_accuracy",
    "preflight": "preflight_hub",
}


@dataclass
class Imports:
    # module → attribute names imported from it ("from m import a, b"); an empty set = "import m"
    modules: dict[str, set[str]] = field(default_factory=dict)

    def add(self, module: str, names: tuple[str, ...] = ()) -> None:
        self.modules.setdefault(module, set()).update(names)

    def as_list(self) -> list[list]:
        return [[m, sorted(n)] for m, n in sorted(self.modules.items())]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _catches_import_error(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        types = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        for t in types:
            if isinstance(t, ast.Name) and t.id in ("ImportError", "ModuleNotFoundError"):
                return True
    return False


def _walk(node: ast.AST):
    """ast.walk that skips TYPE_CHECKING blocks and optional (try/except ImportError) imports."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, ast.If) and _is_type_checking(n.test):
            stack.extend(n.orelse)
            continue
        if isinstance(n, ast.Try) and _catches_import_error(n.handlers):
            stack.extend(n.handlers + n.orelse + n.finalbody)
            continue
        stack.extend(ast.iter_child_nodes(n))


def _module_package(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports_in(node: ast.AST, package: str, into: Imports) -> None:
    for n in _walk(node):
        if isinstance(n, ast.Import):
            for a in n.names:
                into.add(a.name)
        elif isinstance(n, ast.ImportFrom):
            base = importlib.util.resolve_name("." * n.level + (n.module or ""), package) if n.level else n.module
            if base == "__future__":
                continue
            into.add(base, tuple(a.name for a in n.names if a.name != "*"))


def source_path(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise LookupError(f"no Python source for {module}")
    return Path(spec.origin)


def _runtime_tree() -> tuple[ast.Module, dict[str, ast.AST]]:
    tree = _parse(source_path(RUNTIME).read_text())
    defs = {
        n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    return tree, defs


def role_imports(role: str) -> Imports:
    """Imports performed when Modal runs ``role``'s entry point in a container (beyond importing
    runtime itself), including everything the library modules they reach import lazily."""
    _, defs = _runtime_tree()
    entry = ROLE_ENTRY[role]
    if entry not in defs:
        raise LookupError(f"runtime.{entry} (entry point of role {role!r}) not found")
    package = LIBRARY  # modal_adapter/runtime.py lives directly in the package
    direct = Imports()
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        node = defs[name]
        _imports_in(node, package, direct)
        for n in ast.walk(node):  # references to runtime's own helpers
            if isinstance(n, ast.Name) and n.id in defs and n.id not in seen:
                todo.append(n.id)
    # Scan every library module reached, in full and transitively.
    out = Imports()
    library_todo: list[str] = []
    for mod, names in direct.modules.items():
        out.add(mod, tuple(names))
        if mod == LIBRARY or mod.startswith(LIBRARY + "."):
            library_todo.append(mod)
            # "from .steps import x" may name a submodule
            for nm in names:
                if importlib.util.find_spec(mod) and _is_submodule(f"{mod}.{nm}"):
                    library_todo.append(f"{mod}.{nm}")
    scanned: set[str] = set()
    while library_todo:
        mod = library_todo.pop()
        if mod in scanned or mod == RUNTIME:
            continue
        scanned.add(mod)
        path = source_path(mod)
        found = Imports()
        _imports_in(_parse(path.read_text()), _module_package(mod, path), found)
        for m, names in found.modules.items():
            out.add(m, tuple(names))
            if m == LIBRARY or m.startswith(LIBRARY + "."):
                library_todo.append(m)
                for nm in names:
                    if _is_submodule(f"{m}.{nm}"):
                        library_todo.append(f"{m}.{nm}")
    return out


def _is_submodule(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def module_imports(module: str) -> Imports:
    """Every import in ``module``'s source, module level and function bodies (not TYPE_CHECKING,
    not optional ``except ImportError`` ones), with relative imports resolved."""
    path = source_path(module)
    found = Imports()
    _imports_in(_parse(path.read_text()), _module_package(module, path), found)
    return found
