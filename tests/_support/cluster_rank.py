"""One "container" of a stand-in Modal cluster, for tests/test_multinode.py.

Runs the real runtime.SGLangServer (boot → serve → shutdown) the way Modal would in a clustered
container: the plan from MODAL_LLM_DEPLOY_PLAN, @modal.enter = boot, SIGTERM → @modal.exit =
shutdown. Only the Modal-provided pieces are stood in: ``runtime.cluster_info`` (what
``modal.Cluster.from_context()`` would say: this rank and every rank's address in the plan's peer
family — IPv6 on Modal, so ``::1`` by default here, each rank with its own serving port since they
share one host) and the volume handle (never used by the server). Peers are dialled exactly as in
production: steps/cluster.py builds the URLs from these addresses.

    python cluster_rank.py <rank> <port0,port1,...|-> [<ip0,ip1,...>]
"""

from __future__ import annotations

import signal
import sys
import threading

from modal_llm_deploy.modal_adapter import runtime
from modal_llm_deploy.steps.cluster import ClusterInfo

rank = int(sys.argv[1])
# "-": every rank serves the plan's port on its own address, as on Modal (a rank per network
# namespace, tests/test_multinode.py); else one port per rank, for ranks sharing one host.
ports = None if sys.argv[2] == "-" else tuple(int(p) for p in sys.argv[2].split(","))
ips = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ("::1",) * len(ports)
runtime.cluster_info = lambda plan: ClusterInfo(rank=rank, ips=ips, ports=ports)

done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
server = runtime.SGLangServer()
server.boot()
print(f"RANK {rank} BOOTED", flush=True)
done.wait()
server.shutdown()
print(f"RANK {rank} SHUTDOWN DONE", flush=True)
sys.exit(0)
