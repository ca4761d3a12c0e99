"""Fail fast without a network: one short TCP connect per far side (through the proxy the
environment names for it, as the clients would) before any client, whose own retries would take
minutes, is started. The probe itself is the library's one first-contact check
(``steps/network.py`` ``probe``, shared with ``revision`` and the local download)."""

from __future__ import annotations

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.steps.network import probe


def unreachable(urls: dict[str, str], timeout_s: float = 3.0) -> dict[str, str]:
    """``{name: reason}`` for each far side that does not accept a TCP connection within
    ``timeout_s`` (DNS failure, refused, timeout); empty when all answer."""
    out: dict[str, str] = {}
    for name, url in urls.items():
        try:
            probe(url if "://" in url else f"https://{url}", timeout_s)
        except StepError as exc:
            out[name] = str(exc).split("; ")[0]  # the reason; the caller adds its own fix line
    return out
