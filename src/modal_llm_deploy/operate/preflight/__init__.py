"""``modal-llm-deploy preflight PROFILE`` (issue 16): everything that can fail at first contact,
checked against the real accounts, repo and image before any GPU is paid for.

One module per check family, each a set of plain functions returning checklist rows
(:mod:`rows`): :mod:`modal_checks` (token, secrets), :mod:`hub` (access, revision, small files),
:mod:`config_rules` (the profile against the repo's config, with the pinned SGLang's shape rules
from engine/checkpoint_rules.py), :mod:`image` (the registry's v2 API), :mod:`volumes` (weights
complete for the commit, kernels for the key), :mod:`network` (fail fast offline).
:func:`run` composes them; the CLI (cli/preflight.py) prints the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from modal_llm_deploy.operate.preflight import network
from modal_llm_deploy.operate.preflight.config_rules import config_rows
from modal_llm_deploy.operate.preflight.hub import hub_probe, hub_rows
from modal_llm_deploy.operate.preflight.image import image_rows, parse_ref
from modal_llm_deploy.operate.preflight.modal_checks import ModalProbe, ProbeError, modal_rows
from modal_llm_deploy.operate.preflight.rows import Row, fail, render
from modal_llm_deploy.operate.preflight.volumes import volume_rows
from modal_llm_deploy.plan.commands import cli_command, preflight_fixes
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.profile.model import Profile

__all__ = ["Row", "render", "run", "local_hf_token", "Sides"]


@dataclass(frozen=True)
class Sides:
    """Where the far sides are (the tests point them at the local stand-ins)."""

    hf_endpoint: str
    modal_server: str


def local_hf_token(env_name: str) -> tuple[str | None, str]:
    """(token, where it came from): the profile's variable (``HF_TOKEN``), else the local
    ``huggingface-cli login`` (huggingface_hub ``get_token``)."""
    tok = os.environ.get(env_name)
    if tok:
        return tok, f"locally with ${env_name}"
    try:
        from huggingface_hub import get_token

        tok = get_token()
    except Exception:
        tok = None
    return (tok, "locally with the stored Hugging Face login") if tok else (None, "")


def run(profile: Profile, plan: DeploymentPlan, modal_probe: ModalProbe, sides: Sides,
        token_lookup: Callable[[str], tuple[str | None, str]] = local_hf_token) -> list[Row]:
    """Every check, in the order a first deployment would hit them."""
    fixes = {**preflight_fixes(profile),
             "set_image": cli_command("preflight", profile, changes={"engine.image": "<registry/name:tag>"})}
    ref = parse_ref(profile.engine.image)
    down = network.unreachable({"Hugging Face": sides.hf_endpoint, "Modal": sides.modal_server,
                                "registry": ref.base_url})
    if len(down) == 3:
        return [fail("network", "network", "no far side answers (" + "; ".join(f"{k}: {v}" for k, v in down.items())
                     + "): preflight needs the network", fixes["rerun"])]
    rows, token_ok = modal_rows(profile, modal_probe, fixes)
    m = profile.model
    token, where = token_lookup(profile.secrets.hf_token_env)
    if token is not None:
        probe = hub_probe(m.repo_id, m.revision, token, endpoint=sides.hf_endpoint)
    elif token_ok and profile.secrets.hf_token_secret:
        where = f"in a CPU Modal function with the secret '{profile.secrets.hf_token_secret}'"
        try:
            probe = modal_probe.hub_probe_in_modal()
        except ProbeError as exc:
            probe = {"ok": False, "kind": "network", "error": str(exc)}
    else:
        where = "locally without a token (public repos only)"
        probe = hub_probe(m.repo_id, m.revision, None, endpoint=sides.hf_endpoint)
    rows += hub_rows(probe, repo_id=m.repo_id, ref=m.revision, where=where, fixes=fixes)
    rows += config_rows(profile, probe)
    rows += image_rows(profile.engine.image, fixes=fixes)
    if token_ok:
        rows += volume_rows(profile, plan, modal_probe, probe.get("sha") if probe.get("ok") else None)
    return rows
