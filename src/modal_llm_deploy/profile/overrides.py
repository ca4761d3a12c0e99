"""Dotted-key overrides: ``--set serving.max_containers=5`` and TOML files.

Overrides are applied to the profile's data and the result is validated again as a whole, so
every cross-field rule still holds after an override.

The same overrides reach scripts run by ``modal run`` / ``modal deploy`` through two environment
variables that ``load_profile`` reads (so a deploy script never needs editing):

* ``MODAL_LLM_DEPLOY_SET``: ``KEY=VALUE`` items separated by spaces, exactly as they would follow
  ``--set`` on the command line (shell quoting rules, ``shlex``), e.g.
  ``MODAL_LLM_DEPLOY_SET='serving.max_containers=5 model.repo_id=acme/Other'``;
* ``MODAL_LLM_DEPLOY_FILE``: a TOML file of overrides, like ``--file``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from modal_llm_deploy.base.envvars import FILE_ENV, SET_ENV  # noqa: F401  (the names live in envvars; re-exported)
from modal_llm_deploy.profile.model import Profile

# Dict-valued fields whose keys are free-form (any SGLang flag, any env var).
FREEFORM = {("engine", "flags"), ("engine", "env")}


class OverrideError(ValueError):
    """A bad override: names the key, the bad value and what is allowed. One line."""


def parse_value(text: str) -> Any:
    """CLI value → Python: TOML literals (``5``, ``true``, ``[1, 2]``, ``"x"``), ``none``/``null``
    for "unset", anything else a plain string (``B200``)."""
    import tomllib  # lazily: a deploy script that sets no override never needs it

    if text.strip().lower() in ("none", "null"):
        return None
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text



def parse_set_options(items: list[str], source: str = "--set") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise OverrideError(f"{source} {item!r}: expected KEY=VALUE, e.g. serving.max_containers=5")
        out[key.strip()] = parse_value(value.strip())
    return out


def parse_set_env(text: str) -> dict[str, Any]:
    """``MODAL_LLM_DEPLOY_SET``'s value → overrides: the same items ``--set`` takes, split with
    shell rules so a value may hold spaces when quoted (``'description="a b"'``)."""
    import shlex

    try:
        items = shlex.split(text)
    except ValueError as exc:  # unbalanced quotes
        raise OverrideError(f"{SET_ENV}={text!r}: {exc}; give KEY=VALUE items separated by spaces") from None
    return parse_set_options(items, source=SET_ENV)


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Overrides from ``MODAL_LLM_DEPLOY_FILE`` (applied first) then ``MODAL_LLM_DEPLOY_SET``.
    Empty when neither is set. Errors name the variable."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    path = environ.get(FILE_ENV, "").strip()
    if path:
        try:
            out.update(load_overrides_file(path))
        except OverrideError as exc:
            raise OverrideError(f"{FILE_ENV}: {exc}") from None
    text = environ.get(SET_ENV, "").strip()
    if text:
        out.update(parse_set_env(text))
    return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def load_overrides_file(path: str | Path) -> dict[str, Any]:
    import tomllib

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise OverrideError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise OverrideError(f"{path}: not valid TOML: {exc}") from None
    return _flatten(data)


def apply_overrides(profile: Profile, overrides: Mapping[str, Any]) -> Profile:
    """Return a new, fully re-validated profile. Raises OverrideError for unknown keys and
    pydantic.ValidationError for bad values."""
    if not overrides:
        return profile
    data = profile.model_dump(mode="python")
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            path = tuple(parts[:i])
            if not isinstance(node, dict):
                raise OverrideError(f"{dotted}: {'.'.join(parts[:i])} is a value, not a section")
            if part not in node and path not in FREEFORM:
                raise OverrideError(unknown_field(parts[:i], part, list(node)))
            if last:
                if path in FREEFORM and value is None:
                    node.pop(part, None)
                else:
                    node[part] = value
            else:
                if node.get(part) is None and path + (part,) not in FREEFORM:
                    raise OverrideError(f"{dotted}: {'.'.join(parts[: i + 1])} is not a section")
                node = node.setdefault(part, {})
    return Profile.model_validate(data)


def unknown_field(section: list[str], part: str, known: list[str], root: str = "the profile") -> str:
    """The one line for a field name no section has, with close matches: the same words for
    ``--set``, the override variables and files, and a plugin's profile data
    (``format_validation_error`` of pydantic's ``extra_forbidden``)."""
    import difflib

    dotted = ".".join([*section, part])
    close = difflib.get_close_matches(part, known, n=3)
    where = ".".join(section) or root
    hint = f"; did you mean {', '.join('.'.join([*section, c]) for c in close)}?" if close else ""
    return f"{dotted}: unknown field {part!r} in {where}{hint} (allowed: {', '.join(known)})"


def _models_in(ann: Any) -> list[type]:
    """The pydantic models an annotation holds (``ServingSpec | None``, ``tuple[WarmWindow, ...]``)."""
    import typing

    from pydantic import BaseModel

    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for arg in typing.get_args(ann) for m in _models_in(arg)]


def _fields_at(model: type, loc: tuple) -> list[str] | None:
    """The field names of the pydantic model at ``loc`` under ``model`` (None if not a model)."""
    for part in loc:
        if isinstance(part, int):  # an item of a tuple/list field: same model
            continue
        field = model.model_fields.get(str(part))
        subs = _models_in(field.annotation) if field is not None else []
        if not subs:
            return None
        model = subs[0]
    return list(model.model_fields)


def _root_model(err: ValidationError) -> type:
    """The model that raised ``err``: ``Profile`` or one of its sections (a plugin building
    ``ServingSpec(...)`` itself gets the section's class name as ``err.title``)."""
    todo, seen = [Profile], set()
    while todo:
        m = todo.pop()
        if m.__name__ == err.title:
            return m
        seen.add(m)
        todo += [s for f in m.model_fields.values() for s in _models_in(f.annotation) if s not in seen]
    return Profile


def format_validation_error(err: ValidationError, source: str = "") -> str:
    """One line per pydantic error, first error only for the CLI: ``field: message (got X)``.
    An unknown field gets the words and close matches ``--set`` gets (``unknown_field``)."""
    e = err.errors(include_url=False)[0]
    more = f" [+{err.error_count() - 1} more]" if err.error_count() > 1 else ""
    prefix = f"{source}: " if source else ""
    if e["type"] == "extra_forbidden" and e["loc"]:
        *section, part = (str(p) for p in e["loc"])
        root = _root_model(err)
        known = _fields_at(root, tuple(e["loc"][:-1]))
        if known is not None:
            name = "the profile" if root is Profile else root.__name__
            return f"{prefix}{unknown_field(section, part, known, name)}{more}"
    loc = ".".join(str(p) for p in e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    got = ""
    if e["type"] not in ("value_error", "assertion_error", "missing") and "input" in e:
        got = f" (got {e['input']!r})"
    if loc and msg.startswith(loc + "."):  # the message names the field more precisely already
        loc = ""
    return f"{prefix}{loc + ': ' if loc else ''}{msg}{got}{more}"
