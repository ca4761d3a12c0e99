"""Stand-in for ``python3 -m sglang.launch_server`` (SGLang 0.5.23), stdlib only.

Behaves like the real server where the step code can tell:

* ``--host`` binds as SGLang's uvicorn servers do (``listen_like_uvicorn``): ``''`` serves IPv4 and
  IPv6, ``::`` IPv6 only, ``0.0.0.0`` IPv4 only (checked against SGLang 0.5.23's own code in
  tests/test_peer_network.py), for the HTTP server and the rank ≥ 1 dummy health server alike.

* startup prints ``server_args={... 'api_key': '<key>' ...}`` (0.5.23 logs the resolved
  arguments as a dict and does NOT redact the key), then binds the port; ``/health`` answers
  503 until "warmup" is done, then 200, and 503 again while draining after SIGTERM.
* ``--api-key``: every path needs ``Authorization: Bearer <key>`` except ``/health*``,
  ``/ready*``, ``/metrics*`` (401 ``{"error": "Unauthorized"}`` otherwise).
* ``/v1/models`` lists ``--served-model-name``; ``/v1/chat/completions``, ``/generate``,
  ``/metrics`` (Prometheus text, ``sglang:`` prefix).
* SIGTERM: health → 503, new requests → 503, in-flight requests finish, exit 0.

Env knobs: STANDIN_READY_DELAY_S (default 0.3), STANDIN_LISTEN_DELAY_S (port bound later:
connection refused first), STANDIN_CRASH_AFTER_S + STANDIN_EXIT_CODE (default 1; prints a
traceback-like line with ``ServerArgs(... api_key='…')``), STANDIN_REQUEST_DELAY_S (slow
requests), STANDIN_IGNORE_SIGTERM=1, STANDIN_WORKERS=N (N "scheduler" subprocesses that stay
in the process group and die only when killed), STANDIN_PIDFILE (write own pid + workers' pids),
STANDIN_ENV_RECORD=<file> (append the environment this run saw).

Multi-node (``--nnodes N --node-rank R --dist-init-addr host:port``), as SGLang 0.5.23 does it
where the step code can tell (srt/entrypoints/engine.py, srt/utils/common.py):

* rank 0 listens on the dist-init address (the stand-in's "rendezvous") and becomes ready only
  when all N-1 other ranks have joined; on SIGTERM it drains, then sends every rank the
  shutdown broadcast (SGLang's ShutdownReq) and exits. A rank that disappears is only logged:
  real SGLang would hang in a collective, not exit (that is what the heartbeat is for).
* a rank >= 1 serves only the dummy health server (``/health``, ``/health_generate``, ``/ping``
  200 once joined; everything else 404), ignores SIGTERM ("waiting for the rank-0 ShutdownReq
  broadcast"), exits 0 on rank 0's broadcast, and hangs (logs, keeps running) if rank 0 vanishes.

Caches (``_caches.py``): at start it resolves SGLang's cache paths like 0.5.23, reuses or
rebuilds its JIT modules (a FlashInfer-like build file found at another absolute path is
rebuilt) and, when SGLANG_DG_CACHE_DIR holds no DeepGEMM kernels, logs SGLang's own warning.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sglang import _caches


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def say(msg: str) -> None:
    print(f"[{_now()}] {msg}", flush=True)


def env_float(name: str, default: float | None) -> float | None:
    v = os.environ.get(name)
    return float(v) if v not in (None, "") else default


class State:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.ready = False
        self.draining = False
        self.inflight = 0
        self.served = 0
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.request_delay = env_float("STANDIN_REQUEST_DELAY_S", 0.0) or 0.0


def make_handler(st: State):
    model_name = st.args.served_model_name or st.args.model_path or "default"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):  # uvicorn-like access line, no headers
            say(f'INFO:     {self.client_address[0]} - "{self.command} {self.path}" {a[1] if len(a) > 1 else ""}')

        def _send(self, code: int, body: bytes = b"", ctype: str = "application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _json(self, code: int, obj) -> None:
            self._send(code, json.dumps(obj).encode())

        def _open_path(self) -> bool:
            p = self.path.split("?", 1)[0]
            return p.startswith("/health") or p.startswith("/ready") or p.startswith("/metrics")

        def _authorized(self) -> bool:
            key = st.args.api_key
            if not key or self._open_path():
                return True
            h = self.headers.get("Authorization") or ""
            parts = h.split(" ", 1)
            return len(parts) == 2 and parts[0].lower() == "bearer" and parts[1] == key

        def _body(self) -> dict:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                return {}

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if not self._authorized():
                return self._json(401, {"error": "Unauthorized"})
            if path in ("/health", "/health_generate", "/ready"):
                return self._send(200 if st.ready and not st.draining else 503)
            if path == "/v1/models":
                return self._json(
                    200,
                    {"object": "list", "data": [{"id": model_name, "object": "model", "owned_by": "sglang",
                                                 "root": model_name, "max_model_len": 202752}]},
                )
            if path == "/metrics":
                body = (
                    "# HELP sglang:num_running_reqs The number of running requests.\n"
                    "# TYPE sglang:num_running_reqs gauge\n"
                    f'sglang:num_running_reqs{{model_name="{model_name}"}} {st.inflight}.0\n'
                    "# HELP sglang:num_queue_reqs The number of requests in the waiting queue.\n"
                    "# TYPE sglang:num_queue_reqs gauge\n"
                    f'sglang:num_queue_reqs{{model_name="{model_name}"}} 0.0\n'
                    "# HELP sglang:token_usage The token usage.\n"
                    "# TYPE sglang:token_usage gauge\n"
                    f'sglang:token_usage{{model_name="{model_name}"}} 0.01\n'
                )
                return self._send(200, body.encode(), "text/plain; version=0.0.4")
            return self._json(404, {"detail": "Not Found"})

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            if not self._authorized():
                self._body()
                return self._json(401, {"error": "Unauthorized"})
            body = self._body()
            if path not in ("/v1/chat/completions", "/generate", "/v1/completions"):
                return self._json(404, {"detail": "Not Found"})
            with st.lock:
                if st.draining or not st.ready:
                    refuse = True
                else:
                    refuse = False
                    st.inflight += 1
            if refuse:
                return self._json(503, {"error": "server is not accepting requests"})
            try:
                time.sleep(st.request_delay)
                if path == "/generate":
                    out = {"text": " OK", "meta_info": {"prompt_tokens": 4, "completion_tokens": 1,
                                                        "finish_reason": {"type": "length", "length": 1}}}
                else:
                    n = int(body.get("max_tokens") or 16)
                    out = {
                        "id": "chatcmpl-standin",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model_name,
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": "OK"},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 5, "completion_tokens": min(n, 1), "total_tokens": 6},
                    }
                self._json(200, out)
            finally:
                with st.lock:
                    st.inflight -= 1
                    st.served += 1
                    st.idle.notify_all()

    return Handler


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def listen_like_uvicorn(host: str, port: int, handler) -> list[ThreadingHTTPServer]:
    """Bind the way SGLang 0.5.23's HTTP server and dummy health server do for ``--host``:
    uvicorn passes the host to the event loop's ``create_server`` (srt/entrypoints/http_server.py,
    srt/utils/common.py launch_dummy_health_check_server), which opens one listener per address
    ``getaddrinfo(host or None, port, AI_PASSIVE)`` gives and sets IPV6_V6ONLY on the IPv6 one
    (CPython asyncio/base_events.py create_server; uvloop alike). So "" serves IPv4 and IPv6,
    "::" IPv6 only, "0.0.0.0" IPv4 only — tests/test_peer_network.py checks this against SGLang's
    own code. Each listener is served from its own thread."""
    import socket

    infos = socket.getaddrinfo(None if host == "" else host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
                               socket.AI_PASSIVE)
    servers: list[ThreadingHTTPServer] = []
    for family, _, _, _, sockaddr in dict.fromkeys((i[0], i[1], i[2], i[3], i[4]) for i in infos):
        cls = type("Listener", (_Listener,), {"address_family": family})
        srv = cls(sockaddr, handler, bind_and_activate=False)
        if family == socket.AF_INET6:
            srv.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            srv.server_bind()
            srv.server_activate()
        except OSError:
            srv.server_close()
            for other in servers:
                other.server_close()
            raise
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return servers


def _shutdown(servers: list[ThreadingHTTPServer]) -> None:
    for srv in servers:
        srv.shutdown()


def _parse_addr(addr: str) -> tuple[str, int]:
    # srt/utils/network.py NetworkAddress.parse: IPv6 must be bracketed
    if addr.startswith("["):
        host, _, port = addr[1:].partition("]:")
    else:
        host, _, port = addr.rpartition(":")
    return host, int(port)


def rendezvous_rank0(args, st: "State", stop: threading.Event) -> list:
    """Accept the other ranks on the dist-init address; mark ready-able when all joined."""
    import socket

    host, port = _parse_addr(args.dist_init_addr)
    srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(args.nnodes)
    peers: list = []
    st.peers_joined = threading.Event()

    def accept() -> None:
        while len(peers) < args.nnodes - 1:
            conn, addr = srv.accept()
            peers.append(conn)
            say(f"node rank joined from {addr[0]} ({len(peers)}/{args.nnodes - 1})")

            def watch(c=conn) -> None:
                while c.recv(64):
                    pass
                if not stop.is_set():
                    # real SGLang: the next collective blocks until the NCCL/watchdog timeout
                    say("NCCL WARN a peer node closed its connection; collectives will hang")

            threading.Thread(target=watch, daemon=True).start()
        st.peers_joined.set()

    threading.Thread(target=accept, daemon=True).start()
    return peers


def worker_main(args) -> None:
    """node_rank >= 1: schedulers only, then SGLang's dummy health server."""
    import socket

    say(f"node_rank={args.node_rank} of nnodes={args.nnodes}: no HTTP server, dummy health check only")
    if os.environ.get("STANDIN_PIDFILE"):
        with open(os.environ["STANDIN_PIDFILE"], "w") as fh:
            json.dump({"pid": os.getpid(), "workers": []}, fh)
    joined = threading.Event()

    class Dummy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            code = (200 if joined.is_set() else 503) if path in ("/health", "/health_generate", "/ping") else 404
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def on_sigterm(signum, frame) -> None:  # engine.py, node_rank >= 1
        say(f"SIGTERM received on node_rank {args.node_rank}; waiting for the rank-0 ShutdownReq broadcast "
            "to stop the schedulers.")

    signal.signal(signal.SIGTERM, on_sigterm)
    host, port = _parse_addr(args.dist_init_addr)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = socket.create_connection((host, port), timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                say("Init torch distributed failed: could not reach the dist-init address")
                sys.exit(1)
            time.sleep(0.1)
    conn.settimeout(None)
    servers = listen_like_uvicorn(args.host, args.port, Dummy)
    time.sleep(env_float("STANDIN_READY_DELAY_S", 0.3) or 0.0)
    joined.set()
    say(f"node_rank {args.node_rank} schedulers ready; dummy health server on {args.host}:{args.port}")
    buf = b""
    while True:
        chunk = conn.recv(64)
        if not chunk:
            say("NCCL WARN lost the connection to node rank 0; collectives will hang")
            while True:  # like a real rank blocked in a collective: never exits by itself
                time.sleep(1)
        buf += chunk
        if b"shutdown" in buf:
            say("ShutdownReq from rank 0 received; schedulers stopped.")
            _shutdown(servers)
            sys.exit(0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model-path", "--model", dest="model_path")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=30000)
    p.add_argument("--served-model-name")
    p.add_argument("--api-key")
    p.add_argument("--tp-size", "--tp", type=int, default=1)
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", type=int, default=0)
    p.add_argument("--dist-init-addr")
    args, unknown = p.parse_known_args()
    if args.nnodes > 1 and args.node_rank >= 1:
        return worker_main(args)
    st = State(args)

    # Like SGLang 0.5.23's engine: the resolved server args as a dict, api_key in clear.
    shown = {"model_path": args.model_path, "tokenizer_path": args.model_path, "host": args.host,
             "port": args.port, "tp_size": args.tp_size, "api_key": args.api_key, "admin_api_key": None,
             "served_model_name": args.served_model_name or args.model_path, "extra_args": unknown}
    say(f"server_args={shown!r}")
    paths = _caches.record("launch_server")
    jit = _caches.build_jit(paths, say)
    say(f"JIT modules: {jit['built']} built, {jit['reused']} reused")
    if _caches.deep_gemm_kernels(paths) == 0:
        # srt/layers/deep_gemm_wrapper/compile_utils.py, 0.5.23
        say("Entering DeepGEMM JIT Pre-Compile session. It may take a long time (typically 10-20 mins) "
            "if you have not run `sglang.compile_deep_gemm`.")

    workers = []
    for _ in range(int(os.environ.get("STANDIN_WORKERS") or 0)):
        workers.append(subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(1)"]))
    if os.environ.get("STANDIN_PIDFILE"):
        with open(os.environ["STANDIN_PIDFILE"], "w") as fh:
            json.dump({"pid": os.getpid(), "workers": [w.pid for w in workers]}, fh)

    crash_after = env_float("STANDIN_CRASH_AFTER_S", None)
    if crash_after is not None:
        def crash() -> None:
            time.sleep(crash_after)
            say("Scheduler hit an exception: Traceback (most recent call last):")
            say(f"  RuntimeError: CUDA error: an illegal memory access was encountered "
                f"(server_args=ServerArgs(model_path={args.model_path!r}, api_key={args.api_key!r}, "
                f"tp_size={args.tp_size}))")
            say("Received sigquit from a child process. It usually means the child failed.")
            os._exit(int(os.environ.get("STANDIN_EXIT_CODE") or 1))

        threading.Thread(target=crash, daemon=True).start()

    stop = threading.Event()

    def on_sigterm(signum, frame) -> None:
        if os.environ.get("STANDIN_IGNORE_SIGTERM") == "1":
            say("SIGTERM received (stand-in ignores it)")
            return
        say(f"SIGTERM received. signum={signum} Draining requests and shutting down...")
        st.draining = True
        stop.set()

    signal.signal(signal.SIGTERM, on_sigterm)

    peers: list = []
    if args.nnodes > 1:
        peers = rendezvous_rank0(args, st, stop)
    say("Load weight begin. avail mem=178.50 GB")
    # SGLang 0.5.23's next boot lines (model_runner.py, cuda_graph_setup.py), for phase timing.
    say("Load weight end. elapsed=0.01 s, type=GlmMoeDsaForCausalLM, avail mem=16.80 GB, mem usage=161.70 GB.")
    say("Capture target verify CUDA graph begin. backend=full, num_tokens_per_req=4, avail mem=9.10 GB")
    say("Capture target verify CUDA graph end. bs=[1, 2, 4, 8], elapsed=0.01 s, mem usage=1.20 GB, avail mem=7.90 GB.")
    listen_delay = env_float("STANDIN_LISTEN_DELAY_S", 0.0) or 0.0
    if stop.wait(listen_delay):
        sys.exit(0)
    servers = listen_like_uvicorn(args.host, args.port, make_handler(st))
    say(f"Uvicorn running on http://{args.host}:{args.port} (Press CTRL+C to quit)")

    ready_delay = env_float("STANDIN_READY_DELAY_S", 0.3) or 0.0
    if args.nnodes > 1:  # NCCL init needs every rank
        while not st.peers_joined.is_set() and not stop.is_set():
            st.peers_joined.wait(0.1)
    if not stop.wait(ready_delay):
        st.ready = True
        say("The server is fired up and ready to roll!")

    while not stop.wait(0.1):
        pass
    # Drain: wait for in-flight requests (SGLang polls every 5 s; the stand-in checks often).
    with st.lock:
        while st.inflight > 0:
            say(f"Gracefully exiting... Remaining number of requests {st.inflight}.")
            st.idle.wait(0.5)
    _shutdown(servers)
    for c in peers:  # SGLang's ShutdownReq broadcast to the other ranks
        try:
            c.sendall(b"shutdown\n")
        except OSError:
            pass
    for w in workers:
        w.kill()
    say("Server stopped.")
    sys.exit(0)


if __name__ == "__main__":
    main()
