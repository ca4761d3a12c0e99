"""A local relay between SGLang's eval harness and the server: counts every request's final
outcome, and adds Modal's proxy-auth headers the harness cannot send.

Why it exists (sglang 0.5.23, read in the package):

* **Failed requests are invisible in the harness's result.** ``simple_eval_common.py``
  ``ChatCompletionSampler``/``CompletionSampler`` turn a 400 into an empty answer at once and
  retry anything else (401 included) six times with 1+2+…+32 s of back-off, then return an
  empty answer too; ``run_eval.py`` scores the empty answer as wrong and exits 0. A gate that
  read only the score would call a half-broken server "a low score". The relay sees each
  request on the wire: a request that never got a 2xx is a failed request, whatever the
  harness prints. (Retries are recognised by their identical body, so a try that fails and
  is then answered is not a failure; see RelayCounts for --repeat. Two examples with the same
  prompt would count as one: GSM8K's questions differ.)
* **Modal proxy auth.** With ``serving.modal_proxy_auth`` Modal's proxy wants ``Modal-Key`` /
  ``Modal-Secret`` headers on every request. The harness builds ``OpenAI(base_url=…,
  http_client=LargerHttpxClient())`` with no extra headers and sends only ``OPENAI_API_KEY``
  as Bearer: it cannot pass the proxy. The relay adds the two headers on the way out; the
  harness's own Bearer header passes through unchanged.

It listens on 127.0.0.1 only, forwards non-streaming requests (the harness does not stream),
and never logs header values.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Endpoints whose requests are eval examples (one request body per example and try).
EXAMPLE_PATHS = ("/v1/completions", "/v1/chat/completions", "/generate")
_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
        "transfer-encoding", "upgrade", "host", "content-length"}


@dataclass
class RelayCounts:
    """Per example request (by body): how many tries, how many answered (2xx); all statuses seen.

    A retry and a repeat (run_eval ``--repeat R`` sends each body R times) look the same on the
    wire, so the outcome is counted per body against the repeats asked for: a body answered
    fewer than R times has R − answered failed requests. With R = 1 that is "the last try got
    no 2xx" (the harness stops retrying once answered)."""

    tries_by_body: Counter = field(default_factory=Counter)
    ok_by_body: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    upstream_errors: Counter = field(default_factory=Counter)  # connection-level failures, by kind
    repeats: int = 1

    @property
    def examples(self) -> int:
        """Requests the harness meant to make: distinct bodies × repeats."""
        return len(self.tries_by_body) * self.repeats

    @property
    def tries(self) -> int:
        return sum(self.tries_by_body.values())

    @property
    def failed(self) -> int:
        return sum(max(0, self.repeats - self.ok_by_body[b]) for b in self.tries_by_body)

    @property
    def retried(self) -> int:
        """Tries beyond one per request."""
        return max(0, self.tries - self.examples)

    def as_dict(self) -> dict:
        return {"examples": self.examples, "failed": self.failed, "tries": self.tries, "repeats": self.repeats,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "upstream_errors": dict(self.upstream_errors)}


class Relay:
    """``with Relay(upstream, headers) as r: … r.url …`` then ``r.counts``."""

    def __init__(self, upstream: str, add_headers: dict[str, str] | None = None, timeout_s: float = 3600,
                 repeats: int = 1):
        u = urllib.parse.urlsplit(upstream.rstrip("/"))
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"{upstream!r}: expected an http(s) URL of the server")
        self._scheme, self._host, self._port = u.scheme, u.hostname, u.port
        self._prefix = u.path
        self._add = dict(add_headers or {})
        self._timeout = timeout_s
        self.counts = RelayCounts(repeats=repeats)
        self._lock = threading.Lock()
        self._srv: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._srv is not None, "relay not started"
        return f"http://127.0.0.1:{self._srv.server_address[1]}"

    def __enter__(self) -> "Relay":
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):  # never log (paths only, but keep the harness output clean)
                pass

            def do_GET(self):
                relay._forward(self, "GET", b"")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                relay._forward(self, "POST", self.rfile.read(n) if n else b"")

        ThreadingHTTPServer.daemon_threads = True
        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._srv is not None:
            self._srv.shutdown()
            self._srv.server_close()

    def _connection(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self._host, self._port, timeout=self._timeout)

    def _forward(self, h: BaseHTTPRequestHandler, method: str, body: bytes) -> None:
        path = h.path
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP}
        headers.update(self._add)
        status, rbody, rheaders = 502, b'{"error": "relay: upstream unreachable"}', {"Content-Type": "application/json"}
        conn = self._connection()
        try:
            conn.request(method, self._prefix + path, body=body or None, headers=headers)
            resp = conn.getresponse()
            status, rbody = resp.status, resp.read()
            rheaders = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP}
        except (OSError, http.client.HTTPException) as e:
            with self._lock:
                self.counts.upstream_errors[type(e).__name__] += 1
        finally:
            conn.close()
        if method == "POST" and path.split("?", 1)[0] in EXAMPLE_PATHS:
            key = hashlib.sha256(body).hexdigest()
            with self._lock:
                self.counts.tries_by_body[key] += 1
                self.counts.ok_by_body[key] += int(200 <= status < 300)
                self.counts.statuses[status] += 1
        h.send_response(status)
        for k, v in rheaders.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(rbody)))
        h.end_headers()
        h.wfile.write(rbody)
