"""Issue 10: a profile spanning several 8-GPU containers (profile/topology.py, steps/cluster.py).

* each rank's launch and compile argv, built from a stand-in cluster info, parses with the real
  SGLang 0.5.23 parser (MLD_SGLANG_PYTHON);
* memory-fit, divisibility and cluster-multiple mistakes are refused at plan time, one line each;
* the local pipeline runs two stand-in ranks (rank 0 serving, rank 1 worker) through the real
  runtime.SGLangServer: ready only when both are up; killing rank 1 ends rank 0's container;
  SIGTERM drains on rank 0 first and rank 0's shutdown stops rank 1.

(`modal deploy` of the multi-node example against the local control plane is in
test_modalbox_deploy.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))
from standin_trees import BIN_DIR, REVISION, STANDIN_DIR, free_port, make_tree, write_kernel_marker  # noqa: E402

from modal_llm_deploy import build_plan, load_profile  # noqa: E402
from modal_llm_deploy.plan.models import PLAN_ENV  # noqa: E402
from modal_llm_deploy.engine.check import check_argvs  # noqa: E402
from modal_llm_deploy.steps.cluster import ClusterInfo, rank_argv  # noqa: E402
from modal_llm_deploy.profile.topology import MIN_KV_HEADROOM_FRACTION  # noqa: E402

from conftest import REPO  # noqa: E402

PROFILE = "glm51_fp8_h100x2"
KEY = "sk-SENTINEL-multinode-5e1a"
RANK_SCRIPT = Path(__file__).parent / "_support" / "cluster_rank.py"


# --- argv per rank, real parser ----------------------------------------------------------------


def test_each_rank_argv_parses_with_the_real_sglang_parser(sglang_parser):
    plan = build_plan(load_profile(PROFILE))
    t = plan.topology
    ips = ("fd12:3456::a", "fd12:3456::b")  # Modal's default family is IPv6 (_cluster.py)
    argvs = {}
    for rank in range(t.nodes):
        info = ClusterInfo(rank=rank, ips=ips)
        argvs[f"launch{rank}"] = rank_argv(plan.sglang_argv, t.rank_args, info, nodes=t.nodes, port=plan.server.port)
        argvs[f"compile{rank}"] = rank_argv(plan.compile_argv, t.rank_args, info, nodes=t.nodes, port=30000)
    r = check_argvs(sglang_parser(plan.sglang_version), argvs)
    for name, argv in argvs.items():
        assert r[name]["ok"], (name, r[name]["problems"])
        v = r[name]["values"]
        rank = int(name[-1])
        assert (v["nnodes"], v["node_rank"], v["tp_size"], v["pp_size"]) == (2, rank, 8, 2)
        # the server: IPv4 + IPv6 on every interface (engine/bind.py); the compile run's private server: loopback
        assert v["host"] == ("" if name.startswith("launch") else "127.0.0.1")
        # SGLang's NetworkAddress.parse wants IPv6 in brackets (srt/utils/network.py)
        assert v["dist_init_addr"] == "[fd12:3456::a]:5000"
        assert v["api_key"] is None
    assert r["launch0"]["values"]["port"] == r["launch1"]["values"]["port"] == 8000
    # a cluster of another size than the plan's is refused, not launched
    with pytest.raises(Exception, match="hardware.nodes=2"):
        rank_argv(plan.sglang_argv, t.rank_args, ClusterInfo(rank=0, ips=ips + ("fd12::c",)), nodes=2, port=8000)


# --- plan-time topology -------------------------------------------------------------------------


def test_plan_shows_topology_memory_and_cluster_cost():
    plan = build_plan(load_profile(PROFILE))
    t, c = plan.topology, plan.cost
    assert (t.nodes, t.gpus_per_node, t.total_gpus, t.tp, t.pp, t.cluster_size, t.rdma) == (2, 8, 16, 8, 2, 2, True)
    assert t.weight_share_gb_per_gpu == pytest.approx(750 / 16, abs=0.01)
    assert t.kv_headroom_gb_per_gpu == pytest.approx(0.88 * 80 - 750 / 16, abs=0.01)
    assert t.kv_headroom_gb_per_gpu >= MIN_KV_HEADROOM_FRACTION * 80
    assert c.cluster_usd_per_hour == pytest.approx(2 * c.server_usd_per_hour, abs=0.011)
    assert c.max_usd_per_hour == pytest.approx(4 * c.server_usd_per_hour, abs=0.011)  # Modal counts containers
    assert [u.cluster_size for u in plan.units] == [None, 2, None, 2, None, None, None]  # download, compile, verify, server, bench, eval, preflight_hub
    # its kernels under their own key: sm90 like H200, but pp2 + nodes2 + another argv hash
    h200 = build_plan(load_profile("glm51_fp8_h200")).kernel_cache
    assert "-tp8-" in plan.kernel_cache.key and "-pp2-" in plan.kernel_cache.key and "-nodes2-" in plan.kernel_cache.key
    assert plan.kernel_cache.key != h200.key and plan.kernel_cache.argv_hash != h200.argv_hash
    assert plan.weights.volume == build_plan(load_profile("glm51_fp8_h200")).weights.volume
    # one-node profiles: no cluster, no rank args
    one = build_plan(load_profile("glm51_fp8")).topology
    assert (one.nodes, one.cluster_size, one.rank_args, one.rdma) == (1, None, None, False)


def _plan_cli(*sets: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-c", "import sys; from modal_llm_deploy.cli import main; sys.argv[0]='modal-llm-deploy'; main()",
            "plan", PROFILE]
    for s in sets:
        argv += ["--set", s]
    return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)


@pytest.mark.parametrize("sets, message", [
    # 750 GB on one 8×H100 node: 93.75 GB per 80 GB GPU
    (("hardware.nodes=1", "engine.flags.pp-size=1", "serving.max_containers=3"), "does not fit"),
    # the weights fit, the KV cache does not: 0.65 × 80 − 46.9 = 5.1 GB per GPU < 10 % of 80 GB
    (("engine.flags.mem-fraction-static=0.65",), "leaves too little KV cache"),
    (("engine.tensor_parallel_size=12",), "uses 24 GPUs but hardware.count=8 × hardware.nodes=2 = 16"),
    (("serving.max_containers=3",), "serving.max_containers=3 must be a multiple of hardware.nodes=2"),
    (("serving.min_containers=1",), "serving.min_containers=1 must be a multiple of hardware.nodes=2"),
    # the keep-warm cron would set min_containers=1 on a 2-container replica from inside Modal
    (('serving.warm_windows=[{days=["mon-fri"], start="09:00", end="17:00", timezone="UTC", min_containers=1}]',),
     "serving.warm_windows[0].min_containers=1 must be a multiple of hardware.nodes=2"),
    (("hardware.count=4", "engine.tensor_parallel_size=4"), "must request all GPUs of its host"),
    # issue 14: what SGLang 0.5.23 refuses at start-up for PP + EAGLE (validation_hook.py)
    (("engine.env={}",), "engine.env.SGLANG_ENABLE_PP_SPEC=1"),
    (("engine.flags.attn-dp-size=2", "model.attention_weights_gb=32"), "not compatible with attention DP"),
    # flashmla_sparse refuses head counts that do not divide its 64-head block on sm90 (dsa_backend.py)
    (("model.num_attention_heads=48", "engine.flags.pp-size=1", "engine.tensor_parallel_size=16"),
     "cannot be padded"),
    (("engine.flags.nnodes=2",), "nnodes"),
])
def test_topology_mistakes_are_refused_at_plan_time(sets, message):
    r = _plan_cli(*sets)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_plan_prints_topology_and_cluster_cost():
    r = _plan_cli()
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "2 node(s) × 8 GPUs = 16; TP 8 / PP 2 / DP 1" in out
    assert "weights 46.9 GB per GPU of 80 GB; KV headroom 23.5 GB per GPU" in out
    assert "per 2-node cluster (one replica)" in out and "--nnodes 2" in out


# --- layout (issue 14) ---------------------------------------------------------------------------


def test_plan_shows_layout_bind_heads_and_padding():
    r = _plan_cli()
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    # (rows print as "key value" on a wide terminal, "key: value" on a narrow one)
    assert "PP 2 × TP 8; across nodes: per forward; TP all-reduce inside a node" in out
    assert "--host '': serves IPv4 + IPv6; cluster peers dial IPv6" in out
    assert "64 heads / 8 ranks = 8 per rank; prefill flashmla_sparse: 8 → 64 (8×" in out
    assert "decode fa3: 8 heads, no padding" in out
    assert "warning" not in out  # the chosen layout is the best supported one
    t = build_plan(load_profile(PROFILE)).topology
    assert (t.tp_allreduce_crosses_nodes, t.attention.heads_per_rank, t.layout_warning) == (False, 8, None)


def test_tp16_across_two_nodes_gets_a_one_line_warning_naming_pp():
    r = _plan_cli("engine.tensor_parallel_size=16", "engine.flags.pp-size=1")
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "TP all-reduce CROSSES nodes" in out and "4 per rank; prefill flashmla_sparse: 4 → 64 (16×" in out
    warn = [ln for ln in r.stdout.splitlines() if ln.startswith("warning")]
    assert len(warn) == 1, r.stdout
    w = warn[0]
    assert "TP 16 on 2 nodes sends collectives across nodes per layer" in w
    assert "PP 2 × TP 8 (engine.tensor_parallel_size=8, engine.flags.pp-size=2" in w
    assert "SGLANG_ENABLE_PP_SPEC=1" in w and "validation_hook.py" in w and "dsa_backend.py" in w
    assert "pads 4 heads per rank to 64 here, 8 to 64 there" in w


def test_attention_dp_memory_fit_counts_replicated_attention_weights():
    """Attention DP 2 over TP 16: attention split over 8 ranks, its weights held twice."""
    base = {"engine.tensor_parallel_size": 16, "engine.flags.pp-size": 1, "engine.env": {}}
    t = load_profile(PROFILE, {**base, "engine.flags.attn-dp-size": 2, "model.attention_weights_gb": 32}).topology
    assert t.attn_dp == 2 and t.attention.attn_tp == 8 and t.attention.heads_per_rank == 8
    # (750 − 32) / 16 + 32 / 8, not 750 / 16
    assert t.weight_share_gb_per_gpu == pytest.approx((750 - 32) / 16 + 32 / 8, abs=0.01)
    assert t.tp_allreduce_crosses_nodes  # the MoE layers stay TP 16 across both nodes
    assert "PP 2 × TP 8" in t.layout_warning  # crosses nodes per layer: PP is named
    assert t.replicated_attention_counted
    # their size unknown: the fit cannot count them, and the plan says so instead of passing silently
    r = _plan_cli("engine.tensor_parallel_size=16", "engine.flags.pp-size=1", "engine.env={}",
                  "engine.flags.attn-dp-size=2")
    assert r.returncode == 0, r.stderr
    assert "NOT counted: attention DP 2 holds the attention weights 2 times" in " ".join(r.stdout.split())


# --- two stand-in ranks through the real runtime ---------------------------------------------


@pytest.fixture
def cluster(tmp_path):
    """Two rank "containers" of the multi-node plan on this machine, each with its own SGLang
    cache work dir (a container's own disk), sharing the weights/kernel "volumes"."""
    ports = (free_port(), free_port())
    profile = load_profile(PROFILE, {
        "model.revision": REVISION,
        "storage.weights_mount": str(tmp_path / "models"),
        "storage.cache_mount": str(tmp_path / "kernels"),
        "engine.python": sys.executable,
        "serving.port": ports[0],
        "serving.exit_grace_period_s": 15,
    })
    base = build_plan(profile, cache_work_dir=str(tmp_path / "opt0"))
    make_tree(Path(base.weights.dir), n_shards=2, shard_size=4096, revision=REVISION)
    kc = base.kernel_cache
    write_kernel_marker(Path(kc.mount), kc.key, arch="sm90", gpu_name="NVIDIA H100 80GB HBM3",
                        marker_name=kc.marker_name)
    dist = free_port()
    procs: list[subprocess.Popen] = []
    logs: dict[int, Path] = {}
    pidfiles: list[Path] = []

    def start(rank: int, bind: str | None = None, **extra_env: str) -> subprocess.Popen:
        """Rank ``rank``'s container. ``bind``: another SGLang --host than the plan's, to show
        what a bind that does not serve the peer family (or IPv4) does."""
        plan = build_plan(profile, cache_work_dir=str(tmp_path / f"opt{rank}"))
        t = plan.topology
        update = {"topology": t.model_copy(update={
            "rank_args": t.rank_args.model_copy(update={"dist_init_port": dist})})}
        if bind is not None:
            argv = list(plan.sglang_argv)
            argv[argv.index("--host") + 1] = bind
            update["sglang_argv"] = argv
        plan = plan.model_copy(update=update)
        # every stand-in SGLang records its pid, so teardown can end it with its "container"
        extra_env.setdefault("STANDIN_PIDFILE", str(tmp_path / f"rank{rank}-sglang-pid.json"))
        pidfiles.append(Path(extra_env["STANDIN_PIDFILE"]))
        env = {**os.environ, PLAN_ENV: plan.model_dump_json(), "API_KEY": KEY,
               "PYTHONPATH": str(STANDIN_DIR), "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}", **extra_env}
        logs[rank] = tmp_path / f"rank{rank}.log"
        p = subprocess.Popen([sys.executable, str(RANK_SCRIPT), str(rank), ",".join(map(str, ports))],
                             stdout=open(logs[rank], "w"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        procs.append(p)
        return p

    def plan_env(rank: int) -> str:
        """Rank ``rank``'s plan as the container gets it (MODAL_LLM_DEPLOY_PLAN)."""
        plan = build_plan(profile, cache_work_dir=str(tmp_path / f"opt{rank}"))
        t = plan.topology
        return plan.model_copy(update={"topology": t.model_copy(update={
            "rank_args": t.rank_args.model_copy(update={"dist_init_port": dist})})}).model_dump_json()

    start.plan_env = plan_env
    start.pidfiles = pidfiles
    yield start, ports, logs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for f in pidfiles:  # a container's end takes its SGLang (its own process group) with it
        try:
            pid = json.loads(f.read_text())["pid"]
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, KeyError):
            pass
    for rank, path in logs.items():  # for a failing test's output
        print(f"--- rank {rank} ---\n{path.read_text()[-4000:]}")


def _wait_log(path: Path, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path.name} after {timeout} s:\n{path.read_text()[-3000:]}")


def _get(port: int, path: str, key: str | None = KEY, host: str = "127.0.0.1") -> int | None:
    """HTTP status, or None when nothing listens. ``host``: 127.0.0.1 (IPv4, what Modal's side may
    dial) unless given, e.g. ``[::1]`` (the peer family)."""
    req = urllib.request.Request(f"http://{host}:{port}{path}",
                                 headers={"Authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


def _kill_container(proc: subprocess.Popen, pidfile: Path) -> None:
    """A container dying takes every process in it: the rank's Python and its SGLang."""
    sglang_pid = json.loads(pidfile.read_text())["pid"]
    proc.kill()
    proc.wait()
    os.kill(sglang_pid, signal.SIGKILL)


pytestmark = pytest.mark.timeout(180)


def _cluster_serves_both_families(ports, logs, timeout: float = 30.0) -> None:
    """What a Modal cluster needs of the bind, checked from outside as production dials: rank 0
    became ready (its heartbeat reached rank 1 at rank 1's IPv6 address, steps/cluster.py
    peer_url), rank 1's dummy /health answers on the peer family, and rank 0's serving port
    answers on IPv6 and on IPv4 (Modal's side, engine/bind.py)."""
    _wait_log(logs[0], "RANK 0 BOOTED", timeout)
    assert _get(ports[1], "/health", None, host="[::1]") == 200, "rank 1 does not serve the peer family (IPv6)"
    assert _get(ports[0], "/v1/models", host="[::1]") == 200, "rank 0 does not serve the peer family (IPv6)"
    assert _get(ports[0], "/v1/models") == 200, "rank 0's serving port does not answer on IPv4"


_NETNS_DRIVER = r'''
set -e
T="$1"; PY="$2"; RANK="$3"; IPS=fd00::a,fd00::b
ip link set lo up
# rank 1: a network namespace of its own, like a second container
unshare -n sh -c "echo \$\$ > $T/ns1.pid; while [ ! -e $T/go ]; do sleep 0.05; done; ip link set lo up; \
  ip link set v1 up; ip -6 addr add fd00::b/64 dev v1 nodad; \
  STANDIN_PIDFILE=$T/rank1-sglang-pid.json MODAL_LLM_DEPLOY_PLAN=\"\$(cat $T/plan1.json)\" \
  exec $PY $RANK 1 - $IPS > $T/rank1.log 2>&1" &
while [ ! -s "$T/ns1.pid" ]; do sleep 0.05; done
ip link add v0 type veth peer name v1 netns "$(cat $T/ns1.pid)"
ip link set v0 up
ip -6 addr add fd00::a/64 dev v0 nodad
touch "$T/go"
STANDIN_PIDFILE=$T/rank0-sglang-pid.json MODAL_LLM_DEPLOY_PLAN="$(cat $T/plan0.json)" \
  exec $PY $RANK 0 - $IPS > $T/rank0.log 2>&1
'''


def _netns_available() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "ip", "link", "set", "lo", "up"], capture_output=True,
                              timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_ranks_in_their_own_network_namespaces_at_distinct_ipv6_addresses(cluster, tmp_path):
    """The closest local copy of a Modal cluster: each rank in its own network namespace (as each
    container has), distinct IPv6 addresses on a veth link, both serving the plan's port on their
    own address (ClusterInfo.ports None, the production path), rank 0's --dist-init-addr
    [fd00::a]:<port>. Needs unprivileged user + network namespaces (unshare -rn)."""
    if not _netns_available():
        pytest.skip("unshare -rn (user + network namespaces) is not available on this machine")
    assert PLAN_ENV == "MODAL_LLM_DEPLOY_PLAN"
    start, ports, logs = cluster
    for rank in (0, 1):
        (tmp_path / f"plan{rank}.json").write_text(start.plan_env(rank))
        logs[rank] = tmp_path / f"rank{rank}.log"
        start.pidfiles.append(tmp_path / f"rank{rank}-sglang-pid.json")  # the fixture ends them
    env = {**os.environ, "API_KEY": KEY, "PYTHONPATH": str(STANDIN_DIR),
           "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}"}
    p = subprocess.Popen(["unshare", "-rn", "sh", "-c", _NETNS_DRIVER, "drv", str(tmp_path), sys.executable,
                          str(RANK_SCRIPT)], env=env, cwd=tmp_path, start_new_session=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_log(logs[1], "RANK 1 BOOTED", 60)
        _wait_log(logs[0], "RANK 0 BOOTED", 60)
        text0, text1 = logs[0].read_text(), logs[1].read_text()
        assert "all 1 other cluster rank(s) healthy" in text0  # rank 0 reached [fd00::b]:<port>/health
        assert "node rank joined from fd00::b" in text0  # rank 1 dialled the rendered [fd00::a]:<dist>
        assert "all 1 other cluster rank(s) reachable" in text1  # rank 1 reached [fd00::a]:<port>/ready
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(10)


def test_ranks_dial_each_other_over_ipv6_and_serve_ipv4_too(cluster):
    """The plan's bind (--host '') on ranks at ::1, dialled over IPv6 as on Modal."""
    start, ports, logs = cluster
    start(0)
    start(1)
    _cluster_serves_both_families(ports, logs)
    assert "all 1 other cluster rank(s) healthy" in logs[0].read_text()


@pytest.mark.parametrize("bind, why", [
    ("0.0.0.0", "never ready: the heartbeat's IPv6 dial of rank 1 is refused"),
    ("::", "rank 0's serving port does not answer on IPv4"),
])
def test_a_bind_that_drops_a_family_fails_the_same_check(cluster, bind, why):
    """The same check with the binds that are not enough: IPv4 only (the old 0.0.0.0: peers'
    IPv6 dials are refused, rank 0 never becomes ready) and IPv6 only (:: — uvicorn sets
    IPV6_V6ONLY, so Modal's IPv4 side would get nothing)."""
    start, ports, logs = cluster
    start(0, bind=bind)
    start(1, bind=bind)
    with pytest.raises(AssertionError) as err:
        _cluster_serves_both_families(ports, logs, timeout=12.0)
    print(f"FIGURE bind {bind!r}: {why}: {str(err.value).splitlines()[0]}")
    if bind == "0.0.0.0":
        assert "RANK 0 BOOTED" in str(err.value) or "not in rank0.log" in str(err.value)
        assert _get(ports[1], "/health", None) == 200  # rank 1 is up, on IPv4 only
    else:
        assert "IPv4" in str(err.value)


def test_rank0_ready_only_when_rank1_is_up_and_rank1_death_ends_rank0(cluster, tmp_path):
    start, ports, logs = cluster
    r0 = start(0)
    time.sleep(3.0)  # rank 0 alone: SGLang waits for the other node; the container must not be ready
    assert "RANK 0 BOOTED" not in logs[0].read_text()
    assert _get(ports[0], "/health", None) in (None, 503)
    pidfile = tmp_path / "rank1-sglang.json"
    r1 = start(1, STANDIN_PIDFILE=str(pidfile))
    _wait_log(logs[1], "RANK 1 BOOTED")
    _wait_log(logs[0], "RANK 0 BOOTED")
    text0 = logs[0].read_text()
    assert "all 1 other cluster rank(s) healthy" in text0 and "warmup request done" in text0
    assert _get(ports[0], "/v1/models") == 200  # rank 0 serves the API
    assert _get(ports[1], "/health", None) == 200  # rank 1: SGLang's dummy health server only
    assert _get(ports[1], "/v1/models") == 404
    # rank 1's container dies: rank 0's SGLang would hang in NCCL; the heartbeat ends rank 0
    t0 = time.monotonic()
    _kill_container(r1, pidfile)
    rc0 = r0.wait(timeout=60)
    el = time.monotonic() - t0
    text0 = logs[0].read_text()
    assert rc0 == 1, text0[-2000:]
    assert "cluster rank 1 is gone" in text0
    assert "NCCL WARN a peer node closed its connection" in text0  # the stand-in did not exit by itself
    print(f"FIGURE rank 0 ended {el:.1f} s after rank 1 died")
    assert el < 40  # 3 missed beats 5 s apart, not SGLang's 1200 s watchdog
    assert _get(ports[0], "/health", None) is None  # rank 0's SGLang went with its container
    assert KEY not in text0 and KEY not in logs[1].read_text()


def test_sigterm_drains_rank0_first_and_rank0_stops_rank1(cluster):
    start, ports, logs = cluster
    r0 = start(0, STANDIN_REQUEST_DELAY_S="3")
    r1 = start(1)
    _wait_log(logs[0], "RANK 0 BOOTED")
    _wait_log(logs[1], "RANK 1 BOOTED")
    result: dict = {}

    def slow_request() -> None:
        body = json.dumps({"model": "glm-5.1", "messages": [{"role": "user", "content": "hi"}]}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{ports[0]}/v1/chat/completions", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            result["status"] = r.status

    th = threading.Thread(target=slow_request)
    th.start()
    time.sleep(0.5)  # the request is in flight
    # Modal stops every container of the cluster: both get SIGTERM at once
    r0.send_signal(signal.SIGTERM)
    r1.send_signal(signal.SIGTERM)
    th.join(30)
    assert result.get("status") == 200  # drained, not cut off
    assert r0.wait(timeout=60) == 0 and r1.wait(timeout=60) == 0
    text0, text1 = logs[0].read_text(), logs[1].read_text()
    assert "RANK 0 SHUTDOWN DONE" in text0 and "RANK 1 SHUTDOWN DONE" in text1
    # rank 1 ignored its own SIGTERM and stopped on rank 0's broadcast, after rank 0 drained
    assert text1.index("waiting for the rank-0 ShutdownReq broadcast") < text1.index("ShutdownReq from rank 0 received")
    assert "Gracefully exiting... Remaining number of requests 1" in text0
    # no heartbeat alarm during an ordinary shutdown
    assert "is gone" not in text0 + text1


# --- the clustered compile step through the real runtime ---------------------------------------


class _Vol:
    def __init__(self):
        self.commits = 0

    def reload(self) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1


def _compile_cluster(profile, ips, tmp_path, monkeypatch):
    """The compile unit's runtime glue as each rank of a 2-container cluster: stand-in SGLang and
    GPU, volumes that count commits. Returns (the stand-in's run record, as_rank(rank) → plan)."""
    from modal_llm_deploy.modal_adapter import runtime
    from modal_llm_deploy.steps import serve

    record = tmp_path / "env.jsonl"
    vols: dict[str, _Vol] = {}
    monkeypatch.setattr(runtime, "_volume", lambda name: vols.setdefault(name, _Vol()))
    monkeypatch.setattr(runtime, "_SEEN", set())
    monkeypatch.setattr(serve, "_HELD", {})
    for k, v in {"STANDIN_ENV_RECORD": str(record), "PYTHONPATH": str(STANDIN_DIR),
                 "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}", "STANDIN_GPU": "NVIDIA H100 80GB HBM3,9.0",
                 "STANDIN_GPU_COUNT": "8", "STANDIN_COMPILE_STEP_S": "0.02"}.items():
        monkeypatch.setenv(k, v)

    def as_rank(rank: int):
        plan = build_plan(profile, cache_work_dir=str(tmp_path / f"opt{rank}"))  # each container's own disk
        monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
        monkeypatch.setattr(runtime, "cluster_info", lambda p: ClusterInfo(rank=rank, ips=ips))
        monkeypatch.setattr(serve, "_HELD", {})
        return plan

    return record, as_rank


def test_compile_runs_on_every_rank_and_only_rank0_publishes(tmp_path, monkeypatch, capsys):
    """compile_deep_gemm needs the same multi-node topology (sglang 0.5.23 compile_deep_gemm.py),
    so each rank of the compile cluster runs it with its own --node-rank; only rank 0 publishes
    the tree and the marker under the cluster-wide key; a compiled key is skipped on every rank."""
    from modal_llm_deploy.modal_adapter import runtime

    profile = load_profile(PROFILE, {
        "model.revision": REVISION,
        "storage.weights_mount": str(tmp_path / "models"),
        "storage.cache_mount": str(tmp_path / "kernels"),
        "engine.python": sys.executable,
    })
    record, as_rank = _compile_cluster(profile, ("fd00::1", "fd00::2"), tmp_path, monkeypatch)

    plan = as_rank(0)
    make_tree(Path(plan.weights.dir), n_shards=2, shard_size=4096, revision=REVISION)
    marker = Path(plan.kernel_cache.marker_path)

    as_rank(1)
    runtime.compile_deepgemm()
    assert not marker.exists() and not Path(plan.kernel_cache.dir).exists()  # rank 1 publishes nothing
    as_rank(0)
    runtime.compile_deepgemm()
    assert marker.exists()  # rank 0 published the cluster's tree
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["tool"] for r in runs] == ["compile_deep_gemm", "compile_deep_gemm"]
    for rank, run in zip((1, 0), runs):
        a = run["argv"]
        assert a[a.index("--nnodes") + 1] == "2" and a[a.index("--node-rank") + 1] == str(rank)
        assert a[a.index("--dist-init-addr") + 1] == "[fd00::1]:5000"
        # each rank compiled under its own container's fixed work dir
        assert run["env"]["SGLANG_DG_CACHE_DIR"].startswith(str(tmp_path / f"opt{rank}"))
    # compiled: a later compile run skips on every rank, none starts SGLang alone to wait for the other
    as_rank(1)
    runtime.compile_deepgemm()
    assert len(record.read_text().splitlines()) == 2
    assert "kernels already compiled" in capsys.readouterr().out


def test_forced_compile_runs_on_every_rank_of_a_ref_profile(tmp_path, monkeypatch):
    """The profile's default revision (a ref, ``main``) on a 2-node cluster: every rank pins the
    kernel key to the commit the download recorded, and ``compile_deepgemm --force`` (one call,
    run by every container of the cluster) recompiles on rank 1 too — a rank 1 that skipped its
    compiled marker would leave rank 0's ``--nnodes 2`` compile waiting for it until --timeout."""
    from modal_llm_deploy.modal_adapter import runtime

    profile = load_profile(PROFILE, {
        "storage.weights_mount": str(tmp_path / "models"),
        "storage.cache_mount": str(tmp_path / "kernels"),
        "engine.python": sys.executable,
    })
    assert not profile.model.pinned  # the shipped default: a ref resolved by the download
    record, as_rank = _compile_cluster(profile, ("10.0.0.1", "10.0.0.2"), tmp_path, monkeypatch)

    plan = as_rank(0)
    assert "{revision}" in plan.kernel_cache.marker_path
    make_tree(Path(plan.weights.dir), n_shards=2, shard_size=4096, revision=REVISION)
    marker = Path(plan.pinned_to(REVISION).kernel_cache.marker_path)
    as_rank(1)
    runtime.compile_deepgemm()
    as_rank(0)
    runtime.compile_deepgemm()
    assert marker.exists() and not list((tmp_path / "kernels").glob("*{revision}*"))
    assert len(record.read_text().splitlines()) == 2
    as_rank(1)
    runtime.compile_deepgemm(force=True)
    as_rank(0)
    runtime.compile_deepgemm(force=True)
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert [r["argv"][r["argv"].index("--node-rank") + 1] for r in runs] == ["1", "0", "1", "0"]


@pytest.mark.parametrize("cmd", ["serve", "compile"])
def test_local_serve_and_compile_refuse_a_multinode_profile(cmd, tmp_path):
    """Locally there is one node: SGLang with --nnodes 2 would wait for the other forever."""
    argv = [sys.executable, "-c", "import sys; from modal_llm_deploy.cli import main; sys.argv[0]='modal-llm-deploy'; main()",
            cmd, PROFILE, "--weights-dir", str(tmp_path / "w"), "--cache-dir", str(tmp_path / "c")]
    r = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert r.returncode == 2 and "spans hardware.nodes=2 machines" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_rank0_death_ends_rank1(cluster, tmp_path):
    """The other direction: rank 1's SGLang would block in a collective forever (the stand-in
    does, like NCCL); rank 1's heartbeat on rank 0's /ready ends rank 1's container."""
    start, ports, logs = cluster
    pidfile = tmp_path / "rank0-sglang.json"
    r0 = start(0, STANDIN_PIDFILE=str(pidfile))
    r1 = start(1)
    _wait_log(logs[0], "RANK 0 BOOTED")
    _wait_log(logs[1], "RANK 1 BOOTED")
    _kill_container(r0, pidfile)
    assert r1.wait(timeout=60) == 1
    text1 = logs[1].read_text()
    assert "NCCL WARN lost the connection to node rank 0" in text1  # SGLang itself did not exit
    assert "cluster rank 0 is gone" in text1
    assert _get(ports[1], "/health", None) is None  # its SGLang went with the container


def test_rank_args_render_ipv4_ipv6_and_bad_rank():
    t = load_profile(PROFILE).topology
    ra = t.rank_args
    assert ra.render(1, ["10.0.0.1", "10.0.0.2"]) == ["--node-rank", "1", "--dist-init-addr", "10.0.0.1:5000"]
    assert ra.render(0, ["fd00::1", "fd00::2"])[-1] == "[fd00::1]:5000"
    with pytest.raises(ValueError, match="outside"):
        ra.render(2, ["fd00::1", "fd00::2"])
    with pytest.raises(Exception, match="outside"):
        ClusterInfo(rank=3, ips=("fd00::1", "fd00::2"))


def test_verify_confirms_or_contradicts_the_stated_attention_heads(tmp_path):
    """model.num_attention_heads is stated by the profile; the checkpoint's config.json decides."""
    from modal_llm_deploy.steps.model_config import attention_heads_line

    assert attention_heads_line(tmp_path, None) is None
    assert "cannot read" in attention_heads_line(tmp_path, 64)
    (tmp_path / "config.json").write_text(json.dumps({"architectures": ["GlmMoeDsaForCausalLM"]}))
    assert "has no num_attention_heads" in attention_heads_line(tmp_path, 64)
    (tmp_path / "config.json").write_text(json.dumps({"num_attention_heads": 64}))
    assert "confirms the profile" in attention_heads_line(tmp_path, 64)
    (tmp_path / "config.json").write_text(json.dumps({"text_config": {"num_attention_heads": 96}}))
    line = attention_heads_line(tmp_path, 64)
    assert line.startswith("WARNING") and "--set model.num_attention_heads=96" in line


def test_docs_layout_table_matches_the_code():
    """docs/multinode.md's layout table: heads per rank, padding and what crosses nodes, from
    engine/layout.py and engine/dsa_padding.py for GLM-5.1 (64 heads) on 2 × 8 H100 (sm90)."""
    from modal_llm_deploy.engine import dsa_padding
    from modal_llm_deploy.engine.layout import Layout, heads_per_rank

    text = (REPO / "docs" / "multinode.md").read_text()
    layouts = {"TP 16": Layout(2, 8, 16, 1, 1), "TP 16 + attention DP 2": Layout(2, 8, 16, 1, 2),
               "TP 16 + EP 16": Layout(2, 8, 16, 1, 1),  # EP shards experts; attention stays TP 16
               "**PP 2 × TP 8** (chosen)": Layout(2, 8, 8, 2, 1)}
    rows = {ln.split("|")[1].strip(): [c.strip() for c in ln.split("|")[1:-1]]
            for ln in text.splitlines() if ln.startswith("| ") and ln.split("|")[1].strip() in layouts}
    assert set(rows) == set(layouts)
    heads = load_profile(PROFILE).model.num_attention_heads
    for name, lay in layouts.items():
        cells = rows[name]
        h = heads_per_rank(lay, heads)
        p = dsa_padding.padded_heads("flashmla_sparse", h, 9)
        assert cells[2] == str(h), name
        assert f"{p.padded_to} ({p.ratio:g}×)" in cells[3], name
        assert ("every layer" in cells[1]) == (lay.cross_node == "per layer"), name
    assert build_plan(load_profile(PROFILE)).topology.layout.startswith("PP 2 × TP 8")
