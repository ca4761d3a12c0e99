"""The container-side import works with only what each image declares.

A dependency missing from an image shows up as ImportError in a paid GPU container, minutes
after the deploy. Prove it offline instead: for every bundled profile and every image in its
plan, rebuild the image's Python environment from its declaration alone —
``pip`` + ``provided_by_base`` + the ``modal`` client Modal installs everywhere (each with its
transitive runtime requirements), plus ``local_python_sources`` as Modal mounts them — and in a
``python -I -S`` subprocess that sees nothing else, import ``modal_llm_deploy.modal_adapter.runtime`` the way
Modal does and perform every import the image's unit roles perform (read from modal_adapter/runtime.py's
lazy imports and the step modules they reach; see _support/runtime_imports.py), then call
``current_plan()``, ``kernel_expectation(plan)`` and ``fixes_for(plan)`` on the real plan JSON.

Negative controls drop one declared distribution and must fail with ModuleNotFoundError: the
harness really isolates.

What this cannot see: packages the real base image has beyond what the plan declares (the
SGLang image has far more than pydantic and huggingface-hub), and markers evaluated for a
different Python/platform than the dev environment's. Both only make the real image *more*
permissive than this check.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from _support.image_site import (
    MODAL_CLIENT,
    ResolvedSet,
    build_site,
    canonical,
    provider_map,
    run_isolated,
    top_level_names,
)
from _support.runtime_imports import ROLE_ENTRY, module_imports, role_imports
from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.plan.models import PLAN_ENV, DeploymentPlan, ImagePlan

BUNDLED = ("glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2")
CASES = [(p, i) for p in BUNDLED for i in ("download", "sglang")]

# The step module each role must import (guards the AST scan against finding nothing).
ROLE_STEP = {
    "download": "modal_llm_deploy.steps.download",
    "compile": "modal_llm_deploy.steps.deepgemm",
    "verify": "modal_llm_deploy.steps.verify",
    "serve": "modal_llm_deploy.steps.serve",
    "bench": "modal_llm_deploy.operate.bench",
    "keep_warm": "modal_llm_deploy.operate.keep_warm",
    "eval": "modal_llm_deploy.operate.evalgate",
    "preflight": "modal_llm_deploy.operate.preflight.hub",
}

# Runs inside the isolated interpreter. argv[1]: JSON spec. Prints one JSON line on success.
CHILD = r"""
import importlib, json, os, sys

spec = json.loads(sys.argv[1])
allowed = tuple(sys.path)

# What Modal does first: import the module that defines the function/class by name.
import modal_llm_deploy.modal_adapter.runtime as runtime

for role in spec["roles"]:
    getattr(runtime, spec["entries"][role])

plan = runtime.current_plan()
assert plan.profile == spec["profile"], (plan.profile, spec["profile"])
kernel = runtime.kernel_expectation(plan)
fixes = runtime.fixes_for(plan)
assert (kernel is None) == (not plan.kernel_cache.enabled)

for module, names in spec["imports"]:
    m = importlib.import_module(module)
    for name in names:
        if not hasattr(m, name):  # "from pkg import submodule"
            importlib.import_module(f"{module}.{name}")

for module in spec["local_python_sources"]:
    importlib.import_module(module)

import modal
leaks = sorted(
    f"{n}: {m.__file__}"
    for n, m in list(sys.modules.items())
    if getattr(m, "__file__", None) and not m.__file__.startswith(allowed)
)
ours = tuple(spec["local_python_sources"])
library_modules = sorted(n for n in sys.modules if n.split(".")[0] in ours)
print(json.dumps({"ok": True, "modal": modal.__version__, "leaks": leaks, "library_modules": library_modules}))
"""


@pytest.fixture(scope="module")
def plans() -> dict[str, DeploymentPlan]:
    return {name: build_plan(load_profile(name)) for name in BUNDLED}


@pytest.fixture(scope="module")
def site_for(tmp_path_factory):
    """Build (once per distinct declaration) an image site; returns (site dir, resolved set)."""
    cache: dict[tuple, tuple[Path, ResolvedSet]] = {}

    def get(declared: list[str], sources: list[str]) -> tuple[Path, ResolvedSet]:
        key = (tuple(sorted(declared)), tuple(sources))
        if key not in cache:
            root = tmp_path_factory.mktemp("image")
            site = root / "site"
            cache[key] = (site, build_site(site, declared, sources))
        return cache[key]

    return get


def declared(img: ImagePlan) -> list[str]:
    return [*img.pip, *img.provided_by_base]


def req_name(requirement: str) -> str:
    return canonical(Requirement(requirement).name)


def roles_of(plan: DeploymentPlan, image: str) -> list[str]:
    return sorted({u.role for u in plan.units if u.image == image})


def child_spec(plan: DeploymentPlan, image: str) -> tuple[dict, dict[str, str]]:
    roles = roles_of(plan, image)
    imports: dict[str, set[str]] = {}
    for role in roles:
        for mod, names in role_imports(role).modules.items():
            imports.setdefault(mod, set()).update(names)
    spec = {
        "profile": plan.profile,
        "roles": roles,
        "entries": ROLE_ENTRY,
        "imports": [[m, sorted(n)] for m, n in sorted(imports.items())],
        "local_python_sources": plan.images[image].local_python_sources,
    }
    # The container's environment: the plan, the image env and each unit's env (HF_HUB_OFFLINE
    # etc. are read by huggingface_hub at import time).
    env = dict(plan.images[image].env)
    for u in plan.units:
        if u.image == image:
            env.update(u.env)
    env[PLAN_ENV] = plan.model_dump_json()
    return spec, env


def run_child(plan: DeploymentPlan, image: str, site: Path):
    spec, env = child_spec(plan, image)
    return run_isolated(CHILD, site, json.dumps(spec), env=env), spec


@pytest.fixture(scope="module")
def image_run(plans, site_for):
    """(profile, image) → (completed child process, site, resolved set), run once each."""
    cache: dict[tuple[str, str], tuple] = {}

    def one(profile: str, image: str):
        plan = plans[profile]
        img = plan.images[image]
        site, resolved = site_for(declared(img), img.local_python_sources)
        proc, _ = run_child(plan, image, site)
        return proc, site, resolved

    def get(profile: str, image: str):
        if not cache:  # first use: build the sites, then run every case's child in parallel
            for p, i in CASES:
                site_for(declared(plans[p].images[i]), plans[p].images[i].local_python_sources)
            with ThreadPoolExecutor(max_workers=len(CASES)) as pool:
                for case, result in zip(CASES, pool.map(lambda c: one(*c), CASES)):
                    cache[case] = result
        if (profile, image) not in cache:
            cache[profile, image] = one(profile, image)
        return cache[profile, image]

    return get


@pytest.mark.parametrize("profile,image", CASES)
def test_image_declares_everything_its_roles_import(plans, image_run, profile, image):
    plan = plans[profile]
    img = plan.images[image]
    roles = roles_of(plan, image)
    assert roles, f"no unit of {profile} uses image {image!r}"

    # The scan of modal_adapter/runtime.py found the step module of every role (and the hub client for download).
    for role in roles:
        assert ROLE_STEP[role] in role_imports(role).modules, (role, ROLE_STEP[role])
    if "download" in roles:
        assert "huggingface_hub" in role_imports("download").modules

    # The plugin's module travels with the library (the plan names it; Modal finds its files).
    assert img.local_python_sources[0] == "modal_llm_deploy"
    assert plan.plugin_module and plan.plugin_module.split(".")[0] in img.local_python_sources

    proc, site, resolved = image_run(profile, image)
    for name in declared(img):
        assert req_name(name) in resolved.dists
    assert proc.returncode == 0, (
        f"{profile}/{image} (roles {roles}) fails to import with only "
        f"{sorted(resolved.dists)} + {img.local_python_sources}:\n{proc.stderr[-3000:]}"
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"]
    # Nothing came from outside the stdlib and the image site (the isolation is real).
    assert result["leaks"] == []


def _undeclared_direct_imports(plan: DeploymentPlan, image: str, resolved, loaded: list[str]) -> dict[str, str]:
    img = plan.images[image]
    allowed = {req_name(r) for r in declared(img)} | {MODAL_CLIENT}
    providers = provider_map(resolved)
    ours = set(img.local_python_sources)
    spec, _ = child_spec(plan, image)
    # Imports our code performs: the role imports, plus everything in every library module the
    # container actually loaded (module level and lazy).
    names = {m for m, _ in spec["imports"]}
    for mod in loaded:
        names |= set(module_imports(mod).modules)
    bad: dict[str, str] = {}
    for name in sorted(names):
        top = name.split(".")[0]
        if top in ours or top in sys.stdlib_module_names:
            continue
        dist = providers.get(top)
        if dist not in allowed:
            bad[top] = f"provided by {dist} (not declared)" if dist else "provided by nothing in the image"
    return bad


@pytest.mark.parametrize("profile,image", CASES)
def test_third_party_modules_our_code_imports_are_declared_directly(plans, image_run, profile, image):
    """Stricter: every third-party module the library imports in this image belongs to a
    distribution the image declares (or to modal), not one that only arrives as somebody
    else's dependency (which may change under us when that dependency moves)."""
    proc, _, resolved = image_run(profile, image)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])["library_modules"]
    assert "modal_llm_deploy.modal_adapter.runtime" in loaded
    assert _undeclared_direct_imports(plans[profile], image, resolved, loaded) == {}


def _dropped_names(full, reduced) -> set[str]:
    """Import names that only the dropped distribution (or what only it pulled in) provided."""
    gone = set(full.dists) - set(reduced.dists)
    return {n for key in gone for n in top_level_names(full.dists[key])}


def _missing_module(stderr: str) -> str | None:
    m = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", stderr)
    return m.group(1) if m else None


def test_negative_control_sglang_image_without_pluggy_fails(plans, site_for):
    """Drop pluggy from the SGLang image's declared set: runtime's import of the library
    (hookspecs imports pluggy) must fail, so the harness cannot pass vacuously."""
    plan = plans["glm51_fp8"]
    img = plan.images["sglang"]
    reduced = [r for r in declared(img) if req_name(r) != "pluggy"]
    assert len(reduced) == len(declared(img)) - 1, declared(img)
    site, resolved = site_for(reduced, img.local_python_sources)
    assert "pluggy" not in resolved.dists  # nothing else in the image pulls it in
    proc, _ = run_child(plan, "sglang", site)
    assert proc.returncode != 0
    assert _missing_module(proc.stderr) == "pluggy", proc.stderr[-2000:]


def test_negative_control_download_image_without_hub_fails(plans, site_for):
    """Drop huggingface-hub from the download image: the download step's imports must fail
    on a module that only huggingface-hub brought (proves the role's step imports are
    exercised, not just runtime's own)."""
    plan = plans["glm51_fp8"]
    img = plan.images["download"]
    full_site, full = site_for(declared(img), img.local_python_sources)
    reduced_decl = [r for r in declared(img) if req_name(r) != "huggingface-hub"]
    assert len(reduced_decl) == len(declared(img)) - 1, declared(img)
    site, reduced = site_for(reduced_decl, img.local_python_sources)
    assert "huggingface-hub" not in reduced.dists
    gone = _dropped_names(full, reduced)
    assert "huggingface_hub" in gone
    proc, _ = run_child(plan, "download", site)
    assert proc.returncode != 0
    missing = _missing_module(proc.stderr)
    assert missing and missing.split(".")[0] in gone, proc.stderr[-2000:]
