"""Issue 14: cluster ranks reach each other over the network Modal gives them.

* SGLang's real bind path, on this CPU machine: for each ``--host`` (the plan's ``''``, ``::``,
  ``0.0.0.0``), SGLang 0.5.23's own ``launch_dummy_health_check_server`` (what ranks ≥ 1 serve,
  srt/utils/common.py) and uvicorn with the arguments SGLang's HTTP server passes
  (srt/entrypoints/http_server.py, default branch: ``uvicorn.Server(uvicorn.Config(app, host=…,
  port=…, root_path=…, log_level=…, timeout_keep_alive=…, loop="uvloop"))``) are probed over IPv4
  and IPv6. The families each serves must equal engine/bind.py's ``families_served`` and the
  stand-in engine's bind (tests/standin/sglang/launch_server.py), and the plan's bind must serve
  the peer family and IPv4.
* A real torch.distributed rendezvous (gloo, two CPU processes) at the exact ``--dist-init-addr``
  the plan renders, turned into an init method the way SGLang does it
  (``NetworkAddress.parse(addr).to_tcp()``, srt/distributed/bootstrap.py
  ``_resolve_dist_init_method``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.engine.bind import PEER_FAMILY, SERVE_BIND_HOST, families_served, loopback_for

sys.path.insert(0, str(Path(__file__).parent / "_support"))
from sglang_net import ensure_overlay, run_json  # noqa: E402

from conftest import REPO  # noqa: E402

HOSTS = ("", "::", "0.0.0.0")
STANDIN_DIR = Path(__file__).parent / "standin"

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def net_env(sglang_parser):
    """(parser python, overlay with uvicorn/uvloop/fastapi)."""
    return sglang_parser("0.5.23"), ensure_overlay(REPO / ".cache" / "sglang-net-overlay")


_PROBE = r'''
import json, socket, threading, time, urllib.request

def free():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def families(port):
    out = []
    for fam, host in (("ipv4", "127.0.0.1"), ("ipv6", "[::1]")):
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=2) as r:
                if r.status == 200:
                    out.append(fam)
        except OSError:
            pass
    return sorted(out)

def wait_listening(port):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            with socket.socket(fam) as s:
                if s.connect_ex((addr, port)) == 0:
                    return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")

import uvicorn
from fastapi import FastAPI, Response
from sglang.srt.environ import envs
from sglang.srt.utils.common import launch_dummy_health_check_server

result = {"uvicorn": uvicorn.__version__, "dummy": {}, "http": {}}
for host in ["", "::", "0.0.0.0"]:
    port = free()
    launch_dummy_health_check_server(host, port, False)  # SGLang's own code, ranks >= 1
    wait_listening(port)
    result["dummy"][host] = families(port)

    # srt/entrypoints/http_server.py, default single-tokenizer branch: the same Config arguments
    app = FastAPI()

    @app.get("/health")
    async def health():
        return Response(status_code=200)

    port = free()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, root_path="", log_level="warning",
                                           timeout_keep_alive=envs.SGLANG_TIMEOUT_KEEP_ALIVE.get(), loop="uvloop"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    wait_listening(port)
    result["http"][host] = families(port)
    server.should_exit = True
    th.join(10)
print(json.dumps(result))
'''


_STANDIN_PROBE = r'''
import json, socket, sys, urllib.request
from http.server import BaseHTTPRequestHandler
from sglang.launch_server import _shutdown, listen_like_uvicorn  # the stand-in engine (tests/standin)

class Ok(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

result = {}
for host in ["", "::", "0.0.0.0"]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    servers = listen_like_uvicorn(host, port, Ok)
    out = []
    for fam, h in (("ipv4", "127.0.0.1"), ("ipv6", "[::1]")):
        try:
            with urllib.request.urlopen(f"http://{h}:{port}/health", timeout=2) as r:
                if r.status == 200:
                    out.append(fam)
        except OSError:
            pass
    _shutdown(servers)
    result[host] = sorted(out)
print(json.dumps(result))
'''


def _standin_families() -> dict[str, list[str]]:
    """The stand-in engine's bind for each host, probed the same way (in a subprocess: the
    stand-in package is named ``sglang``)."""
    r = subprocess.run([sys.executable, "-c", _STANDIN_PROBE], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": str(STANDIN_DIR)})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_sglang_binds_serve_the_families_the_plan_relies_on(net_env):
    python, overlay = net_env
    real = run_json(python, overlay, _PROBE)
    standin = _standin_families()
    print("FIGURE real SGLang 0.5.23 binds (uvicorn " + real["uvicorn"] + "): "
          + json.dumps({"dummy_health": real["dummy"], "http_server_args": real["http"]}))
    for host in HOSTS:
        want = sorted(families_served(host))
        assert real["dummy"][host] == want, (host, real["dummy"][host])  # SGLang's own rank >= 1 server
        assert real["http"][host] == want, (host, real["http"][host])  # SGLang's HTTP server arguments
        assert standin[host] == want, (host, standin[host])  # the stand-in binds as SGLang does
    # the measured facts the plan's choice rests on
    assert real["dummy"][""] == ["ipv4", "ipv6"]
    assert real["dummy"]["::"] == ["ipv6"] and real["dummy"]["0.0.0.0"] == ["ipv4"]
    # and the plan's bind serves the peer family and IPv4 (Modal's side)
    plan = build_plan(load_profile("glm51_fp8_h100x2"))
    host = plan.sglang_argv[plan.sglang_argv.index("--host") + 1]
    assert host == SERVE_BIND_HOST == ""
    assert {PEER_FAMILY, "ipv4"} <= set(real["http"][host]) and {PEER_FAMILY, "ipv4"} <= set(real["dummy"][host])
    # our own probes dial an address that bind serves (steps/serve.py base_url, SGLang's ServerArgs.url rule)
    assert loopback_for(host) == "127.0.0.1" and loopback_for("::") == "::1"


_RENDEZVOUS = r'''
import datetime, json, sys
import torch, torch.distributed as dist
from sglang.srt.utils.network import NetworkAddress

addr, rank = sys.argv[1], int(sys.argv[2])
init_method = NetworkAddress.parse(addr).to_tcp()  # srt/distributed/bootstrap.py _resolve_dist_init_method
dist.init_process_group(backend="gloo", init_method=init_method, world_size=2, rank=rank,
                        timeout=datetime.timedelta(seconds=60))
t = torch.tensor([float(rank + 1)])
dist.all_reduce(t)
dist.destroy_process_group()
print(json.dumps({"rank": rank, "init_method": init_method, "sum": t.item()}))
'''


@pytest.mark.parametrize("ips", [("::1", "::1"), ("127.0.0.1", "127.0.0.1")], ids=["ipv6", "ipv4"])
def test_torch_rendezvous_at_the_rendered_dist_init_addr(sglang_parser, ips):
    """Two CPU processes of real torch.distributed (gloo) initialise at the address string the
    plan renders for rank 0's container address, as SGLang turns it into an init method."""
    plan = build_plan(load_profile("glm51_fp8_h100x2"))
    with socket.socket(socket.AF_INET6 if ":" in ips[0] else socket.AF_INET) as s:
        s.bind((ips[0], 0))
        port = s.getsockname()[1]
    ra = plan.topology.rank_args.model_copy(update={"dist_init_port": port})
    addrs = [ra.render(r, list(ips)) for r in range(2)]
    addr = addrs[0][addrs[0].index("--dist-init-addr") + 1]
    assert addr == addrs[1][addrs[1].index("--dist-init-addr") + 1]  # every rank dials rank 0
    assert addr == (f"[::1]:{port}" if ips[0] == "::1" else f"127.0.0.1:{port}")
    python = sglang_parser(plan.sglang_version)
    script = [str(python), "-c", _RENDEZVOUS, addr]
    t0 = time.monotonic()
    procs = [subprocess.Popen(script + [str(r)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/")
             for r in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-3000:]
    res = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert [r["sum"] for r in res] == [3.0, 3.0]
    assert res[0]["init_method"] == f"tcp://{addr}"
    print(f"FIGURE gloo rendezvous at {addr} ({ips[0]}): {time.monotonic() - t0:.1f} s")
