"""Modal: the token works (which workspace), every secret the profile names exists, and what
Modal itself validates (GPU names and counts per container, regions) shown as unchecked here.

Operate code imports no ``modal``: the CLI hands in a :class:`ModalProbe` (implemented over
Modal's Python API in modal_adapter/probe.py; the tests drive that one against the local
control plane)."""

from __future__ import annotations

from typing import Protocol

from modal_llm_deploy.base.envvars import PROXY_KEY_ENV, PROXY_SECRET_ENV
from modal_llm_deploy.operate.preflight.rows import Row, fail, info, ok
from modal_llm_deploy.plan.commands import secret_create
from modal_llm_deploy.profile.model import Profile


class ProbeError(Exception):
    """A Modal call failed; the message is one line, with no secret in it."""


class ModalProbe(Protocol):
    def workspace(self) -> str: ...  # raises ProbeError
    def secret_exists(self, name: str) -> bool: ...  # raises ProbeError for anything but "not found"
    def volume_exists(self, name: str) -> bool: ...
    def read_volume_file(self, volume: str, path: str) -> bytes | None: ...  # None: no such file
    def hub_probe_in_modal(self) -> dict: ...  # the preflight_hub unit's answer (runtime.preflight_hub)


def named_secrets(profile: Profile) -> list[tuple[str, str, list[str]]]:
    """(role, secret name, keys it must hold) for every secret the profile names."""
    s, sv = profile.secrets, profile.serving
    out = []
    if s.hf_token_secret:
        out.append(("Hugging Face token", s.hf_token_secret, [s.hf_token_env]))
    if sv.api_key_secret:
        out.append(("server API key", sv.api_key_secret, [sv.api_key_env]))
    if sv.proxy_auth_secret:
        out.append(("Modal proxy token (bench)", sv.proxy_auth_secret, [PROXY_KEY_ENV, PROXY_SECRET_ENV]))
    return out


def modal_rows(profile: Profile, probe: ModalProbe, fixes: dict[str, str]) -> tuple[list[Row], bool]:
    """Rows, and whether the token works (the volume rows need it)."""
    try:
        ws = probe.workspace()
    except ProbeError as exc:
        return [fail("modal", "token", str(exc), fixes["modal_token"])], False
    rows = [ok("modal", "token", f"works, workspace '{ws}'")]
    for role, name, keys in named_secrets(profile):
        try:
            exists = probe.secret_exists(name)
        except ProbeError as exc:
            rows.append(fail("modal", f"secret {name}", f"{role}: {exc}", fixes["rerun"]))
            continue
        rows.append(ok("modal", f"secret {name}", f"{role}: exists") if exists else
                    fail("modal", f"secret {name}", f"{role}: no secret named '{name}' in workspace '{ws}'",
                         secret_create(name, keys)))
    hw, sv = profile.hardware, profile.serving
    rows.append(info("modal", "GPU", f"{hw.modal_gpu}{f' × {hw.nodes} nodes' if hw.nodes > 1 else ''}: names and "
                                     "counts per container are validated on Modal's side (unchecked here; the "
                                     "library's own table accepts it, base/hardware.py)"))
    regions = sv.routing_region + (f", compute {sv.compute_region}" if sv.compute_region else "")
    rows.append(info("modal", "regions", f"{regions}: validated on Modal's side (unchecked here)"))
    return rows, True
