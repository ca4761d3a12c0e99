"""``load_profile``: a registered profile by name, with the overrides in effect applied.

The one way every entry point (the CLI, ``build_app`` from a deploy script, the plan cache)
turns a name into a validated ``Profile``, so all of them read the same overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from modal_llm_deploy.profile.model import Profile


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

    from modal_llm_deploy.profile.overrides import (
        OverrideError,
        apply_overrides,
        env_overrides,
        format_validation_error,
        load_overrides_file,
    )
    from modal_llm_deploy.profile.plugins import get_registered

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

    from modal_llm_deploy.base.envvars import FILE_ENV, SET_ENV

    return " / ".join(v for v in (FILE_ENV, SET_ENV) if os.environ.get(v, "").strip())
