"""The local control plane speaks the protocol of the modal wheel we pin."""

from __future__ import annotations

import importlib.metadata as md

from packaging.requirements import Requirement

from modalbox.box import box  # noqa: F401  (fixture)
from modalbox.control_plane import ControlPlane
from modalbox.server import SERVICE_METHODS


def test_installed_modal_is_inside_the_pin():
    (req,) = [Requirement(r) for r in md.requires("modal-llm-deploy") or [] if Requirement(r).name == "modal"]
    assert md.version("modal") in req.specifier, (md.version("modal"), str(req))


def test_every_handler_is_an_rpc_of_the_pinned_wheel():
    """A handler for an RPC the wheel no longer has would never be called: after a modal upgrade
    this names what moved."""
    handlers = {n[len("rpc_"):] for n in dir(ControlPlane) if n.startswith("rpc_")}
    assert handlers and handlers <= set(SERVICE_METHODS), sorted(handlers - set(SERVICE_METHODS))


def test_client_sends_its_version_and_our_token(box):
    r = box.mld("url", "glm51_fp8")  # one real client round trip (the app is not deployed here)
    assert r.calls, r.stderr
    for call in r.calls:
        assert call.metadata.get("x-modal-client-version") == md.version("modal")
        assert call.metadata.get("x-modal-token-id") == "ak-modalbox"


def test_an_unimplemented_rpc_is_recorded_and_fails_the_client(box):
    """`modal app list` (AppList) is nothing this library needs: the control plane answers
    UNIMPLEMENTED, the client fails, and the call is recorded so the fixture would fail the test."""
    import subprocess

    env = box.env
    proc = subprocess.run([box_modal(), "app", "list"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "not implemented by the test control plane" in proc.stdout + proc.stderr
    unimpl = {c.method for c in box.cp.recorder.unimplemented}
    assert unimpl, "the unimplemented call was not recorded"
    box.cp.recorder.unimplemented.clear()  # expected here; any other one fails the module


def box_modal() -> str:
    from modalbox.box import BIN

    return str(BIN / "modal")
