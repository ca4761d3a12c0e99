"""Where SGLang listens and how its peers dial it: the bind host, the peer address family, and
what each bind host actually serves.

Decided from the pinned packages' source (paths inside each package):

* **Peers dial IPv6.** A clustered Modal container registers its own i6pn IPv6 address with the
  cluster (modal 1.6.4 ``_cluster.py`` ``_initialize_clustered_function``: ``get_i6pn()`` resolves
  ``i6pn.modal.local`` with ``AF_INET6`` and sends it as ``TaskClusterHello.container_ip``; NCCL's
  host id is built from it), a clustered function or server gets i6pn networking (``app.py``:
  ``i6pn_enabled = i6pn or (cluster_size is not None)``), and ``Cluster.container_ips()`` returns
  those addresses by default (``family="ipv6"``). ``container_ips(family="ipv4")`` also exists
  ("for intra-cluster communication"), but its addresses come from the server's reply
  (``container_ipv4_ips``) with nothing in the client saying which interface or network they are
  on; the IPv6 family is the one the client itself sets up and reports. So the plan dials peers
  over IPv6 and every socket a peer dials must serve IPv6.
* **Modal's own traffic: keep IPv4.** How Modal's proxy reaches an ``app.server`` container is not
  in the client source (the container only reports ready, ``experimental/flash_server.py``);
  ``@modal.web_server`` (which we do not use) dials the container's eth0 IPv4 address
  (``_runtime/user_code_imports.py``). The serving port therefore also keeps serving IPv4.
* **Both from one listener setting: an empty host.** SGLang serves HTTP with
  ``uvicorn.Server(uvicorn.Config(app, host=host, port=port, ..., loop="uvloop"))``
  (sglang 0.5.23 ``srt/entrypoints/http_server.py``, default single-tokenizer branch) and the
  dummy health server of ranks ≥ 1 with ``uvicorn.Config(app, host=host, port=port,
  loop="auto", ...)`` on the same ``--host`` (``srt/utils/common.py``
  ``launch_dummy_health_check_server``). uvicorn hands the host to the event loop's
  ``create_server``, which (CPython ``asyncio/base_events.py`` ``create_server``; uvloop the
  same) opens one listener per address ``getaddrinfo(host or None, port, AI_PASSIVE)`` returns and
  sets ``IPV6_V6ONLY`` on the IPv6 one. So ``""`` serves IPv4 *and* IPv6 on all interfaces,
  ``"::"`` IPv6 only, ``"0.0.0.0"`` IPv4 only (tests/test_peer_network.py runs SGLang's own
  ``launch_dummy_health_check_server`` and the HTTP server's uvicorn arguments on each).
  SGLang's own internal requests map an empty host to 127.0.0.1 (``srt/server_args.py``
  ``ServerArgs.url()``); its ``--host`` is a plain string nothing validates.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

Family = Literal["ipv4", "ipv6"]

# The family the plan dials peers with (see the module docstring).
PEER_FAMILY: Family = "ipv6"

# SGLang's --host in the container: every interface, both families.
SERVE_BIND_HOST = ""


def families_served(host: str) -> frozenset[Family]:
    """The address families a uvicorn listener on ``host`` accepts connections on (asyncio's and
    uvloop's ``create_server``: one listener per resolved address, ``IPV6_V6ONLY`` on IPv6)."""
    if host == "":
        return frozenset({"ipv4", "ipv6"})
    h = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:  # a host name: whatever it resolves to, which we cannot know offline
        return frozenset()
    return frozenset({"ipv6" if ip.version == 6 else "ipv4"})


def loopback_for(host: str) -> str:
    """Where a process in the same container reaches a server bound to ``host``: SGLang's own
    rule (``ServerArgs.url()``: empty or 0.0.0.0 → 127.0.0.1, ``::`` → ``::1``), a specific
    address as it is."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def url_host(ip: str) -> str:
    """An address as it goes into a URL or ``host:port``: IPv6 in brackets (RFC 3986; SGLang's
    ``NetworkAddress`` in ``srt/utils/network.py`` wants the same for ``--dist-init-addr``)."""
    return f"[{ip}]" if ":" in ip and not ip.startswith("[") else ip


def _names(fams: frozenset[Family]) -> str:
    return " + ".join(f.replace("ipv", "IPv") for f in sorted(fams)) or "unknown families (a host name)"


def describe_bind(host: str, peer_family: Family | None) -> str:
    """One line for ``plan``: the bind host, the families it serves, the family peers dial."""
    shown = "''" if host == "" else host
    line = f"--host {shown}: serves {_names(families_served(host))}"
    if peer_family is not None:
        line += f"; cluster peers dial {_names(frozenset({peer_family}))} (Cluster.container_ips)"
    return line
