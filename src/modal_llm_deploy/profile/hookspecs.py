"""Plugin hooks. A profile plugin is a module with one ``@hookimpl`` function.

Plugins are discovered through the ``modal_llm_deploy`` entry-point group::

    # pyproject.toml of a plugin distribution
    [project.entry-points.modal_llm_deploy]
    my_profiles = "my_profiles_pkg"

    # my_profiles_pkg/__init__.py
    from modal_llm_deploy import hookimpl

    MY_MODEL = dict(name="my_model", ...)  # plain data: validated by the registry

    @hookimpl
    def register_profiles(register):
        register(MY_MODEL)

Register each profile's data (a mapping) or a factory (a callable returning a Profile or its
data), not a ``Profile`` built at module scope: the registry validates each entry on its own,
so a typo in one profile sets aside that profile only, with close matches
(profile/plugins.py ``_Register``), while an invalid ``Profile(...)`` at module scope fails the
plugin's import and takes every profile of the plugin with it.
"""

from __future__ import annotations

from typing import Callable

import pluggy

PROJECT = "modal_llm_deploy"
ENTRY_POINT_GROUP = PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_profiles(register: Callable[..., None]) -> None:
    """Call ``register(profile)`` once for each profile you provide: its data (a mapping with
    the fields of :class:`~modal_llm_deploy.Profile`), a factory (a zero-argument callable
    returning a Profile or such a mapping; ``register(factory, name="x")`` names it should it
    fail), or a ``Profile``.

    Profile names are global: two plugins registering the same name is an error that names
    both plugins.
    """
