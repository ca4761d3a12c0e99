"""modal-llm-deploy: deploy very large open LLMs on Modal with SGLang.

    from modal_llm_deploy import build_app, load_profile
    app = build_app(load_profile("glm51_fp8"))

The core is pure data: ``Profile`` (pydantic) → ``build_plan`` → ``DeploymentPlan``. Only
``build_app`` (in ``modal_app``) imports Modal.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import modal

    from .hookspecs import hookimpl
    from .overrides import FILE_ENV, SET_ENV, OverrideError, apply_overrides
    from .plan import DeploymentPlan, build_plan
    from .plugins import PluginError, UnknownProfileError, list_profiles
    from .profile import Profile

# Imported on first use (PEP 562 module __getattr__): a deploy script whose plan is stored
# (plan_cache.py) builds its app from `build_app` and `setup_functions` alone and never loads
# pydantic, pluggy or the profiles (benchmarks/bench_import.py).
_LAZY = {
    "hookimpl": "hookspecs",
    "FILE_ENV": "envvars", "SET_ENV": "envvars",
    "OverrideError": "overrides", "apply_overrides": "overrides",
    "DeploymentPlan": "plan", "build_plan": "plan",
    "PluginError": "plugins", "UnknownProfileError": "plugins", "list_profiles": "plugins",
    "Profile": "profile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"


def load_profile(
    name: str,
    overrides: Mapping[str, Any] | None = None,
    file: str | Path | None = None,
) -> Profile:
    """The named profile from the installed plugins, with overrides applied and re-validated.

    In order, later wins: the environment's ``MODAL_LLM_DEPLOY_FILE`` (a TOML file) and
    ``MODAL_LLM_DEPLOY_SET`` (``KEY=VALUE`` items, as after ``--set``), so ``modal run`` /
    ``modal deploy`` of an unedited deploy script take overrides too; then ``file`` (a TOML
    file, nested tables or dotted keys); then ``overrides``, dotted keys
    (``{"serving.max_containers": 5}``).
    Raises UnknownProfileError, OverrideError, or pydantic.ValidationError.
    """
    from pydantic import ValidationError

    from .overrides import OverrideError, apply_overrides, env_overrides, format_validation_error, load_overrides_file
    from .plugins import get_registered

    profile = get_registered(name).profile
    from_env = env_overrides()
    if from_env:
        try:
            profile = apply_overrides(profile, from_env)
        except (OverrideError, ValidationError) as exc:
            # Named after the variable: under `modal deploy` nothing else says where it came from.
            msg = format_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
            raise OverrideError(f"{_env_source()}: {msg}") from None
    if file is not None:
        profile = apply_overrides(profile, load_overrides_file(file))
    if overrides:
        profile = apply_overrides(profile, overrides)
    return profile


def _env_source() -> str:
    import os

    from .envvars import FILE_ENV, SET_ENV

    return " / ".join(v for v in (FILE_ENV, SET_ENV) if os.environ.get(v, "").strip())


def build_app(
    profile: Profile | str,
    overrides: Mapping[str, Any] | None = None,
    file: str | Path | None = None,
) -> "modal.App":
    """Render a profile into a ``modal.App`` (download_model, compile_deepgemm, verify_setup,
    the server, and a local entrypoint running the three setup steps).

    ``profile`` is a ``Profile``, or a profile's name with optional ``overrides`` and ``file``
    applied as ``load_profile`` applies them (the environment's override variables included).
    Given a name, the validated plan is stored (plan_cache.py) and reused while the library,
    the plugin, the installed packages and the overrides stay unchanged, so Modal's import of
    an unchanged deploy script does not validate the profile again."""
    from .modal_app import build_app as _build_app

    try:
        return _build_app(profile, overrides, file)
    except Exception as exc:
        from .overrides import OverrideError
        from .plugins import PluginError, UnknownProfileError

        if isinstance(exc, (OverrideError, PluginError, UnknownProfileError)):
            # A user's mistake, said in one line: under `modal deploy` Modal prints the frames
            # from the script down, so start them here, not in the plan cache's internals.
            raise exc.with_traceback(None) from None
        if isinstance(profile, str) and _is_validation_error(exc):
            # A bad value in `overrides` or `file`: one line naming the field, as the
            # environment's overrides get, instead of pydantic's frames.
            from .overrides import format_validation_error

            raise OverrideError(f"{profile}: {format_validation_error(exc)}") from None
        raise


def _is_validation_error(exc: BaseException) -> bool:
    import sys

    pydantic = sys.modules.get("pydantic")  # only loaded if something was validated
    return pydantic is not None and isinstance(exc, pydantic.ValidationError)


def setup_functions(app: "modal.App") -> tuple:
    """``(setup, download_model, compile_deepgemm, verify_setup)`` for module-level names in a
    deploy script, so ``modal run deploy.py::download_model`` finds them."""
    from .modal_app import setup_functions as _setup_functions

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
