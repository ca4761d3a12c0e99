"""The volumes: are the weights for the resolved commit complete (the download step's
``COMPLETE.json``, base/layout.py), and do kernels exist for the plan's key (the compile step's
marker)? Together they say which setup steps will run and what they will cost."""

from __future__ import annotations

import json

from modal_llm_deploy.base.layout import COMPLETE_NAME, STATE_DIR, is_commit_sha
from modal_llm_deploy.operate.preflight.modal_checks import ModalProbe, ProbeError
from modal_llm_deploy.operate.preflight.rows import Row, fail, info, ok
from modal_llm_deploy.plan.commands import cli_command
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.profile.model import Profile


def _in_volume(path: str, mount: str) -> str:
    return path[len(mount):].lstrip("/") if path.startswith(mount + "/") else path.lstrip("/")


def weights_row(profile: Profile, plan: DeploymentPlan, probe: ModalProbe, sha: str | None) -> tuple[Row, str | None]:
    """The weights row and the commit the kernels will be keyed to (recorded, else resolved)."""
    w, gb = plan.weights, plan.weights.expected_size_bytes / 1e9
    cost = f"~${plan.cost.download_once_usd:.2f}"
    if not probe.volume_exists(w.volume):
        return info("volumes", f"weights volume {w.volume}", f"does not exist yet: setup creates it and "
                                                              f"download_model fetches ~{gb:.0f} GB ({cost})"), sha
    rel = f"{_in_volume(w.dir, profile.storage.weights_mount)}/{STATE_DIR}/{COMPLETE_NAME}"
    raw = probe.read_volume_file(w.volume, rel)
    if raw is None:
        return info("volumes", f"weights volume {w.volume}", f"no complete download (no {rel}): download_model "
                                                              f"fetches ~{gb:.0f} GB ({cost})"), sha
    try:
        marker = json.loads(raw)
        recorded, repo = marker["revision"], marker["repo_id"]
    except (ValueError, KeyError, TypeError):
        return info("volumes", f"weights volume {w.volume}", f"{rel} is unreadable: download_model re-checks "
                                                              f"and completes the download ({cost})"), sha
    if repo != w.repo_id:
        return fail("volumes", f"weights volume {w.volume}", f"holds {repo}, not {w.repo_id}",
                    cli_command("preflight", profile, changes={"storage.weights_volume": f"{w.volume}-2"})), sha
    if sha is None or recorded == sha:
        return ok("volumes", f"weights volume {w.volume}", f"complete for commit {recorded}: download_model "
                                                            "will only re-check it"), recorded
    if is_commit_sha(w.revision):
        return info("volumes", f"weights volume {w.volume}", f"holds commit {recorded[:12]}; the profile pins "
                                                              f"{sha[:12]}: download_model replaces it ({cost})"), sha
    return fail("volumes", f"weights volume {w.volume}",
                f"holds commit {recorded[:12]}, but '{w.revision}' now resolves to {sha[:12]}: download_model "
                "refuses a moved ref unless asked to update",
                f"keep the recorded commit: {cli_command('preflight', profile, changes={'model.revision': recorded})}"), recorded


def kernel_row(plan: DeploymentPlan, probe: ModalProbe, commit: str | None) -> Row:
    kc = plan.kernel_cache
    if not kc.enabled:
        return info("volumes", "kernels", "kernel_cache.deepgemm is off: no compile step")
    if not kc.revision_pinned:
        if commit is None or not is_commit_sha(commit):
            return info("volumes", "kernels", "key unknown until the revision resolves: compile_deepgemm will run")
        kc = plan.pinned_to(commit).kernel_cache
    cost = f"~${plan.cost.compile_once_usd:.2f} on {plan.cost.gpu}"
    if not probe.volume_exists(kc.volume):
        return info("volumes", "kernels", f"volume {kc.volume} does not exist yet: compile_deepgemm runs ({cost})")
    rel = _in_volume(kc.marker_path, kc.mount)
    if probe.read_volume_file(kc.volume, rel) is None:
        return info("volumes", "kernels", f"none for key {kc.key}: compile_deepgemm runs ({cost})")
    return ok("volumes", "kernels", f"compiled for key {kc.key}: compile_deepgemm will skip")


def volume_rows(profile: Profile, plan: DeploymentPlan, probe: ModalProbe, sha: str | None) -> list[Row]:
    try:
        wrow, commit = weights_row(profile, plan, probe, sha)
        return [wrow, kernel_row(plan, probe, commit)]
    except ProbeError as exc:
        return [fail("volumes", "volumes", str(exc), cli_command("preflight", profile))]
