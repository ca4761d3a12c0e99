"""``modal-llm-deploy``: list profiles, show plans, run the container steps locally, and set up,
deploy and operate the app on Modal.

Thin by design: every command loads a profile, builds the plan and calls a step function or
Modal's Python API. Bad input exits 2 with one line on stderr; a failed step exits 1 with one
line; no tracebacks.

One module per command group, each registering its commands on ``app``:
``local`` (profiles, plan), ``steps`` (download, compile, verify, serve on local directories),
``modal_cmds`` (setup, deploy, url, scale: need a Modal token), ``operate`` (smoke, bench,
logs, triage, cost), ``revision`` (online: the sha a ref resolves to and the override to pin it).
Only ``modal_cmds`` imports
Modal, and only inside its commands, so the local commands start fast.
"""

from __future__ import annotations

# Register the command groups: importing each module adds its commands to `app`, in this order
# in --help (the accuracy gate's `eval` right after `bench`).
from modal_llm_deploy.cli import local, modal_cmds, operate  # noqa: F401, I001
from modal_llm_deploy.cli import evalgate  # noqa: F401, I001
from modal_llm_deploy.cli import preflight  # noqa: F401, I001
from modal_llm_deploy.cli import revision, steps  # noqa: F401, I001
from modal_llm_deploy.cli.common import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
