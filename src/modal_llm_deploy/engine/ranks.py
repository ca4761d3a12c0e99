"""SGLang's multi-node arguments: what each rank of one engine spread over several containers
is told (``--node-rank``, ``--dist-init-addr``; sglang 0.5.23 ``srt/server_args.py``,
``srt/entrypoints/engine.py`` ``_calculate_rank_ranges``), as data the plan carries and a
cluster container fills in (``steps/cluster.py``) with its rank and its peers' addresses.
"""

from __future__ import annotations

from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict

from modal_llm_deploy.engine.bind import PEER_FAMILY, url_host

# The port rank 0 opens for torch.distributed's rendezvous (``--dist-init-addr host:port``). Our
# choice, not SGLang's: away from the serving port (8000), the compile run's private server
# (30000, plan.COMPILE_PORT) and the ports SGLang derives from the serving port. SGLang derives
# at most six more above it (port_base = dist_init_port + 1 .. + 6, sglang 0.5.23
# srt/server_args.py PortArgs.init_new, DP-attention branch), all well below 8000.
DIST_INIT_PORT = 5000

# The family peers are dialled with, and why: engine/bind.py (modal 1.6.4 _cluster.py). SGLang
# parses ``--dist-init-addr`` with NetworkAddress.parse, which wants IPv6 in brackets
# ("[::1]:8000"; sglang 0.5.23 srt/utils/network.py), and builds torch's init method from it
# with NetworkAddress.to_tcp() ("tcp://[::1]:8000"; srt/distributed/bootstrap.py
# _resolve_dist_init_method). torch's TCPStore on rank 0 listens there (tests/test_peer_network.py
# runs a real gloo rendezvous at the rendered string).
ADDRESS_FAMILY: Literal["ipv6", "ipv4"] = PEER_FAMILY


class RankArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use (import cost)

    """The SGLang arguments only a cluster container knows, as a template.

    ``{rank}``: ``Cluster.container_rank()``; ``{rank0_addr}``: rank 0's address from
    ``Cluster.container_ips()`` (bracketed if IPv6) followed by ``:dist_init_port``."""

    template: list[str]
    dist_init_port: int
    address_family: Literal["ipv6", "ipv4"]

    def render(self, rank: int, ips: Sequence[str]) -> list[str]:
        if not 0 <= rank < len(ips):
            raise ValueError(f"rank {rank} is outside the cluster's {len(ips)} container IPs")
        addr = f"{url_host(ips[0])}:{self.dist_init_port}"
        return [a.replace("{rank}", str(rank)).replace("{rank0_addr}", addr) for a in self.template]
