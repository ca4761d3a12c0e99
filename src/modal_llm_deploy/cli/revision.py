"""`revision`: the commit the profile's ``model.revision`` resolves to on the Hub now, and the
override that pins it (issue 7).

Online, with the user's token: the token is read from the env var the profile names
(``secrets.hf_token_env``, e.g. ``HF_TOKEN``) and is never printed; errors come from
``steps.download.resolve_revision`` as one line with the token redacted. Exit 1 for a Hub or
network failure (not found, gated, bad token, unreachable), 2 for bad input (profile, --set).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from modal_llm_deploy.cli.common import (
    FileOpt,
    ProfileArg,
    SetOpt,
    _guard,
    _load,
    app,
    out,
)
from modal_llm_deploy.plan.commands import env_assignment, fix_commands, render_value


@app.command()
def revision(
    profile: str = ProfileArg,
    ref: Optional[str] = typer.Option(None, "--ref", metavar="REF",
                                      help="Branch, tag or sha to resolve instead of the profile's model.revision."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    sets: Optional[list[str]] = SetOpt,
    file: Optional[Path] = FileOpt,
) -> None:
    """The sha model.revision resolves to; its pin.

    Online: prints the commit sha model.revision (or --ref) resolves to on the Hub now, and the
    override that pins it. The token comes from the profile's secrets.hf_token_env variable
    (HF_TOKEN) and is never printed."""

    def run() -> None:
        from modal_llm_deploy.steps.download import RetryPolicy, resolve_revision

        prof = _load(profile, sets, file)
        repo_id, want = prof.model.repo_id, ref or prof.model.revision
        # The same variable the download step reads (modal_adapter/runtime.py / cli/steps.py: plan.weights.token_env).
        token = os.environ.get(prof.secrets.hf_token_env) or None
        d = prof.download
        # On the user's machine: no network (a name that does not resolve, a refused
        # connection) fails at once with the hint; other faults are retried, each wait said on
        # stderr (steps/network.py).
        sha = resolve_revision(repo_id, want, token,
                               retry=RetryPolicy(attempts=d.attempts, delays_s=tuple(d.backoff_s)),
                               fail_fast=True, say=lambda line: print(line, file=sys.stderr, flush=True))
        # The pin joins whatever other overrides are in effect, so the printed commands act on
        # this deployment (plan/commands.py), with model.revision replaced by the sha.
        pinned = fix_commands(prof, {"model.revision": sha})
        item = f"model.revision={render_value(sha)}"
        cmds = {
            "set": f"--set {item}",
            "env": env_assignment({"model.revision": sha}),
            "deploy_cli": pinned["deploy_cli"],
            "deploy": pinned["deploy"],
        }
        if as_json:
            print(json.dumps({"repo_id": repo_id, "ref": want, "sha": sha, "pinned": want == sha, **cmds}, indent=2))
            return
        already = " (already a commit sha: it exists)" if want == sha else ""
        out.print(f"{repo_id} @ {want} → {sha}{already}", markup=False, soft_wrap=False)
        out.print("pin it (--set for the CLI; a deploy script reads the environment form):", markup=False)
        for key in ("set", "env", "deploy_cli", "deploy"):
            out.print(f"  {cmds[key]}", markup=False, soft_wrap=True)

    _guard(run)
