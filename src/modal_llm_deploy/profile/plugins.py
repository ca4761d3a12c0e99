"""Profile discovery: pluggy over the ``modal_llm_deploy`` entry-point group.

One broken plugin must not take the others down: a plugin that fails to import, raises in its
hook, registers something that is not a Profile, or claims a name another plugin owns is set
aside as a :class:`BrokenPlugin` and reported in one line (on stderr, once per process, naming
the plugin, its distribution and the fix). Every other profile keeps working; only asking for a
profile of the broken plugin (or a name two plugins claim) fails.

One broken profile must not take its siblings down either: ``register`` takes a profile's
plain data (a mapping) or a factory (a callable returning a Profile or a mapping) and validates
each entry itself, so a typo in one (``serving.max_container``) sets aside that profile only,
with the words and close matches ``--set`` gets (profile/overrides.py). A plugin that builds
``Profile(...)`` objects at module scope cannot be helped: the first invalid one fails the
plugin's import, before any hook runs.
"""

from __future__ import annotations

import importlib.metadata
import sys
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import pluggy

from modal_llm_deploy.profile import hookspecs
from modal_llm_deploy.profile.model import Profile


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


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin, or one profile of a plugin (``profile`` set), set aside: ``str()`` is the one
    line shown to the user."""

    plugin: str
    distribution: str | None
    problem: str  # one line: what went wrong
    names: tuple[str, ...] = ()  # profile names it registered (or claimed) before failing
    profile: str | None = None  # only this profile of the plugin is set aside; its siblings work

    @property
    def fix(self) -> str:
        uninstall = f"pip uninstall {self.distribution}" if self.distribution else "remove it"
        return f"fix the plugin or {uninstall}"

    def __str__(self) -> str:
        return self.line()

    def line(self, skipped: bool = True) -> str:
        dist = f" (distribution {self.distribution})" if self.distribution else ""
        was = " and was skipped" if skipped else ""
        if self.profile is not None:
            return f"profile {self.profile!r} of plugin {self.plugin!r}{dist} is invalid{was}: {self.problem}; {self.fix}"
        return f"plugin {self.plugin!r}{dist} is broken{was}: {self.problem}; {self.fix}"


_pm: pluggy.PluginManager | None = None
_registry: dict[str, RegisteredProfile] | None = None
_broken: list[BrokenPlugin] = []
_conflicts: dict[str, tuple[str, ...]] = {}  # profile name → the plugins that all claim it


_dists: dict[int, str] = {}  # id(plugin module) → its distribution's name


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    if _pm is None:
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        # One entry point at a time, so one that fails to import is set aside instead of
        # aborting the loop for every plugin after it (pluggy's load_setuptools_entrypoints
        # raises out of its loop). One scan of the installed distributions: this runs each
        # time Modal imports a deploy script (benchmarks/bench_import.py).
        for ep in importlib.metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP):
            if pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            dist = ep.dist.name if ep.dist else None
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except Exception as exc:
                _broken.append(BrokenPlugin(ep.name, dist, f"importing {ep.value} failed: {_one_line(exc)}"))
                continue
            if dist:
                _dists[id(plugin)] = dist
        _pm = pm
    return _pm


def _one_line(exc: BaseException) -> str:
    from pydantic import ValidationError

    from modal_llm_deploy.profile.overrides import format_validation_error

    if isinstance(exc, ValidationError):
        return format_validation_error(exc)
    return " ".join(str(exc).split()) or type(exc).__name__


def _distribution_of(pm: pluggy.PluginManager, plugin: object) -> str | None:
    if id(plugin) in _dists:
        return _dists[id(plugin)]
    for p, dist in pm.list_plugin_distinfo():  # registered through pluggy's own loader
        if p is plugin:
            return dist.metadata["Name"]
    return None


def registry() -> dict[str, RegisteredProfile]:
    """Profiles of every working plugin, by name. Built once; what was set aside is reported on
    stderr, once (see :func:`broken_plugins`)."""
    reg = _build_registry()
    _report()
    return reg


def _build_registry() -> dict[str, RegisteredProfile]:
    """:func:`registry` without the report: :func:`get_registered` reports only when it finds
    the profile."""
    global _registry
    if _registry is not None:
        return _registry
    pm = get_plugin_manager()
    found: dict[str, RegisteredProfile] = {}
    claims: dict[str, list[str]] = {}
    for impl in pm.hook.register_profiles.get_hookimpls():
        plugin_name = impl.plugin_name
        module = getattr(impl.plugin, "__name__", type(impl.plugin).__module__)
        dist = _distribution_of(pm, impl.plugin)
        mine: dict[str, RegisteredProfile] = {}
        register = _Register(plugin_name, module, dist, mine)
        try:
            impl.function(register=register)
        except Exception as exc:
            what = str(exc) if isinstance(exc, PluginError) else f"registering its profiles failed: {_one_line(exc)}"
            _broken.append(BrokenPlugin(plugin_name, dist, what, tuple(mine) + tuple(register.set_aside)))
            continue
        _broken.extend(register.set_aside.values())
        for name, reg in mine.items():
            claims.setdefault(name, []).append(plugin_name)
            found.setdefault(name, reg)
    for name, plugins in claims.items():
        if len(plugins) > 1:
            # Which one the user meant cannot be known: the name is refused, everything else works.
            _conflicts[name] = tuple(sorted(plugins))
            del found[name]
    _registry = dict(sorted(found.items()))
    return _registry


class _Register:
    """The ``register`` a plugin's hook is given: ``register(profile)`` with a Profile, its
    plain data (a mapping) or a factory (a zero-argument callable returning either).

    Data and factories are validated here, one at a time: an invalid one is set aside as a
    per-profile :class:`BrokenPlugin` (named by ``name=``, the data's ``"name"``, or the
    factory's ``__name__``) and the plugin's other profiles are registered as usual.
    """

    def __init__(self, plugin: str, module: str, dist: str | None, mine: dict[str, RegisteredProfile]):
        self.plugin, self.module, self.dist, self.mine = plugin, module, dist, mine
        self.set_aside: dict[str, BrokenPlugin] = {}

    def __call__(self, profile: "Profile | Mapping[str, Any] | Callable[[], Any]", *, name: str | None = None) -> None:
        if not isinstance(profile, (Profile, Mapping)) and callable(profile):
            label = name or getattr(profile, "__name__", None) or repr(profile)
            try:
                profile = profile()
            except Exception as exc:
                self._skip(label, f"its factory failed: {_one_line(exc)}")
                return
        if isinstance(profile, Mapping):
            label = name or str(profile.get("name") or "?")
            try:
                profile = Profile.model_validate(dict(profile))
            except Exception as exc:
                self._skip(label, _one_line(exc))
                return
        if not isinstance(profile, Profile):
            raise PluginError(f"it registered a {type(profile).__name__}, not a Profile, its data or a factory")
        if profile.name in self.mine or profile.name in self.set_aside:
            raise PluginError(f"it registered profile {profile.name!r} twice")
        self.mine[profile.name] = RegisteredProfile(profile, self.plugin, self.module, self.dist)

    def _skip(self, label: str, problem: str) -> None:
        if label in self.mine or label in self.set_aside:
            raise PluginError(f"it registered profile {label!r} twice")
        self.set_aside[label] = BrokenPlugin(self.plugin, self.dist, problem, (label,), profile=label)


_reported: set[BrokenPlugin] = set()


def _report() -> None:
    """Each entry of :func:`broken_plugins` once per process on stderr as one ``warning:`` line.
    Not called on the way to an error (:func:`get_registered`): the error is the one line, and
    under ``modal deploy`` nothing else may precede it."""
    for b in broken_plugins():
        if b not in _reported:
            _reported.add(b)
            sys.stderr.write(f"warning: {b}\n")


def broken_plugins() -> list[BrokenPlugin]:
    """Plugins and profiles set aside, plus one entry per profile name claimed by several plugins."""
    _build_registry()
    out = list(_broken)
    for name, plugins in sorted(_conflicts.items()):
        out.append(BrokenPlugin(
            plugins[-1], None, f"profile {name!r} is registered by both {plugins[0]!r} and {plugins[1]!r}"
            + (f" (and {', '.join(map(repr, plugins[2:]))})" if len(plugins) > 2 else "")
            + "; that name is unusable until one of them is uninstalled", (name,)))
    return out


def list_profiles() -> list[RegisteredProfile]:
    return list(registry().values())


def get_registered(name: str) -> RegisteredProfile:
    reg = _build_registry()
    if name in reg:
        _report()
        return reg[name]
    if name in _conflicts:
        a, b = _conflicts[name][:2]
        raise PluginError(f"profile {name!r} is registered by both {a!r} and {b!r}: uninstall one of the two plugins")
    for b in _broken:
        if name in b.names:
            if b.profile is not None:
                raise PluginError(b.line(skipped=False))
            raise PluginError(f"profile {name!r} comes from a broken plugin: {b}")
    import difflib

    # Close matches ignore case: `plan GLM51_FP8` suggests glm51_fp8.
    by_lower = {k.lower(): k for k in reg}
    close = [by_lower[c] for c in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.5)]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    known = ", ".join(reg) or "none installed (pip install a profile plugin, e.g. ./profiles/glm51)"
    # A plugin that failed before registering anything (e.g. its profile failed validation at
    # import) cannot say which names it would have had: name it with its problem, since the
    # profile asked for is most likely one of its own.
    broken = "".join(f"; {b}" for b in _broken if b.profile is None)
    raise UnknownProfileError(f"unknown profile {name!r}{hint} (known: {known}){broken}")
