"""modal-llm-deploy: deploy very large open LLMs on Modal with SGLang.

    from modal_llm_deploy import build_app, load_profile
    app = build_app("glm51_fp8")

This module is the public API only: every name is defined in its layer (docs/architecture.md
has the map) and re-exported here. The core is pure data: ``Profile`` (``profile/``) →
``build_plan`` (``plan/``) → ``DeploymentPlan``; only the Modal adapter (``modal_adapter/``)
imports Modal.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import modal

    from modal_llm_deploy.base.envvars import FILE_ENV, SET_ENV
    from modal_llm_deploy.plan.build import build_plan
    from modal_llm_deploy.plan.models import DeploymentPlan
    from modal_llm_deploy.profile.hookspecs import hookimpl
    from modal_llm_deploy.profile.loader import load_profile
    from modal_llm_deploy.profile.model import Profile
    from modal_llm_deploy.profile.overrides import OverrideError, apply_overrides
    from modal_llm_deploy.profile.plugins import (
        PluginError,
        UnknownProfileError,
        list_profiles,
    )

# The public API, imported on first use (PEP 562 module __getattr__): a deploy script whose plan
# is stored (modal_adapter/plan_cache.py) builds its app from `build_app` and `setup_functions`
# alone and never loads pydantic, pluggy or the profiles (benchmarks/bench_import.py).
_LAZY = {
    "__version__": "base.version",
    "FILE_ENV": "base.envvars", "SET_ENV": "base.envvars",
    "hookimpl": "profile.hookspecs",
    "load_profile": "profile.loader",
    "Profile": "profile.model",
    "OverrideError": "profile.overrides", "apply_overrides": "profile.overrides",
    "PluginError": "profile.plugins", "UnknownProfileError": "profile.plugins", "list_profiles": "profile.plugins",
    "DeploymentPlan": "plan.models", "build_plan": "plan.build",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")




def build_app(
    profile: Profile | str,
    overrides: Mapping[str, Any] | None = None,
    file: str | Path | None = None,
) -> "modal.App":
    """Render a profile into a ``modal.App`` (download_model, compile_deepgemm, verify_setup,
    the server, and a local entrypoint running the three setup steps).

    ``profile`` is a ``Profile``, or a profile's name with optional ``overrides`` and ``file``
    applied as ``load_profile`` applies them (the environment's override variables included).
    Given a name, the validated plan is stored (modal_adapter/plan_cache.py) and reused while the library,
    the plugin, the installed packages and the overrides stay unchanged, so Modal's import of
    an unchanged deploy script does not validate the profile again."""
    from modal_llm_deploy.modal_adapter.render import build_app as _build_app

    try:
        return _build_app(profile, overrides, file)
    except Exception as exc:
        from modal_llm_deploy.modal_adapter.user_errors import user_error

        # A user's mistake, said in one line: under `modal deploy`/`modal run` a SystemExit with
        # that line (Modal's CLI prints it alone), from Python the catchable error without our
        # internal frames (modal_adapter/user_errors.py has why).
        err = user_error(exc, profile)
        if err is None:
            raise
        raise err from None


def setup_functions(app: "modal.App") -> tuple:
    """``(setup, download_model, compile_deepgemm, verify_setup)`` for module-level names in a
    deploy script, so ``modal run deploy.py::download_model`` finds them."""
    from modal_llm_deploy.modal_adapter.render import (
        setup_functions as _setup_functions,
    )

    return _setup_functions(app)


__all__ = [
    "FILE_ENV",
    "SET_ENV",
    "DeploymentPlan",
    "OverrideError",
    "PluginError",
    "Profile",
    "UnknownProfileError",
    "apply_overrides",
    "build_app",
    "build_plan",
    "hookimpl",
    "list_profiles",
    "load_profile",
    "setup_functions",
]
