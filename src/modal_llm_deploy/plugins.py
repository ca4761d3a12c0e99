"""Profile discovery: pluggy over the ``modal_llm_deploy`` entry-point group."""

from __future__ import annotations

import difflib
import importlib.metadata
from dataclasses import dataclass

import pluggy

from . import hookspecs
from .profile import Profile


class UnknownProfileError(LookupError):
    """No plugin registers a profile of that name. ``str()`` is one line with close matches."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


class PluginError(RuntimeError):
    """A plugin is broken (import error, bad profile, duplicate name)."""


@dataclass(frozen=True)
class RegisteredProfile:
    profile: Profile
    plugin: str  # plugin name: the entry-point name, or the module name when registered by hand
    module: str  # import name of the module that holds the hookimpl (added to the images)
    distribution: str | None  # the installed distribution that ships it, if any


_pm: pluggy.PluginManager | None = None
_registry: dict[str, RegisteredProfile] | None = None


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        try:
            pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
        except Exception as exc:  # a broken third-party plugin must not be a traceback
            raise PluginError(_which_entry_point_failed(exc)) from exc
        _pm = pm
    return _pm


def _one_line(exc: BaseException) -> str:
    from pydantic import ValidationError

    from .overrides import format_validation_error

    if isinstance(exc, ValidationError):
        return format_validation_error(exc)
    return " ".join(str(exc).split()) or type(exc).__name__


def _which_entry_point_failed(exc: BaseException) -> str:
    """pluggy does not say which entry point raised; find it so the user knows what to fix."""
    for ep in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as err:
            dist = f", distribution {ep.dist.name}" if ep.dist else ""
            return f"plugin {ep.name!r} ({ep.value}{dist}) failed to import: {_one_line(err)}"
    return f"failed to load a '{hookspecs.ENTRY_POINT_GROUP}' plugin: {_one_line(exc)}"


def _distribution_of(pm: pluggy.PluginManager, plugin: object) -> str | None:
    for p, dist in pm.list_plugin_distinfo():
        if p is plugin:
            return dist.metadata["Name"]
    return None


def registry() -> dict[str, RegisteredProfile]:
    global _registry
    if _registry is not None:
        return _registry
    pm = get_plugin_manager()
    found: dict[str, RegisteredProfile] = {}
    for impl in pm.hook.register_profiles.get_hookimpls():
        plugin_name = impl.plugin_name
        module = getattr(impl.plugin, "__name__", type(impl.plugin).__module__)
        dist = _distribution_of(pm, impl.plugin)

        def register(profile: Profile, _p=plugin_name, _m=module, _d=dist) -> None:
            if not isinstance(profile, Profile):
                raise PluginError(f"plugin {_p!r} registered {type(profile).__name__}, not a Profile")
            if profile.name in found:
                other = found[profile.name].plugin
                raise PluginError(f"profile {profile.name!r} is registered by both {other!r} and {_p!r}")
            found[profile.name] = RegisteredProfile(profile, _p, _m, _d)

        try:
            impl.function(register=register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {plugin_name!r} failed to register its profiles: {_one_line(exc)}") from exc
    _registry = dict(sorted(found.items()))
    return _registry


def list_profiles() -> list[RegisteredProfile]:
    return list(registry().values())


def get_registered(name: str) -> RegisteredProfile:
    reg = registry()
    if name in reg:
        return reg[name]
    close = difflib.get_close_matches(name, list(reg), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    known = ", ".join(reg) or "none installed (pip install a profile plugin, e.g. ./profiles/glm51)"
    raise UnknownProfileError(f"unknown profile {name!r}{hint} (known: {known})")

