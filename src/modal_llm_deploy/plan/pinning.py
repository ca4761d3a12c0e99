"""From the profile's revision to the commit everything after the download uses.

A profile may name a branch or tag (default ``main``); the download step resolves it and records
the commit it downloaded in the weights volume's ``COMPLETE.json`` (base/layout.py). Compile,
verify and serve must then use *that* commit — it decides the kernel-cache key and what the
weights are — not whatever the ref points at today. ``resolve_pinned_plan`` is the one call each
of them makes right after the volumes are visible.

Pure: no Modal, no network (the recorded commit is read from the volume).
"""

from __future__ import annotations

from pathlib import Path

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import pending_update, recorded_revision
from modal_llm_deploy.plan.models import (
    REVISION_PLACEHOLDER,  # noqa: E402  (one spelling of the placeholder)
    DeploymentPlan,
)


def revision_display(plan: DeploymentPlan) -> str:
    """What ``plan`` prints for the revision: the pinned sha, or when it will be resolved."""
    w = plan.weights
    if w.pinned:
        return w.revision
    return f"{w.revision} → resolved at first download"


def resolve_pinned_plan(
    plan: DeploymentPlan, weights_dir: Path | str, *, fix: str | None = None, required: bool = False
) -> DeploymentPlan:
    """``plan`` pinned to the commit the completed download recorded in ``weights_dir``.

    * A ref (``main``) with a recorded commit: a copy pinned to it (kernel key filled in).
    * A profile that pins a sha which differs from the recorded one: with ``required`` (compile,
      serve) a one-line StepError naming both and the fix; otherwise (verify) the plan unchanged,
      and verify reports the mismatch as a problem.
    * Nothing recorded (no complete download, or an interrupted update): with ``required`` a
      one-line StepError saying so and the fix; otherwise the plan unchanged.
    """
    wd = Path(weights_dir)
    recorded = recorded_revision(wd)
    w = plan.weights
    run = f" → run: {fix}" if fix else ""
    if recorded is None:
        if required and not w.pinned:
            why = pending_update(wd) or "no complete download"
            raise StepError(
                f"{why} in {wd}, so there is no recorded commit for model.revision {w.revision!r} "
                f"(it is resolved and recorded by the download){run}"
            )
        return plan  # a pinned plan: the step's own weights check reports what is missing
    if w.pinned:
        if recorded != w.revision:
            if required:
                raise StepError(
                    f"the weights volume holds commit {recorded} but model.revision pins {w.revision}: download the "
                    f"pinned commit{run}, or use what is there with --set model.revision={recorded}"
                )
        return plan
    return _pin(plan, recorded)


def _pin(plan: DeploymentPlan, sha: str) -> DeploymentPlan:
    # DeploymentPlan.pinned_to re-derives every kernel-cache field from the key template.
    return plan.pinned_to(sha)


__all__ = ["REVISION_PLACEHOLDER", "resolve_pinned_plan", "revision_display"]
