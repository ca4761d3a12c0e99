"""No network, told apart from a flaky one, in seconds (issue 15).

On the user's machine the first contact with the Hub (``revision``, a local ``download``'s file
list, a ``preflight``-like check) should not retry for minutes when the machine has no network:
a host name that does not resolve, or a connection refused, will not heal in the next 110 s of
backoff. Those fail at once with one line and :data:`NETWORK_HINT`. Inside containers (the Modal
download step) nothing here is used: there every transient fault keeps its retries.

What the client raises, read from huggingface_hub 2.4 with its HTTP stack (``httpx2`` →
``httpcore2`` → the socket; checked by raising them): ``httpx2.ConnectError`` whose
``__cause__``/``__context__`` chain ends in ``socket.gaierror`` (``[Errno -2] Name or service
not known``) or ``ConnectionRefusedError`` (``[Errno 111]``); a connect timeout is
``httpx2.ConnectTimeout``. This module walks that chain by type, so it holds for any HTTP
library that chains the socket error.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from urllib.parse import urlsplit

from modal_llm_deploy.base.errors import StepError

# huggingface_hub 2.4 sends every request with no timeout at all (utils/_http.py
# ``default_client_factory``: ``httpx2.Client(..., timeout=None)``; ``HfApi.model_info(timeout=None)``
# passes None on), so a network that drops packets would hang the first contact forever. On the
# user's machine it gets this many seconds (httpx applies one number to connect, read, write and
# pool): a connect timeout then fails fast like a refused connection, a read timeout is retried.
FIRST_CONTACT_TIMEOUT_S = 10.0

NETWORK_HINT = ("check this machine's network (DNS, a proxy: HTTPS_PROXY) and HF_ENDPOINT, "
                "or run it where the Hub is reachable")


def unreachable(exc: BaseException) -> str | None:
    """Why ``exc`` means the host cannot be reached at all ("the name does not resolve",
    "the connection was refused", "connecting timed out"), or None for any other fault."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(e, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "there is no route to it (the network is unreachable)"
        if type(e).__name__ == "ConnectTimeout":
            return "connecting timed out"
        e = e.__cause__ or e.__context__
    return None


def unreachable_error(what: str, url: str, exc: BaseException) -> StepError | None:
    """The one line for ``exc`` when it means ``url`` cannot be reached (None otherwise)."""
    why = unreachable(exc)
    if why is None:
        return None
    return StepError(f"{what}: cannot reach {_origin(url)}: {why}; {NETWORK_HINT}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def probe(url: str, timeout_s: float = 5.0) -> float:
    """Resolve ``url``'s host and open a TCP connection to it (or to the proxy the environment
    names for it), within ``timeout_s`` in all; no HTTP request is sent. Returns the seconds it
    took; raises a one-line :class:`StepError` with :data:`NETWORK_HINT` when the host cannot
    be reached. For a ``preflight``-like first contact."""
    import urllib.request

    t0 = time.monotonic()
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        raise StepError(f"{url!r} is not a URL with a host: check HF_ENDPOINT")
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = p.hostname or host, p.port or 80
    target = f"{host}:{port}"
    # getaddrinfo has no timeout of its own (a dead resolver can hang for 20+ s): ask it in a
    # thread and stop waiting at the deadline.
    found: list = []
    failed: list[BaseException] = []

    def resolve() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:  # noqa: BLE001 (handed to the caller below)
            failed.append(exc)

    t = threading.Thread(target=resolve, daemon=True)
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        raise StepError(f"cannot reach {_origin(url)}: resolving {host} took over {timeout_s:g} s; {NETWORK_HINT}")
    if failed or not found:
        raise StepError(f"cannot reach {_origin(url)}: the host name {host} does not resolve; {NETWORK_HINT}")
    left = max(0.1, timeout_s - (time.monotonic() - t0))
    family, kind, proto, _, addr = found[0]
    try:
        with socket.socket(family, kind, proto) as s:
            s.settimeout(left)
            s.connect(addr)
    except ConnectionRefusedError:
        raise StepError(f"cannot reach {_origin(url)}: the connection to {target} was refused; {NETWORK_HINT}") from None
    except (TimeoutError, socket.timeout):
        raise StepError(f"cannot reach {_origin(url)}: connecting to {target} took over {timeout_s:g} s; "
                        f"{NETWORK_HINT}") from None
    except OSError as exc:
        raise StepError(f"cannot reach {_origin(url)}: connecting to {target} failed ({exc.strerror or exc}); "
                        f"{NETWORK_HINT}") from None
    return time.monotonic() - t0
