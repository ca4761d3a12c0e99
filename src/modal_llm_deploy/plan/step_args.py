"""What the container steps need from a plan, without Modal.

``modal_adapter/runtime.py`` (the Modal glue, which imports Modal) and the local CLI steps (which must not:
tests/test_cli_ux.py) both turn a plan into the arguments of the plain step functions; the
shared part lives here so the two cannot drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modal_llm_deploy.plan.models import DeploymentPlan

if TYPE_CHECKING:
    from modal_llm_deploy.base.layout import KernelExpectation


def kernel_expectation(plan: DeploymentPlan) -> "KernelExpectation | None":
    """What the profile expects in the kernel cache (key, arch, SGLang version, marker, argv
    hash); None when the profile compiles no kernels."""
    from modal_llm_deploy.base.layout import KernelExpectation

    kc = plan.kernel_cache
    if not kc.enabled:
        return None
    return KernelExpectation(
        key=kc.key,
        arch=kc.arch,
        sglang_version=plan.sglang_version,
        marker_name=kc.marker_name,
        argv_hash=kc.argv_hash,
    )
