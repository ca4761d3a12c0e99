"""A small local image registry for preflight's image check: the parts of the Docker Registry
HTTP API v2 a pull starts with, as Docker documents them
(https://docs.docker.com/reference/api/registry/auth; the Distribution spec's token
authentication, https://distribution.github.io/distribution/spec/auth/token):

* ``GET /v2/`` → 200 (or 401 with the challenge when tokens are required);
* ``GET|HEAD /v2/<name>/manifests/<tag>`` → 200 with ``Content-Type`` (an OCI image index, a
  Docker manifest list, or a single manifest) and ``Docker-Content-Digest`` (``sha256:`` of the
  body); ``404`` with the ``MANIFEST_UNKNOWN`` error code for an unknown tag; with
  ``require_token``, ``401`` and ``WWW-Authenticate: Bearer realm="<this server>/token",
  service="stand-in-registry",scope="repository:<name>:pull"`` unless a token it issued is sent;
* ``GET /token?service=…&scope=…`` → ``{"token": …}``: an anonymous pull token, refused (401)
  for a repository marked private.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

INDEX = "application/vnd.oci.image.index.v1+json"
LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def index_body(platforms=(("linux", "amd64"), ("linux", "arm64")), media_type: str = INDEX) -> bytes:
    manifests = [{"mediaType": MANIFEST, "size": 1234,
                  "digest": "sha256:" + hashlib.sha256(f"{o}/{a}".encode()).hexdigest(),
                  "platform": {"os": o, "architecture": a}} for o, a in platforms]
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": manifests}).encode()


class Registry:
    def __init__(self, *, require_token: bool = False) -> None:
        self.require_token = require_token
        self.tags: dict[tuple[str, str], tuple[str, bytes]] = {}  # (name, tag) -> (media type, body)
        self.private: set[str] = set()
        self.issued: set[str] = set()
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, had bearer)
        reg = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:
                pass

            def do_GET(self) -> None:
                reg._handle(self, "GET")

            def do_HEAD(self) -> None:
                reg._handle(self, "HEAD")

        self._srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._srv.daemon_threads = True

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._srv.server_address[1]}"

    def add(self, name: str, tag: str, body: bytes | None = None, media_type: str = INDEX) -> str:
        body = body if body is not None else index_body(media_type=media_type)
        self.tags[(name, tag)] = (media_type, body)
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def start(self) -> "Registry":
        threading.Thread(target=self._srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def __enter__(self) -> "Registry":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _send(self, h, status: int, body: bytes = b"", headers: dict | None = None, method: str = "GET") -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if method != "HEAD":
            h.wfile.write(body)

    def _error(self, h, status: int, code: str, message: str, method: str, headers: dict | None = None) -> None:
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self._send(h, status, body, {"Content-Type": "application/json", **(headers or {})}, method)

    def _handle(self, h, method: str) -> None:
        url = urlsplit(h.path)
        auth = h.headers.get("Authorization") or ""
        bearer = auth[7:] if auth.startswith("Bearer ") else None
        self.requests.append((method, url.path, bearer is not None))
        if url.path == "/token":
            q = parse_qs(url.query)
            m = re.fullmatch(r"repository:(.+):pull", q.get("scope", [""])[0])
            if not m or m.group(1) in self.private:
                return self._error(h, 401, "UNAUTHORIZED", "authentication required", method)
            tok = secrets.token_hex(8)
            self.issued.add(tok)
            return self._send(h, 200, json.dumps({"token": tok}).encode(), {"Content-Type": "application/json"}, method)
        m = re.fullmatch(r"/v2/(.+)/manifests/([^/]+)", url.path)
        if self.require_token and (bearer not in self.issued) and (m or url.path == "/v2/"):
            scope = f',scope="repository:{m.group(1)}:pull"' if m else ""
            challenge = f'Bearer realm="http://{self.host}/token",service="stand-in-registry"{scope}'
            return self._error(h, 401, "UNAUTHORIZED", "authentication required", method,
                               {"WWW-Authenticate": challenge})
        if url.path == "/v2/":
            return self._send(h, 200, b"{}", {"Content-Type": "application/json"}, method)
        if not m:
            return self._error(h, 404, "NAME_UNKNOWN", "repository name not known to registry", method)
        hit = self.tags.get((m.group(1), m.group(2)))
        if hit is None:
            return self._error(h, 404, "MANIFEST_UNKNOWN", "manifest unknown", method)
        media_type, body = hit
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        self._send(h, 200, body, {"Content-Type": media_type, "Docker-Content-Digest": digest}, method)
