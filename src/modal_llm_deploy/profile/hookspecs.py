"""Plugin hooks. A profile plugin is a module with one ``@hookimpl`` function.

Plugins are discovered through the ``modal_llm_deploy`` entry-point group::

    # pyproject.toml of a plugin distribution
    [project.entry-points.modal_llm_deploy]
    my_profiles = "my_profiles_pkg"

    # my_profiles_pkg/__init__.py
    from modal_llm_deploy import Profile, hookimpl

    @hookimpl
    def register_profiles(register):
        register(Profile(name="my_model", ...))
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
    """Call ``register(profile)`` once for each :class:`~modal_llm_deploy.Profile` you provide.

    Profile names are global: two plugins registering the same name is an error that names
    both plugins.
    """
