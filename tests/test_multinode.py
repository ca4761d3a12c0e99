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
        assert (v["nnodes"], v["node_rank"], v["tp_size"]) == (2, rank, 16)
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
    assert (t.nodes, t.gpus_per_node, t.total_gpus, t.tp, t.cluster_size, t.rdma) == (2, 8, 16, 16, 2, True)
    assert t.weight_share_gb_per_gpu == pytest.approx(750 / 16, abs=0.01)
    assert t.kv_headroom_gb_per_gpu == pytest.approx(0.88 * 80 - 750 / 16, abs=0.01)
    assert t.kv_headroom_gb_per_gpu >= MIN_KV_HEADROOM_FRACTION * 80
    assert c.cluster_usd_per_hour == pytest.approx(2 * c.server_usd_per_hour, abs=0.011)
    assert c.max_usd_per_hour == pytest.approx(4 * c.server_usd_per_hour, abs=0.011)  # Modal counts containers
    assert [u.cluster_size for u in plan.units] == [None, 2, None, 2, None, None]  # download, compile, verify, server, bench, preflight_hub
    # its kernels under their own key: sm90 like H200, but tp16 + nodes2 + another argv hash
    h200 = build_plan(load_profile("glm51_fp8_h200")).kernel_cache
    assert "-tp16-" in plan.kernel_cache.key and "-nodes2-" in plan.kernel_cache.key
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
    (("hardware.nodes=1", "engine.tensor_parallel_size=8", "serving.max_containers=3"), "does not fit"),
    # the weights fit, the KV cache does not: 0.65 × 80 − 46.9 = 5.1 GB per GPU < 10 % of 80 GB
    (("engine.flags.mem-fraction-static=0.65",), "leaves too little KV cache"),
    (("engine.tensor_parallel_size=12",), "uses 12 GPUs but hardware.count=8 × hardware.nodes=2 = 16"),
    (("serving.max_containers=3",), "serving.max_containers=3 must be a multiple of hardware.nodes=2"),
    (("serving.min_containers=1",), "serving.min_containers=1 must be a multiple of hardware.nodes=2"),
    # the keep-warm cron would set min_containers=1 on a 2-container replica from inside Modal
    (('serving.warm_windows=[{days=["mon-fri"], start="09:00", end="17:00", timezone="UTC", min_containers=1}]',),
     "serving.warm_windows[0].min_containers=1 must be a multiple of hardware.nodes=2"),
    (("hardware.count=4", "engine.tensor_parallel_size=8"), "must request all GPUs of its host"),
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
    assert "2 node(s) × 8 GPUs = 16; TP 16 / PP 1 / DP 1" in out
    assert "weights 46.9 GB per GPU of 80 GB; KV headroom 23.5 GB per GPU" in out
    assert "per 2-node cluster (one replica)" in out and "--nnodes 2" in out


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

    def start(rank: int, **extra_env: str) -> subprocess.Popen:
        plan = build_plan(profile, cache_work_dir=str(tmp_path / f"opt{rank}"))
        t = plan.topology
        plan = plan.model_copy(update={"topology": t.model_copy(update={
            "rank_args": t.rank_args.model_copy(update={"dist_init_port": dist})})})
        env = {**os.environ, PLAN_ENV: plan.model_dump_json(), "API_KEY": KEY,
               "PYTHONPATH": str(STANDIN_DIR), "PATH": f"{BIN_DIR}{os.pathsep}{os.environ['PATH']}", **extra_env}
        logs[rank] = tmp_path / f"rank{rank}.log"
        p = subprocess.Popen([sys.executable, str(RANK_SCRIPT), str(rank), ",".join(map(str, ports))],
                             stdout=open(logs[rank], "w"), stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
        procs.append(p)
        return p

    yield start, ports, logs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for rank, path in logs.items():  # for a failing test's output
        print(f"--- rank {rank} ---\n{path.read_text()[-4000:]}")


def _wait_log(path: Path, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path.name} after {timeout} s:\n{path.read_text()[-3000:]}")


def _get(port: int, path: str, key: str | None = KEY) -> int | None:
    """HTTP status, or None when nothing listens."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
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
