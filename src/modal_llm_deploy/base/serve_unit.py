"""Plan unit fields a serve unit must leave unset: ``@app.server`` takes none of them (modal
1.6.4 ``app.py`` ``App.server``: no ``timeout``, ``retries``, ``region`` or ``schedule``; the
server's max containers and compute region are ``ServerPlan``'s). A plan that sets one is
refused, never rendered with the field silently dropped: by the plan model (plan/models.py
``UnitPlan``) and by the renderer (modal_adapter/render.py), which also renders plans read back
from JSON without pydantic (hence here, in the floor, with no imports).
"""

from __future__ import annotations

# field → (its only allowed value, where the server's value lives instead)
SERVE_UNIT_UNSET: dict[str, tuple[object, str]] = {
    "timeout_s": (None, "@app.server has no timeout: the server runs until Modal scales it down"),
    "retries": (0, "@app.server has no retries"),
    "max_containers": (None, "the server's max is ServerPlan.max_containers (serving.max_containers)"),
    "schedule": (None, "a server is not a scheduled function"),
    "region": (None, "the server's region is ServerPlan.compute_region (serving.compute_region)"),
}


def serve_unit_problem(unit: dict) -> str | None:
    """Why a serve unit (its JSON) carries a field that would never reach Modal; None if none."""
    for name, (unset, why) in SERVE_UNIT_UNSET.items():
        if unit.get(name, unset) != unset:
            return f"unit {unit.get('name')!r} (serve): {name}={unit[name]!r} would never reach Modal: {why}"
    return None
