"""The keep-warm cron's body: set a live server's ``min_containers`` to what its windows say now.

The windows (``profile/windows.py``) and the cron that fires this (``plan/schedules.py``) are
data; this module acts on a deployment through Modal's autoscaler, passed in (no Modal import).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from modal_llm_deploy.profile.windows import min_containers_at

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan


class Autoscaler(Protocol):
    """What Modal's ``Server.autoscaler`` offers that we use (modal/_server.py,
    ``_ServerAutoscalerManager.update``: arguments not given stay UNSET = unchanged)."""

    def update(self, *, min_containers: int | None = ...) -> Any: ...


def _now() -> datetime:  # one seam for tests that run the scheduled body at chosen instants
    return datetime.now(timezone.utc)


def apply_schedule(plan: "DeploymentPlan", autoscaler: Autoscaler, instant: datetime | None = None) -> int:
    """Set the server's ``min_containers`` to what the schedule says at ``instant`` (now).

    Only ``min_containers`` is passed: max/buffer/scaledown stay as deployed (or as
    ``modal-llm-deploy scale`` set them)."""
    kw = plan.keep_warm
    if kw is None:
        raise ValueError(f"profile {plan.profile!r} has no serving.warm_windows")
    now = instant or _now()
    target = min_containers_at(kw.windows, kw.base_min_containers, now)
    autoscaler.update(min_containers=target)
    return target
