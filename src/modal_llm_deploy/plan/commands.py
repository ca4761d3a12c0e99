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


def local_command(step: str, profile: Profile, weights_dir: Path, cache_dir: Path | None = None) -> str:
    """A local CLI step on the same directories (absolute, so it works from any directory) and
    the same overrides, e.g. verify's fix line ``modal-llm-deploy download glm51_fp8
    --weights-dir /abs/weights --set model.repo_id=acme/X``."""
    dirs = f" --weights-dir {shlex.quote(str(Path(weights_dir).resolve()))}"
    if cache_dir is not None:
        dirs += f" --cache-dir {shlex.quote(str(Path(cache_dir).resolve()))}"
    sets = cli_set_args(overrides_in_effect(profile, exclude=LOCAL_KEYS))
    return f"{CLI} {step} {profile.name}{dirs}{sets}"



def fix_commands(profile: Profile | None, changes: Mapping[str, Any], *, validate: bool = True,
                 name: str = "<PROFILE>") -> dict[str, str]:
    """A fix that changes profile fields (triage's fix lines): the commands for ``profile`` with
    ``changes`` (dotted keys) added to the overrides already in effect, so a command pasted as
    printed acts on the fixed values:

    * ``plan_cli``:   ``modal-llm-deploy plan glm51_fp8 --set k=v …`` (check it first);
    * ``deploy``:     ``MODAL_LLM_DEPLOY_SET='k=v …' modal deploy examples/glm51_deploy.py``;
    * ``deploy_cli``: ``modal-llm-deploy deploy glm51_fp8 --set k=v …``;
    * ``download``, ``compile``, ``verify``: the ``modal run`` steps, likewise;
    * ``logs_cli``:   ``modal-llm-deploy logs glm51_fp8 --set k=v …``.

    With ``validate`` the changed profile is validated first (raises as ``--set`` would); a
    value the user must choose (``<COMMIT_SHA>``) cannot be, so pass ``validate=False``.
    Without a profile (triage of a log with no ``--profile``) the script is named generically."""
    if profile is None:
        ov, script = dict(changes), "<deploy script>"
    else:
        if validate:
            from modal_llm_deploy.profile.overrides import apply_overrides

            apply_overrides(profile, changes)
        # re-setting a key the user already overrode: the later value wins, in its first place
        ov = {**overrides_in_effect(profile), **changes}
        script, name = shlex.quote(profile.deploy_script), profile.name
    env, sets = env_prefix(ov), cli_set_args(ov)
    return {
        "plan_cli": f"{CLI} plan {name}{sets}",
        "deploy": f"{env}modal deploy {script}",
        "deploy_cli": f"{CLI} deploy {name}{sets}",
        "download": f"{env}modal run {script}::download_model",
        "compile": f"{env}modal run {script}::compile_deepgemm",
        "verify": f"{env}modal run {script}::verify_setup",
        "logs_cli": f"{CLI} logs {name}{sets}",
    }


# --- the accuracy gate's lines (issue 17) -----------------------------------------------------


def eval_command(profile: Profile, tier: str = "quick", url: str | None = None) -> str:
    """``modal-llm-deploy eval PROFILE`` with the overrides in effect."""
    extra = (f" --tier {tier}" if tier != "quick" else "") + (f" --url {shlex.quote(url)}" if url else "")
    return f"{CLI} eval {profile.name}{extra}{cli_set_args(overrides_in_effect(profile))}"


def accuracy_fix_lines(profile: Profile) -> list[str]:
    """What to suspect when the gate fails, most likely first, each with the command to try:

    1. an accuracy knob the user overrode (``--set``/file/env): redeploy without it;
    2. the profile's own accuracy knobs: redeploy with SGLang's default for one of them;
    3. what the known-bad table rules out for this family (validation refused it already)."""
    from modal_llm_deploy.engine.known_bad import accuracy_knob, accuracy_losses

    ov = overrides_in_effect(profile)
    lines: list[str] = []
    for k in ov:
        flag = k.removeprefix("engine.flags.")
        if k.startswith("engine.flags.") and accuracy_knob(flag):
            rest = {kk: vv for kk, vv in ov.items() if kk != k}
            lines.append(f"you override {k}={render_value(ov[k])} ({accuracy_knob(flag)}): redeploy without it: "
                         f"{CLI} deploy {profile.name}{cli_set_args(rest)}, then {CLI} eval {profile.name}{cli_set_args(rest)}")
    for flag, value in profile.engine.flags.items():
        what = accuracy_knob(flag)
        if what is None or f"engine.flags.{flag}" in ov:
            continue
        trial = {**ov, f"engine.flags.{flag}": None}
        refused = _refusal(profile, {f"engine.flags.{flag}": None})
        if refused:  # never print a command validation would refuse (e.g. a known-bad default)
            lines.append(f"{what}: engine.flags.{flag}={render_value(value)} (SGLang's own choice is refused for "
                         f"this profile: {refused})")
            continue
        lines.append(f"{what}: engine.flags.{flag}={render_value(value)}; try SGLang's own choice: "
                     f"{CLI} deploy {profile.name}{cli_set_args(trial)}, then {CLI} eval {profile.name}{cli_set_args(trial)}")
    for e in accuracy_losses(profile.engine.architecture, profile.model.repo_id):
        lines.append(f"ruled out (validation refuses it): {e.id}: {e.effect} [{e.source}]")
    return lines


def _refusal(profile: Profile, overrides: dict[str, Any]) -> str | None:
    """Why validation refuses ``profile`` with ``overrides`` (first line), or None."""
    from pydantic import ValidationError

    from modal_llm_deploy.profile.overrides import apply_overrides, format_validation_error

    try:
        apply_overrides(profile, overrides)
    except ValidationError as exc:
        return format_validation_error(exc).split("; instead:")[0]
    except ValueError as exc:  # OverrideError: one line already
        return str(exc)
    return None


def reference_lines(profile: Profile, path: Path) -> list[str]:
    """How to use a recorded reference file (``eval --record-reference PATH``)."""
    p = shlex.quote(str(Path(path).resolve()))
    sets = cli_set_args(overrides_in_effect(profile))
    return [f"{CLI} plan {profile.name} --file {p}{sets}",
            f"{CLI} eval {profile.name} --file {p}{sets}",
            f"MODAL_LLM_DEPLOY_FILE={p} {env_prefix(overrides_in_effect(profile))}modal deploy "
            f"{shlex.quote(profile.deploy_script)}  (or copy its values into the profile's accuracy section)"]
