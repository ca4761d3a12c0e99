"""One rank of a multi-node SGLang server: its argv, its readiness, the heartbeat between ranks.

A multi-node profile (``hardware.nodes`` > 1, profile/topology.py) runs as a Modal cluster: every
container runs the same server class, and ``modal.Cluster.from_context()`` tells it its rank and
the cluster's IPs (modal 1.6.4 ``_cluster.py``). Modal routes HTTP only to rank 0
(``_partial_function.py`` ``_clustered``: "Server requests are routed only to rank 0").

What SGLang 0.5.23 does per rank (paths inside the sglang package):

* rank 0 runs the HTTP server, tokenizer and detokenizer; ``/health`` is the real one.
* ranks ≥ 1 run only their schedulers (GPU workers) and then
  ``launch_dummy_health_check_server(host, port)``: ``/health`` and ``/ping`` answer 200, nothing
  else is served (``srt/entrypoints/engine.py`` ``_launch_subprocesses``,
  ``srt/utils/common.py``). So every rank has a ``/health`` on the serving port.
* ranks ≥ 1 ignore SIGTERM: "waiting for the rank-0 ShutdownReq broadcast to stop the
  schedulers" (engine.py). A drain therefore starts on rank 0 and rank 0 stops the others.

How a dead rank ends the whole cluster — a heartbeat, decided explicitly. SGLang itself would
notice a dead peer only when a collective fails or hangs: NCCL blocks until its timeout or the
scheduler watchdog (``--watchdog-timeout``, 1200 s in the GLM profiles) fires, i.e. a rank-0
container that takes requests and answers none for up to 20 minutes. Instead, each rank polls
its peers over the cluster network (:class:`PeerWatch`; rank 0's ``/ready``, the others' ``/health``): rank 0 polls every rank ≥ 1,
each rank ≥ 1 polls rank 0. Any HTTP answer (also 503 while rank 0 drains or is busy) means the
process is alive; only no answer at all (connection refused / timeout), ``misses`` times in a
row after the peer had answered once, counts as lost. Then the rank kills its own SGLang and
ends its container, so no half cluster stays up; Modal replaces the containers.
(Unverified without a real Modal cluster: whether Modal replaces the *group* when one of its
containers exits — the heartbeat makes every container of the group exit on its own anyway.)
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable, Sequence

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.engine.bind import url_host
from modal_llm_deploy.engine.ranks import RankArgs
from modal_llm_deploy.steps.log import log


@dataclass(frozen=True)
class ClusterInfo:
    """What ``modal.Cluster.from_context()`` tells a container: its rank and every container's
    IP, ordered by rank. ``ports``: each rank's serving port, only for a stand-in cluster on one
    host (tests); on Modal every rank serves on the plan's port on its own host (None)."""

    rank: int
    ips: tuple[str, ...]
    ports: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if not self.ips or not 0 <= self.rank < len(self.ips):
            raise StepError(f"cluster rank {self.rank} is outside the {len(self.ips)} container IPs Modal reported")
        if self.ports is not None and len(self.ports) != len(self.ips):
            raise StepError(f"{len(self.ports)} ports for {len(self.ips)} cluster containers")

    @property
    def size(self) -> int:
        return len(self.ips)

    def port(self, rank: int, default: int) -> int:
        return self.ports[rank] if self.ports is not None else default


def rank_argv(argv: Sequence[str], rank_args: RankArgs, info: ClusterInfo, *, nodes: int, port: int) -> list[str]:
    """The plan's server argv (which already holds ``--nnodes``) plus this rank's
    ``--node-rank``/``--dist-init-addr``; ``--port`` again only for a stand-in cluster whose
    ranks share a host (argparse keeps the last value)."""
    if info.size != nodes:
        raise StepError(
            f"Modal reported a cluster of {info.size} containers but the plan has hardware.nodes={nodes}: "
            "redeploy so the server's modal.clustered size matches the plan"
        )
    out = list(argv) + rank_args.render(info.rank, list(info.ips))
    mine = info.port(info.rank, port)
    if mine != port:
        out += ["--port", str(mine)]
    return out


def peer_url(ip: str, port: int, rank: int) -> str:
    """The cheap probe of a peer. Rank 0: ``/ready``, a flag check (``tokenizer_manager.is_ready()``)
    that needs no API key (sglang 0.5.23 ``srt/entrypoints/http_server.py``, ``srt/utils/auth.py``
    lets /health*, /ready*, /metrics* through). Not rank 0's ``/health``: it runs a 1-token
    generation and can take up to ``SGLANG_HEALTH_CHECK_TIMEOUT`` (20 s) under load — a busy
    rank 0 must not look dead. Ranks ≥ 1: ``/health`` of SGLang's dummy health server (constant
    200; ``srt/utils/common.py`` ``launch_dummy_health_check_server``)."""
    # ``ip``: the peer's address in the plan's peer family (Cluster.container_ips; IPv6 on Modal,
    # engine/bind.py), which the peer's --host '' serves.
    return f"http://{url_host(ip)}:{port}/{'ready' if rank == 0 else 'health'}"


def probe(url: str, timeout_s: float) -> int | None:
    """HTTP status of ``GET url``, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return r.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code
    except (urllib.error.URLError, OSError):
        return None


class PeerWatch:
    """Heartbeat on peers (see the module docstring for why not NCCL's own failure).

    ``wait_up``: block until every peer answers 200 (rank 0 is ready only when all ranks are).
    URLs: :func:`peer_url`.
    ``start``: from a thread, call ``on_lost(rank, reason)`` once when a peer that answered before
    gives no answer ``misses`` times in a row (call ``wait_up`` first, so every peer has answered)."""

    def __init__(
        self,
        peers: dict[int, str],
        *,
        on_lost: Callable[[int, str], None],
        interval_s: float = 5.0,
        misses: int = 3,
        timeout_s: float = 10.0,
    ):
        self.peers = dict(peers)
        self.on_lost = on_lost
        self.interval_s = interval_s
        self.misses = misses
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seen: set[int] = set()

    def wait_up(self, timeout_s: float, cancel: threading.Event | None = None, *, any_answer: bool = False) -> float:
        """Until every peer answers 200 — or, with ``any_answer``, answers at all (a rank ≥ 1
        waits so for rank 0's HTTP port: from then on the heartbeat can tell it died; rank 0
        may still answer 503 while it finishes starting)."""
        t0 = time.monotonic()
        pending = dict(self.peers)
        last: dict[int, int | None] = {}
        while pending:
            for rank, url in list(pending.items()):
                last[rank] = code = probe(url, min(self.timeout_s, 5.0))
                if code is not None:
                    self.seen.add(rank)
                if code == 200 or (any_answer and code is not None):
                    del pending[rank]
            if not pending:
                break
            if cancel is not None and cancel.is_set():
                raise StepError("interrupted while waiting for the other cluster ranks")
            if time.monotonic() - t0 > timeout_s:
                state = ", ".join(f"rank {r}: {last.get(r) or 'no answer'}" for r in pending)
                raise StepError(f"cluster ranks not ready after {timeout_s:.0f} s ({state})")
            time.sleep(min(self.interval_s, 1.0))
        el = time.monotonic() - t0
        log(f"all {len(self.peers)} other cluster rank(s) {'reachable' if any_answer else 'healthy'} after {el:.1f} s")
        return el

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cluster-heartbeat", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        missed = {r: 0 for r in self.peers}
        while not self._stop.wait(self.interval_s):
            for rank, url in self.peers.items():
                code = probe(url, self.timeout_s)
                if self._stop.is_set():
                    return
                if code is not None:
                    self.seen.add(rank)
                    missed[rank] = 0
                    continue
                if rank in self.seen:
                    missed[rank] += 1
                    if missed[rank] >= self.misses:
                        return self._lost(rank, f"no answer from {url} {missed[rank]} times in a row")

    def _lost(self, rank: int, reason: str) -> None:
        if not self._stop.is_set():
            log(f"cluster rank {rank} lost: {reason}")
            self.on_lost(rank, reason)


def peers_of(info: ClusterInfo, port: int) -> dict[int, str]:
    """Rank 0 watches every other rank; every other rank watches rank 0."""
    ranks = range(1, info.size) if info.rank == 0 else [0]
    return {r: peer_url(info.ips[r], info.port(r, port), r) for r in ranks}


def compile_worker(argv: Sequence[str], *, env: dict[str, str], marker_path, timeout_s: float,
                   force: bool = False) -> int:
    """A rank ≥ 1 of the multi-node kernel compile: run ``sglang.compile_deep_gemm`` with this
    rank's arguments and publish nothing.

    sglang 0.5.23 ``compile_deep_gemm.py``: the compile starts the same multi-node server (a model
    that needs two nodes cannot be loaded on one); rank 0 polls ``/v1/models`` and sends the one
    generate request that compiles, a rank ≥ 1 polls its dummy ``/health`` and then waits until
    its server process ends (rank 0's shutdown). So every rank must run it, with the same
    topology. Only rank 0 publishes its tree under the (cluster-wide) key and writes the marker:
    one writer per key directory. The other ranks' kernels are the same GEMM shapes (TP shards
    every rank alike), which is why the server restores rank 0's tree on every rank — an
    assumption we could not check without a real cluster (docs/multinode.md).
    """
    from pathlib import Path

    from modal_llm_deploy.steps.serve import StreamedChild

    if Path(marker_path).exists() and not force:
        # rank 0 skips a compiled key too (deepgemm.compile_deepgemm); starting alone would wait
        # for a rank 0 that never comes until --timeout. With ``force`` rank 0 recompiles, so
        # this rank must take part: skipping would leave rank 0's --nnodes server waiting for it.
        log(f"kernels already compiled ({marker_path}): nothing to do on this rank")
        return 0
    child = StreamedChild(list(argv), env=env, prefix="[compile] ")
    child.start()
    try:
        rc = child.wait(timeout_s)
    except Exception:  # subprocess.TimeoutExpired
        child.kill_group()
        raise StepError(f"compile on this rank still running after {timeout_s:.0f} s; last lines: {child.tail_text()}")
    child.kill_group()
    child.finish_output(5.0)
    if rc != 0:
        raise StepError(f"sglang.compile_deep_gemm exited with code {rc} on this rank; last lines: {child.tail_text()}")
    return rc
