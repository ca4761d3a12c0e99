"""Fail fast without a network: one short TCP connect per far side before any client (whose own
retries would take minutes) is started."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit


def endpoint_of(url: str) -> tuple[str, int]:
    u = urlsplit(url if "://" in url else f"https://{url}")
    return u.hostname or "", u.port or (443 if u.scheme == "https" else 80)


def unreachable(urls: dict[str, str], timeout_s: float = 3.0) -> dict[str, str]:
    """``{name: reason}`` for each far side that does not accept a TCP connection within
    ``timeout_s`` (DNS failure, refused, timeout); empty when all answer."""
    out: dict[str, str] = {}
    for name, url in urls.items():
        host, port = endpoint_of(url)
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                pass
        except socket.gaierror:
            out[name] = f"cannot resolve {host}"
        except (TimeoutError, socket.timeout):
            out[name] = f"{host}:{port} did not answer within {timeout_s:g} s"
        except OSError as exc:
            out[name] = f"{host}:{port}: {exc.strerror or exc}"
    return out
