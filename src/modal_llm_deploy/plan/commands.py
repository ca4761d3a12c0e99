"""THE printer: every command the tool tells a user to run next is rendered here, carrying the
overrides in effect. No other module formats a ``modal run|deploy|secret|setup`` or a
``modal-llm-deploy <command>`` string (tests/test_printed_commands.py guards it with an AST scan
and shows a bypass failing).

A printed command (a verify fix line, a "next:" line, ``plan.commands``, a smoke/bench cause, a
cold-start warning, a CLI error hint) must act on the same deployment the user is looking at. The
overrides in effect are derived, not tracked: they are the dotted-key difference between the
profile as its plugin registered it and the effective profile, however the difference came about
(``--set``, ``--file``, the environment variables, or a deploy script calling
``load_profile(name, {...})``). Re-applying them is idempotent, so a command that carries an
override the environment also sets is still correct.

Two renderings:

* CLI commands: ``modal-llm-deploy download glm51_fp8 --weights-dir /abs --set k=v …``;
* ``modal run`` / ``modal deploy`` of a deploy script: the environment-variable prefix that
  ``load_profile`` reads, ``MODAL_LLM_DEPLOY_SET='k=v …' modal run script::download_model``.

Values are rendered so that ``overrides.parse_value`` reads them back unchanged (tested).

The API, for every caller (the CLI, the Modal adapter, operate code, triage):

* ``plan_commands(profile)`` → ``plan.commands``: the first steps from a fresh machine
  (``modal_setup``, the secrets the profile names: ``hf_secret``, ``api_key_secret``,
  ``proxy_secret``), the ``modal run``/``modal deploy`` forms (``download``, ``compile``,
  ``verify``, ``setup``, ``deploy``) and the CLI forms (``setup_cli``, ``deploy_cli``,
  ``plan_cli``, ``logs_cli``, ``logs_triage_cli``, ``scale_cli``, ``smoke_cli``, ``bench_cli``) and
  ``repair`` (the download with ``--repair``).
  ``FIRST_STEPS`` / ``NEXT_CLI`` / ``NEXT_SCRIPT`` name them in the order they are printed.
* ``fix_commands(profile, changes)`` → the same dict for the profile with ``changes`` added on
  top of the overrides in effect (a fix such as ``{"engine.flags.mem-fraction-static": 0.85}``):
  ``plan_cli`` to check it, ``deploy_cli`` and ``deploy`` (with ``MODAL_LLM_DEPLOY_SET=…``) to
  ship it. Triage's fix lines and ``revision``'s pin use it: a pasted fix redeploys the fixed
  server, not the old one. ``fix_commands(None, changes, name=…)`` names the script generically.
* ``cli_command(sub, profile, *args, changes=)``: any other CLI command of a profile with its overrides (and a fix's own changes)
  (e.g. ``cli_command("scale", prof, "--min", "1")``); ``cli_usage(sub, *words)`` names a
  command generically (help text, ``PROFILE`` placeholders); ``local_command`` the local steps
  on the same directories.
* ``secret_create(name, env_names)``: ``modal secret create NAME KEY="${KEY:?…}"`` — the values
  come from the user's shell at paste time and are never printed (bash refuses an unset one);
  ``modal_setup()``; ``activate_venv()`` (the venv this CLI runs from, when it runs from one).
* ``extend(command, *args)``: a printed command with more arguments (shell-quoted);
  ``env_assignment(overrides)``: the ``MODAL_LLM_DEPLOY_SET=…`` word alone.

Every rendered command is recorded: ``printed()`` returns them for this process, and with
``MODAL_LLM_DEPLOY_RECORD_COMMANDS=FILE`` each is appended to FILE (one JSON string per line), so
a test can prove that each command line in the output came from here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

from modal_llm_deploy.base.envvars import FILE_ENV, RECORD_COMMANDS_ENV
from modal_llm_deploy.profile.model import Profile
from modal_llm_deploy.profile.overrides import FREEFORM, SET_ENV, parse_value

CLI = "modal-llm-deploy"

# plan.commands keys in the order "next" prints them: from a fresh machine (after the venv is
# active) to a running server.
FIRST_STEPS = ("modal_setup", "hf_secret", "api_key_secret", "proxy_secret")
NEXT_CLI = ("setup_cli", "deploy_cli")
NEXT_SCRIPT = ("setup", "deploy")

_printed: set[str] = set()


def _record(command: str) -> str:
    """Every rendered command passes here (see the module docstring)."""
    _printed.add(command)
    path = os.environ.get(RECORD_COMMANDS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(command) + "\n")
    return command


def printed() -> frozenset[str]:
    """The commands rendered in this process so far."""
    return frozenset(_printed)

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


def env_assignment(overrides: Mapping[str, Any]) -> str:
    """``MODAL_LLM_DEPLOY_SET='k=v …'`` alone: to export, or to put before ``modal run``."""
    return _record(env_prefix(overrides).strip())


def _cli(sub: str, name: str | None, args: Iterable[str], overrides: Mapping[str, Any]) -> str:
    words = "".join(f" {shlex.quote(str(a))}" for a in args)
    return _record(f"{CLI} {sub}{'' if name is None else ' ' + shlex.quote(name)}{words}{cli_set_args(overrides)}")


def cli_command(sub: str, profile: Profile, *args: str, changes: Mapping[str, Any] | None = None) -> str:
    """``modal-llm-deploy SUB PROFILE ARGS… --set …``: a CLI command on this deployment, with a
    fix's own ``changes`` (dotted keys, e.g. ``{"engine.expert_parallel_size": 8}``) on top of
    the overrides in effect, later keys winning."""
    return _cli(sub, profile.name, args, {**overrides_in_effect(profile), **(changes or {})})


def cli_usage(sub: str, *words: str) -> str:
    """A CLI command named generically, unquoted (``modal-llm-deploy plan PROFILE --set ...``):
    help text and notes that speak of no particular deployment."""
    return _record(" ".join((CLI, sub, *words)))


def extend(command: str, *args: str) -> str:
    """``command`` (one this module rendered) with more arguments, shell-quoted."""
    return _record(command + "".join(f" {shlex.quote(str(a))}" for a in args))


def modal_setup() -> str:
    """Modal's one-time login (modal/cli/entry_point.py: ``setup``, "Bootstrap Modal's configuration")."""
    return _record("modal setup")


def secret_create(name: str, env_names: Iterable[str], *, force: bool = False) -> str:
    """``modal secret create NAME KEY="${KEY:?…}" …`` (modal/cli/secret.py: ``create`` takes
    ``KEY=VALUE`` items and suggests ``<KEY>="$ENV_VAR"``): each value is read from the user's
    shell when pasted, so no value is ever printed, and bash refuses to run it with one unset
    instead of creating an empty secret. ``force``: replace an existing secret (the same file's
    ``--force``: "Overwrite the secret if it already exists")."""
    items = " ".join(f'{k}="${{{k}:?}}"' for k in env_names)
    return _record(f"modal secret create {shlex.quote(name)} {items}" + (" --force" if force else ""))


def activate_venv() -> str | None:
    """``source <venv>/bin/activate`` for the virtual environment this CLI runs from (the README's
    try-it command installs into ``.venv`` and runs ``.venv/bin/modal-llm-deploy``, so ``modal``
    is not on PATH until it is active); None outside a venv."""
    if sys.prefix == sys.base_prefix:
        return None
    return _record(f"source {shlex.quote(str(Path(sys.prefix) / 'bin' / 'activate'))}")


def _script(verb: str, target: str, overrides: Mapping[str, Any]) -> str:
    return _record(f"{env_prefix(overrides)}modal {verb} {target}")


def _family(profile: Profile, ov: Mapping[str, Any]) -> dict[str, str]:
    script, name = shlex.quote(profile.deploy_script), profile.name
    cmds: dict[str, str] = {"modal_setup": modal_setup()}
    sec, srv = profile.secrets, profile.serving
    if sec.hf_token_secret:
        cmds["hf_secret"] = secret_create(sec.hf_token_secret, [sec.hf_token_env])
    if srv.api_key_secret and not srv.public:
        cmds["api_key_secret"] = secret_create(srv.api_key_secret, [srv.api_key_env])
    if srv.modal_proxy_auth and srv.proxy_auth_secret:
        from modal_llm_deploy.base.envvars import PROXY_KEY_ENV, PROXY_SECRET_ENV

        cmds["proxy_secret"] = secret_create(srv.proxy_auth_secret, [PROXY_KEY_ENV, PROXY_SECRET_ENV])
    cmds.update({
        "download": _script("run", f"{script}::download_model", ov),
        # runtime.download_model(repair=True): Modal's CLI turns the parameter into --repair
        "repair": extend(_script("run", f"{script}::download_model", ov), "--repair"),
        "compile": _script("run", f"{script}::compile_deepgemm", ov),
        "verify": _script("run", f"{script}::verify_setup", ov),
        "setup": _script("run", script, ov),
        "deploy": _script("deploy", script, ov),
        "plan_cli": _cli("plan", name, (), ov),
        "setup_cli": _cli("setup", name, (), ov),
        "deploy_cli": _cli("deploy", name, (), ov),
        # what fix lines name after the deploy (smoke, bench, cold-start warnings): with the
        # overrides too, or they would read/scale the un-overridden app (e.g. --set app_name=…)
        "logs_cli": _cli("logs", name, (), ov),
        "logs_triage_cli": extend(_cli("logs", name, (), ov), "--triage"),
        "scale_cli": _cli("scale", name, (), ov),
        "smoke_cli": _cli("smoke", name, (), ov),
        "bench_cli": _cli("bench", name, (), ov),
        "eval_cli": _cli("eval", name, (), ov),
    })
    return cmds


# --- preflight (issue 16): the fix lines of its checklist ------------------------------------


def preflight_fixes(profile: Profile) -> dict[str, str]:
    """The commands preflight's ✗ rows name: re-run it, set up, log in to Modal, create a secret."""
    s = profile.secrets
    return {
        "rerun": cli_command("preflight", profile),
        "setup": cli_command("setup", profile),
        "modal_token": _record("modal token new"),
        "hf_secret": (secret_create(s.hf_token_secret, [s.hf_token_env]) if s.hf_token_secret
                      else cli_command("preflight", profile, changes={"secrets.hf_token_secret": "huggingface-secret"})),
        "set_repo": cli_command("preflight", profile, changes={"model.repo_id": "<owner/name>"}),
        "set_revision": cli_command("preflight", profile, changes={"model.revision": "<branch, tag or 40-hex sha>"}),
    }


def plan_commands(profile: Profile) -> dict[str, str]:
    """``plan.commands``: the first steps, the ``modal run``/``modal deploy`` lines for the
    profile's deploy script and the equivalent CLI lines, all with the overrides in effect."""
    return _family(profile, overrides_in_effect(profile))


def local_command(step: str, profile: Profile, weights_dir: Path, cache_dir: Path | None = None,
                  *args: str) -> str:
    """A local CLI step on the same directories (absolute, so it works from any directory) and
    the same overrides, e.g. verify's fix line ``modal-llm-deploy download glm51_fp8
    --weights-dir /abs/weights --set model.repo_id=acme/X``."""
    dirs = ["--weights-dir", str(Path(weights_dir).resolve())]
    if cache_dir is not None:
        dirs += ["--cache-dir", str(Path(cache_dir).resolve())]
    return _cli(step, profile.name, [*dirs, *args], overrides_in_effect(profile, exclude=LOCAL_KEYS))


def fix_commands(profile: Profile | None, changes: Mapping[str, Any], *, validate: bool = True,
                 name: str = "<PROFILE>") -> dict[str, str]:
    """A fix that changes profile fields (triage's fix lines, ``revision``'s pin): the commands
    of ``plan_commands`` for ``profile`` with ``changes`` (dotted keys) added to the overrides
    already in effect (a later value wins), so a command pasted as printed acts on the fixed
    values: ``plan_cli`` to check it, ``deploy`` (``MODAL_LLM_DEPLOY_SET='k=v …' modal deploy
    …``) and ``deploy_cli`` to ship it, the ``modal run`` steps, ``logs_cli`` and the rest.

    With ``validate`` the changed profile is validated first (raises as ``--set`` would); a
    value the user must choose (``<COMMIT_SHA>``) cannot be, so pass ``validate=False``.
    Without a profile (triage of a log with no ``--profile``) the script and the profile are
    named generically (``<deploy script>``, ``name``)."""
    if profile is None:
        ov, script = dict(changes), "<deploy script>"
        sets = cli_set_args(ov)
        return {
            "plan_cli": _record(f"{CLI} plan {name}{sets}"),
            "deploy": _script("deploy", script, ov),
            "deploy_cli": _record(f"{CLI} deploy {name}{sets}"),
            "download": _script("run", f"{script}::download_model", ov),
            "compile": _script("run", f"{script}::compile_deepgemm", ov),
            "verify": _script("run", f"{script}::verify_setup", ov),
            "logs_cli": _record(f"{CLI} logs {name}{sets}"),
        }
    if validate:
        from modal_llm_deploy.profile.overrides import apply_overrides

        apply_overrides(profile, changes)
    # re-setting a key the user already overrode: the later value wins, in its first place
    return _family(profile, {**overrides_in_effect(profile), **changes})


# --- the accuracy gate's lines (issue 17) -----------------------------------------------------


def eval_command(profile: Profile, tier: str = "quick", url: str | None = None) -> str:
    """``modal-llm-deploy eval PROFILE`` with the overrides in effect."""
    extra = (f" --tier {tier}" if tier != "quick" else "") + (f" --url {shlex.quote(url)}" if url else "")
    return _record(f"{CLI} eval {shlex.quote(profile.name)}{extra}{cli_set_args(overrides_in_effect(profile))}")


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
                         f"{_cli('deploy', profile.name, [], rest)}, then {_cli('eval', profile.name, [], rest)}")
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
                     f"{_cli('deploy', profile.name, [], trial)}, then {_cli('eval', profile.name, [], trial)}")
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
    ref = str(Path(path).resolve())
    ov = overrides_in_effect(profile)
    deploy = _record(f"{FILE_ENV}={shlex.quote(ref)} {env_prefix(ov)}modal deploy {shlex.quote(profile.deploy_script)}")
    return [_cli("plan", profile.name, ["--file", ref], ov),
            _cli("eval", profile.name, ["--file", ref], ov),
            f"{deploy}  (or copy its values into the profile's accuracy section)"]
