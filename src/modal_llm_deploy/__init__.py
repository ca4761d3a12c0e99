"""modal-llm-deploy: deploy very large open LLMs on Modal with SGLang.

    from modal_llm_deploy import build_app, load_profile
    app = build_app(load_profile("glm51_fp8"))

The core is pure data: ``Profile`` (pydantic) → ``build_plan`` → ``DeploymentPlan``. Only
``build_app`` (in ``modal_app``) imports Modal.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .hookspecs import hookimpl
from pydantic import ValidationError

from .overrides import (
    FILE_ENV,
    SET_ENV,
    OverrideError,
    apply_overrides,
    env_overrides,
    format_validation_error,
    load_overrides_file,
)
from .plan import DeploymentPlan, build_plan
from .plugins import PluginError, UnknownProfileError, get_registered, list_profiles
from .profile import Profile

if TYPE_CHECKING:
    import modal

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

    return " / ".join(v for v in (FILE_ENV, SET_ENV) if os.environ.get(v, "").strip())


def build_app(profile: Profile) -> "modal.App":
    """Render ``profile`` into a ``modal.App`` (download_model, compile_deepgemm, verify_setup,
    the server, and a local entrypoint running the three setup steps)."""
    from .modal_app import build_app as _build_app

    return _build_app(profile)


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
