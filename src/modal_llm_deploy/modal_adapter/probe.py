"""Preflight's questions to Modal (issue 16), over Modal's Python API: which workspace the token
belongs to, whether a named secret or volume exists, a small file in a volume, and the
``preflight_hub`` unit's answer. Implements operate/preflight/modal_checks.py ``ModalProbe``.

Client calls (modal 1.6.4): ``Workspace.from_context().hydrate().name`` (_workspace.py,
WorkspaceNameLookup), ``Secret.from_name(n).hydrate()`` / ``Volume.from_name(n).hydrate()``
without ``create_if_missing`` (NOT_FOUND → ``modal.exception.NotFoundError``, _grpc_client.py),
``Volume.read_file(path)`` (volume.py; a missing file → ``FileNotFoundError``), and
``App.run()`` + ``Function.remote()`` for the unit. Nothing is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import modal
import modal.exception

from modal_llm_deploy.operate.preflight.modal_checks import ProbeError

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _call(what: str, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except (modal.exception.Error, OSError) as exc:
        raise ProbeError(f"{what}: {type(exc).__name__}: {_one_line(exc)}") from None


class ModalApiProbe:
    def __init__(self, plan: "DeploymentPlan") -> None:
        self.plan = plan

    def workspace(self) -> str:
        ws = _call("Modal refused the token", lambda: modal.Workspace.from_context().hydrate())
        return ws.name or "(unnamed)"

    def _exists(self, what: str, obj: Any) -> bool:
        try:
            obj.hydrate()
            return True
        except modal.exception.NotFoundError:
            return False
        except (modal.exception.Error, OSError) as exc:
            raise ProbeError(f"looking up {what}: {type(exc).__name__}: {_one_line(exc)}") from None

    def secret_exists(self, name: str) -> bool:
        return self._exists(f"secret {name}", modal.Secret.from_name(name))

    def volume_exists(self, name: str) -> bool:
        return self._exists(f"volume {name}", modal.Volume.from_name(name))

    def read_volume_file(self, volume: str, path: str) -> bytes | None:
        try:
            return b"".join(modal.Volume.from_name(volume).read_file(path))
        except (FileNotFoundError, modal.exception.NotFoundError):
            return None
        except (modal.exception.Error, OSError) as exc:
            raise ProbeError(f"reading {path} in volume {volume}: {type(exc).__name__}: {_one_line(exc)}") from None

    def hub_probe_in_modal(self) -> dict:
        from modal_llm_deploy.modal_adapter.render import render_preflight

        app, fn = render_preflight(self.plan)

        def go() -> dict:
            with app.run():
                return fn.remote()

        try:
            return _call("running preflight_hub on Modal", go)
        except ProbeError:
            raise
        except Exception as exc:  # raised in the container and re-raised here (modal _process_result)
            raise ProbeError(f"preflight_hub failed on Modal: {type(exc).__name__}: {_one_line(exc)}") from None


def server_url() -> str:
    """The control plane the client talks to: modal/config.py ``server_url`` (a comma-separated
    list in 1.6.4; the client dials the first)."""
    from modal.config import config

    return str(config.get("server_url")).split(",")[0].strip()
