"""``preflight``: everything that can fail at first contact, checked before any GPU (issue 16).

Thin: load the profile, build the plan, hand Modal's API (modal_adapter/probe.py) to the checks
(operate/preflight/), print the checklist. Exit 1 when a row fails; ``setup`` runs the same
checks first (``--skip-preflight`` skips them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.cli.common import FileOpt, ProfileArg, SetOpt, _guard, _load, app, out
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.plan.commands import preflight_fixes
from modal_llm_deploy.plan.models import DeploymentPlan
from modal_llm_deploy.profile.model import Profile


def checklist(prof: Profile, p: DeploymentPlan, *, as_json: bool = False) -> None:
    """Run every check, print the checklist; StepError (exit 1) when a row failed."""
    from huggingface_hub import constants

    from modal_llm_deploy.modal_adapter.probe import ModalApiProbe, server_url
    from modal_llm_deploy.operate import preflight as pf

    sides = pf.Sides(hf_endpoint=(os.environ.get("HF_ENDPOINT") or constants.ENDPOINT), modal_server=server_url())
    rows = pf.run(prof, p, ModalApiProbe(p), sides)
    if as_json:
        print(json.dumps([r.to_json() for r in rows], indent=2, ensure_ascii=False))
    else:
        for line in pf.render(rows):
            out.print(line, markup=False, soft_wrap=True)
    failed = [r for r in rows if r.failed]
    if failed:
        raise StepError(f"preflight of {prof.name}: {len(failed)} check{'s' if len(failed) > 1 else ''} failed "
                        f"({', '.join(r.name for r in failed)}); fix them, then: {preflight_fixes(prof)['rerun']}")


@app.command()
def preflight(
    profile: str = ProfileArg,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable rows."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """Check token, secrets, repo, image and volumes before any GPU.

    The Modal token and secrets, the weights repo, its config against the profile (with the
    pinned SGLang's own shape rules), the registry image and the volumes. Exit 1 if a check fails.

    The Hub is read with HF_TOKEN (or the local login) when there is one, else in a CPU Modal
    function with the profile's HF secret."""

    def run() -> None:
        prof = _load(profile, sets, file)
        checklist(prof, build_plan(prof), as_json=as_json)

    _guard(run)
