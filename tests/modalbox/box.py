"""The pytest side of the local control plane: start it, point the real client at it, run commands.

``box`` (module-scoped fixture) starts one ``ControlPlane`` on 127.0.0.1 for a test module and,
at teardown, fails the module if any RPC reached the control plane that it does not implement
or if one of its handlers crashed. ``Box.modal(...)`` runs the real ``modal`` CLI (or our own
CLI) in a subprocess with ``MODAL_SERVER_URL``/``MODAL_TOKEN_ID``/``MODAL_TOKEN_SECRET`` set
(read by modal/config.py) and returns the result plus the requests it caused.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .blobs import BlobServer
from .control_plane import ControlPlane
from .server import Call, ServerThread

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# Values of secrets a user might have in their shell. None may ever reach Modal: only secret
# NAMES travel, the values live in Modal Secrets (tests grep every recorded request for them).
SENTINEL = "sentinel-secret-value-7f3a9c"
SENTINEL_ENV = {"HF_TOKEN": SENTINEL, "HUGGING_FACE_HUB_TOKEN": SENTINEL, "API_KEY": SENTINEL,
                "OPENAI_API_KEY": SENTINEL, "MODAL_LLM_DEPLOY_PROXY_KEY": SENTINEL,
                "MODAL_LLM_DEPLOY_PROXY_SECRET": SENTINEL}

# The secrets the bundled and test profiles name; they "exist" in the box's workspace.
KNOWN_SECRETS = {"huggingface-secret", "glm51-api-key", "acme-tiny-api-key", "glm51-proxy-token"}


@dataclasses.dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    calls: list[Call]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def of(self, method: str) -> list:
        return [c.request for c in self.calls if c.method == method]


class Box:
    def __init__(self, cp: ControlPlane, server: ServerThread, home: Path) -> None:
        self.cp = cp
        self.server = server
        self.home = home

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
        env.update(SENTINEL_ENV)
        env.update(
            MODAL_SERVER_URL=self.server.url,
            MODAL_TOKEN_ID="ak-modalbox",
            MODAL_TOKEN_SECRET="as-modalbox",
            # No user config file: the settings above are all the client knows.
            MODAL_CONFIG_PATH=str(self.home / "modal.toml"),
            HOME=str(self.home),
            PYTHONUNBUFFERED="1",
            COLUMNS="200",
        )
        return env

    def run(self, argv: list[str], *, cwd: Path = REPO, timeout: float = 120, env: dict | None = None) -> Result:
        mark = self.cp.recorder.mark()
        proc = subprocess.run(argv, cwd=cwd, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout)
        result = Result(proc.returncode, proc.stdout, proc.stderr, self.cp.recorder.since(mark))
        self.assert_clean()
        return result

    def modal(self, *args: str, **kw) -> Result:
        """The real modal CLI, as a user types it."""
        return self.run([str(BIN / "modal"), *args], **kw)

    def mld(self, *args: str, **kw) -> Result:
        """This library's CLI."""
        return self.run([str(BIN / "modal-llm-deploy"), *args], **kw)

    def assert_clean(self) -> None:
        rec = self.cp.recorder
        assert not rec.unimplemented, (
            "the modal client called RPCs the local control plane does not implement: "
            f"{sorted({c.method for c in rec.unimplemented})} (add them to tests/modalbox/control_plane.py)"
        )
        assert not rec.errors, "control plane handler crashed:\n" + "\n".join(rec.errors)


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    cp = ControlPlane()
    cp.secrets |= KNOWN_SECRETS
    server = ServerThread(cp).start()
    blobs = BlobServer(cp).start()
    cp.blob_url = blobs.url
    b = Box(cp, server, tmp_path_factory.mktemp("modalbox-home"))
    try:
        yield b
    finally:
        server.stop()
        blobs.stop()
    b.assert_clean()
