"""The commands we print for the user to run next, carrying the overrides in effect.

A printed command (a verify fix line, a "next:" line, ``plan.commands``) must act on the same
deployment the user is looking at. The overrides in effect are derived, not tracked: they are
the dotted-key difference between the profile as its plugin registered it and the effective
profile, however the difference came about (``--set``, ``--file``, the environment variables,
or a deploy script calling ``load_profile(name, {...})``). Re-applying them is idempotent, so a
command that carries an override the environment also sets is still correct.

Two renderings:

* CLI commands: ``modal-llm-deploy download glm51_fp8 --weights-dir /abs --set k=v …``;
* ``modal run`` / ``modal deploy`` of a deploy script: the environment-variable prefix that
  ``load_profile`` reads, ``MODAL_LLM_DEPLOY_SET='k=v …' modal run script::download_model``.

Values are rendered so that ``overrides.parse_value`` reads them back unchanged (tested).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any, Iterable, Mapping

from modal_llm_deploy.profile.model import Profile
from modal_llm_deploy.profile.overrides import FREEFORM, SET_ENV, parse_value

CLI = "modal-llm-deploy"

# Overrides the local CLI steps add themselves from --weights-dir/--cache-dir/--python: a
# printed local command carries those options instead.
LOCAL_KEYS = frozenset({"storage.weights_mount", "storage.cache_mount", "engine.python"})

_MISSING = object()


def _flatten(d: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        path = prefix + (str(k),)
        # Sections are dicts; so are the free-form maps (engine.flags/env), whose entries are
        # overridden one key at a time. Any other dict value (none today) would be a leaf.
        if isinstance(v, Mapping) and (v or path in FREEFORM):
            out.update(_flatten(v, path))
        else:
            out[".".join(path)] = v
    return out


def overrides_between(base: Profile, effective: Profile) -> dict[str, Any]:
    """Dotted keys whose value differs, in field order; a free-form entry the effective profile
    dropped is ``None`` (``--set engine.flags.x=none`` removes it)."""
    a = _flatten(base.model_dump(mode="json"))
    b = _flatten(effective.model_dump(mode="json"))
    diff = {k: v for k, v in b.items() if a.get(k, _MISSING) != v}
    for k in a:
        # dropped entry; skip keys whose parent became a plain value (it is already in diff)
        if k not in b and not any(k.startswith(p + ".") for p in diff):
            diff[k] = None
    return diff


def overrides_in_effect(profile: Profile, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The overrides that turn the registered profile of this name into ``profile``; empty for
    a profile no installed plugin registers (nothing to diff against: printed commands then
    name the profile as is)."""
    from modal_llm_deploy.profile.plugins import registry

    reg = registry().get(profile.name)
    if reg is None:
        return {}
    skip = set(exclude)
    return {k: v for k, v in overrides_between(reg.profile, profile).items() if k not in skip}


def render_value(value: Any) -> str:
    """A value as ``--set`` reads it back (``overrides.parse_value``): bare words stay bare,
    anything TOML would read differently is written as a TOML literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if parse_value(value) == value else json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(json.dumps(v) if isinstance(v, str) else render_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {render_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render override value {value!r}")


def set_items(overrides: Mapping[str, Any]) -> list[str]:
    """``["k=v", …]``: the arguments that follow ``--set``, one per override."""
    return [f"{k}={render_value(v)}" for k, v in overrides.items()]


def cli_set_args(overrides: Mapping[str, Any]) -> str:
    """`` --set k=v …`` (shell-quoted, leading space) or ``""``."""
    return "".join(f" --set {shlex.quote(item)}" for item in set_items(overrides))


def env_prefix(overrides: Mapping[str, Any]) -> str:
    """``MODAL_LLM_DEPLOY_SET='k=v …' `` (trailing space) or ``""``: what ``load_profile``
    reads when Modal imports the deploy script."""
    if not overrides:
        return ""
    value = shlex.join(set_items(overrides))
    if "'" in value:
        # shlex.quote would give '"'"' soup; a double-quoted word reads better, same meaning
        quoted = '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'
    else:
        quoted = shlex.quote(value)
    return f"{SET_ENV}={quoted} "


def plan_commands(profile: Profile) -> dict[str, str]:
    """``plan.commands``: the ``modal run``/``modal deploy`` lines for the profile's deploy
    script, and the equivalent CLI lines (``setup_cli``, ``deploy_cli``), with the overrides."""
    ov = overrides_in_effect(profile)
    env, script, sets = env_prefix(ov), shlex.quote(profile.deploy_script), cli_set_args(ov)
    return {
        "download": f"{env}modal run {script}::download_model",
        "compile": f"{env}modal run {script}::compile_deepgemm",
        "verify": f"{env}modal run {script}::verify_setup",
        "setup": f"{env}modal run {script}",
        "deploy": f"{env}modal deploy {script}",
        "setup_cli": f"{CLI} setup {profile.name}{sets}",
        "deploy_cli": f"{CLI} deploy {profile.name}{sets}",
        # what fix lines name after the deploy (smoke, bench, cold-start warnings): with the
        # overrides too, or they would read/scale the un-overridden app (e.g. --set app_name=…)
        "logs_cli": f"{CLI} logs {profile.name}{sets}",
        "scale_cli": f"{CLI} scale {profile.name}{sets}",
    }


# --- preflight (issue 16): the fix lines of its checklist ------------------------------------


def cli_command(verb: str, profile: Profile, extra: Mapping[str, Any] | None = None) -> str:
    """``modal-llm-deploy <verb> <profile> --set …``: the overrides in effect plus ``extra`` (a
    fix's own change, e.g. ``{"engine.expert_parallel_size": 8}``), later keys winning."""
    ov = {**overrides_in_effect(profile), **(extra or {})}
    return f"{CLI} {verb} {profile.name}{cli_set_args(ov)}"


def secret_create_command(name: str, keys: Iterable[str]) -> str:
    """``modal secret create NAME 'KEY=<value>' …`` with placeholders: a secret's value is never
    printed (the user types it)."""
    items = " ".join(shlex.quote(f"{k}=<{k.lower().replace('_', ' ')}>") for k in keys)
    return f"modal secret create {shlex.quote(name)} {items}"


def preflight_fixes(profile: Profile) -> dict[str, str]:
    """The commands preflight's ✗ rows name: re-run it, set up, log in to Modal, create a secret."""
    s = profile.secrets
    return {
        "rerun": cli_command("preflight", profile),
        "setup": cli_command("setup", profile),
        "modal_token": "modal token new",
        "hf_secret": (secret_create_command(s.hf_token_secret, [s.hf_token_env]) if s.hf_token_secret
                      else cli_command("preflight", profile, {"secrets.hf_token_secret": "huggingface-secret"})),
        "set_repo": cli_command("preflight", profile, {"model.repo_id": "<owner/name>"}),
        "set_revision": cli_command("preflight", profile, {"model.revision": "<branch, tag or 40-hex sha>"}),
    }


def local_command(step: str, profile: Profile, weights_dir: Path, cache_dir: Path | None = None) -> str:
    """A local CLI step on the same directories (absolute, so it works from any directory) and
    the same overrides, e.g. verify's fix line ``modal-llm-deploy download glm51_fp8
    --weights-dir /abs/weights --set model.repo_id=acme/X``."""
    dirs = f" --weights-dir {shlex.quote(str(Path(weights_dir).resolve()))}"
    if cache_dir is not None:
        dirs += f" --cache-dir {shlex.quote(str(Path(cache_dir).resolve()))}"
    sets = cli_set_args(overrides_in_effect(profile, exclude=LOCAL_KEYS))
    return f"{CLI} {step} {profile.name}{dirs}{sets}"
