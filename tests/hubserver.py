"""A local, fault-injecting Hugging Face Hub for tests and benchmarks.

It speaks enough of the Hub's HTTP API for the *real* ``huggingface_hub`` 2.4 client (pointed at
it with ``endpoint=`` / ``HF_ENDPOINT``, Xet disabled) to run ``HfApi.model_info``,
``hf_hub_download`` and ``snapshot_download`` against it:

* ``GET  /api/models/{repo}[/revision/{rev}]``  model info (``?blobs=true``: sizes, blob ids, LFS sha256);
  ``sha`` is the commit ``rev`` resolves to *now* (a branch moves with ``add_commit``/``move_ref``),
  which is what ``HfApi.model_info(repo, revision=rev).sha`` reads on the real Hub
* ``GET  /api/models/{repo}/tree/{rev}``        recursive tree listing (what ``snapshot_download`` uses)
* ``HEAD|GET /{repo}/resolve/{rev}/{path}``     regular files: 200/206 with ETag, X-Repo-Commit,
  Content-Length, Accept-Ranges; LFS files: 302 to the "CDN" with X-Linked-Size / X-Linked-Etag,
  like the Hub's redirect to its storage bridge
* ``HEAD|GET /cdn/{sha256}?repo=&path=``        the "CDN": a *second port*, i.e. another origin, so the
  client drops the Authorization header and uses the redirect target directly, as against the Hub

Errors carry the Hub's ``X-Error-Code`` / ``X-Error-Message`` headers (``RepoNotFound``,
``RevisionNotFound``, ``EntryNotFound``, ``GatedRepo``, 401 "Invalid credentials in Authorization
header") so the client raises the same exception types it raises against huggingface.co.

Every request is recorded (method, kind, repo file, Range, status, body bytes sent) so tests can
count attempts and bytes. Faults (:class:`Fault`) are injected per file pattern and per attempt:
HTTP status bursts (5xx, 429 + Retry-After, 404, ...), a TCP reset after K body bytes, a truncated
body (Content-Length promises more, then a clean close), a stall, a delay.

Use it in-process (:class:`HubServer`, threads) or as a subprocess (``python tests/hubserver.py
--spec spec.json``, controlled over HTTP by :class:`RemoteHub`, same methods), e.g. for benchmarks
where the server must not share the client's GIL.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import random
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs, quote, unquote, urlsplit

CHUNK = 64 * 1024


# --- repository content ---------------------------------------------------------------------


def git_blob_sha1(data: bytes) -> str:
    """The git object id of a blob, which is what the Hub reports as ``blobId`` / ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class RepoFile:
    path: str
    data: bytes
    lfs: bool

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return _cached_sha256(self.data)

    @property
    def blob_id(self) -> str:
        # For an LFS file git stores the pointer, so the blob id is the pointer's.
        return git_blob_sha1(lfs_pointer(self.sha256, self.size) if self.lfs else self.data)


_sha_cache: dict[int, tuple[bytes, str]] = {}


def _cached_sha256(data: bytes) -> str:
    hit = _sha_cache.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256(data).hexdigest()
    _sha_cache[id(data)] = (data, digest)
    return digest


class FakeRepo:
    """A model repo with one or more commits. ``refs`` maps branch names to commit ids."""

    def __init__(self, repo_id: str, *, gated: bool = False, private: bool = False,
                 lfs_patterns: Iterable[str] = ("*.safetensors", "*.bin")):
        self.repo_id = repo_id
        self.gated = gated
        self.private = private
        self.lfs_patterns = tuple(lfs_patterns)
        self.commits: dict[str, dict[str, RepoFile]] = {}
        self.refs: dict[str, str] = {}
        self.allowed_tokens: set[str] = set()  # tokens that may read a gated/private repo
        self.xet = False  # advertise Xet storage on LFS files (X-Xet-Hash on the HEAD)

    def add_commit(self, files: dict[str, bytes], *, ref: str | None = "main") -> str:
        h = hashlib.sha1(self.repo_id.encode())
        for p in sorted(files):
            h.update(p.encode() + b"\0" + hashlib.sha256(files[p]).digest())
        h.update(str(len(self.commits)).encode())
        commit = h.hexdigest()
        self.commits[commit] = {
            p: RepoFile(p, d, any(fnmatch.fnmatch(p, pat) for pat in self.lfs_patterns))
            for p, d in files.items()
        }
        if ref:
            self.refs[ref] = commit
        return commit

    def move_ref(self, ref: str, commit: str) -> None:
        """Point a branch at another existing commit (what a push does upstream)."""
        assert commit in self.commits, commit
        self.refs[ref] = commit

    def resolve(self, rev: str) -> str | None:
        if rev in self.commits:
            return rev
        return self.refs.get(rev)

    def files(self, rev: str = "main") -> dict[str, bytes]:
        commit = self.resolve(rev)
        assert commit is not None, rev
        return {p: f.data for p, f in self.commits[commit].items()}


def model_files(n_shards: int = 4, shard_size: int = 2 * 1024 * 1024, *, seed: int = 0,
                salt: bytes = b"") -> dict[str, bytes]:
    """A synthetic safetensors-style checkpoint: random shards + index + config + tokenizer files."""
    rng = random.Random(seed)
    shards = {
        f"model-{i:05d}-of-{n_shards:05d}.safetensors": rng.randbytes(shard_size)
        for i in range(1, n_shards + 1)
    }
    weight_map = {f"layers.{i}.weight": name for i, name in enumerate(shards)}
    files: dict[str, bytes] = dict(shards)
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {"total_size": n_shards * shard_size}, "weight_map": weight_map}, indent=2
    ).encode()
    files["config.json"] = json.dumps({"architectures": ["FakeForCausalLM"], "salt": salt.hex()}).encode()
    files["generation_config.json"] = b'{"do_sample": true}\n'
    files["tokenizer_config.json"] = b'{"model_max_length": 202752}\n'
    files["tokenizer.json"] = json.dumps({"vocab": {f"t{i}": i for i in range(2000)}}).encode()
    return files


# --- faults and the request log ---------------------------------------------------------------


@dataclass
class Fault:
    """One injected failure.

    A fault *matches* a request by ``where`` (``"api"``, ``"resolve"``, ``"cdn"`` or None = any),
    ``method`` (None = any) and ``path`` (fnmatch pattern on the repo file path; API requests have
    path ``""``). Matching requests are counted (per file if ``per_file``); the fault fires on
    matches number ``skip`` .. ``skip + times - 1`` (``times=None``: every one from ``skip`` on).

    kinds:
      ``status``   answer ``status`` (with ``retry_after``, ``error_code``, ``error_message``)
      ``reset``    send headers and ``after_bytes`` body bytes, wait ``seconds`` (default 0.05 s, so
                   the client has read them: the kernel drops unread data on a RST), then a TCP RST
      ``truncate`` send headers and ``after_bytes`` body bytes, then a clean close (FIN) although
                   Content-Length promised more
      ``stall``    send ``after_bytes`` body bytes, sleep ``seconds``, then carry on
      ``delay``    sleep ``seconds`` before answering normally
      ``corrupt``  flip one byte at body offset ``after_bytes`` (a proxy/disk bit error)
    """

    kind: str = "status"
    path: str = "*"
    where: str | None = None
    method: str | None = "GET"
    status: int = 503
    times: int | None = 1
    skip: int = 0
    per_file: bool = False
    after_bytes: int = 0
    seconds: float = 0.0
    retry_after: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    seen: dict[str, int] = field(default_factory=dict)  # match counters (internal)
    fired: int = 0

    def count(self, where: str, method: str, path: str) -> int | None:
        """If this request matches, count it and return its 0-based match number."""
        if self.where is not None and self.where != where:
            return None
        if self.method is not None and self.method != method:
            return None
        if not fnmatch.fnmatchcase(path, self.path):
            return None
        key = path if self.per_file else "*"
        n = self.seen.get(key, 0)
        self.seen[key] = n + 1
        return n

    def fires(self, n: int) -> bool:
        return n >= self.skip and (self.times is None or n < self.skip + self.times)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("seen"), d.pop("fired")
        return d


@dataclass(frozen=True)
class Request:
    method: str
    kind: str  # api | resolve | cdn | control | other
    url: str
    file: str  # repo file path ("" for API calls)
    range: str | None
    status: int
    bytes_sent: int
    fault: str | None
    has_auth: bool
    t_start: float
    t_end: float


# --- the server -------------------------------------------------------------------------------


def _unsent(sock: socket.socket) -> int:
    """Bytes in the socket's send queue not yet acknowledged by the peer (0 if unknown)."""
    try:
        import fcntl
        import termios

        return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
    except (ImportError, OSError):
        return 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Keep-alive sockets may still be open at shutdown; we close them ourselves in stop().
    block_on_close = False


class HubServer:
    """In-process fake Hub. ``with HubServer([repo]) as hub: hub.endpoint ...``"""

    def __init__(self, repos: Iterable[FakeRepo] = (), *, valid_tokens: Iterable[str] | None = None,
                 throttle_bps: float | None = None, host: str = "127.0.0.1", port: int = 0):
        self.repos: dict[str, FakeRepo] = {r.repo_id: r for r in repos}
        # None: any token is valid (public repos need none). Otherwise unknown tokens get 401.
        self.valid_tokens = set(valid_tokens) if valid_tokens is not None else None
        self.throttle_bps = throttle_bps
        self.faults: list[Fault] = []
        self._log: list[Request] = []
        self._log_since = 0.0
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._host, self._port = host, port
        self._api: _Server | None = None
        self._cdn: _Server | None = None
        self._threads: list[threading.Thread] = []

    # lifecycle
    def start(self) -> "HubServer":
        self._api = _Server((self._host, self._port), _make_handler(self, "api"))
        self._cdn = _Server((self._host, 0), _make_handler(self, "cdn"))
        for srv in (self._api, self._cdn):
            t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        for srv in (self._api, self._cdn):
            if srv is not None:
                srv.shutdown()
                srv.server_close()
        with self._lock:
            socks = list(self._socks)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._api is not None
        return f"http://{self._host}:{self._api.server_address[1]}"

    @property
    def cdn_endpoint(self) -> str:
        assert self._cdn is not None
        return f"http://{self._host}:{self._cdn.server_address[1]}"

    # configuration
    def add_repo(self, repo: FakeRepo) -> FakeRepo:
        self.repos[repo.repo_id] = repo
        return repo

    def add_fault(self, fault: Fault | None = None, **kw: Any) -> Fault:
        fault = fault or Fault(**kw)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def set_throttle(self, bps: float | None) -> None:
        self.throttle_bps = bps

    # observation
    def requests(self, *, kind: str | None = None, file: str | None = None,
                 method: str | None = None) -> list[Request]:
        with self._lock:
            log = list(self._log)
        return [r for r in log if (kind is None or r.kind == kind) and (file is None or r.file == file)
                and (method is None or r.method == method)]

    def clear_log(self) -> None:
        """Forget the log, including requests still in flight now (they are logged when they end)."""
        with self._lock:
            self._log.clear()
            self._log_since = time.time()

    def file_gets(self, file: str | None = None) -> list[Request]:
        """GETs that (would) send file content: CDN GETs and GETs of regular files on /resolve."""
        return [r for r in self.requests(method="GET", file=file)
                if r.kind == "cdn" or (r.kind == "resolve" and r.status in (200, 206))]

    def bytes_sent(self, file: str | None = None) -> int:
        return sum(r.bytes_sent for r in self.file_gets(file))

    # internals
    def _record(self, req: Request) -> None:
        with self._lock:
            if req.t_start >= self._log_since:
                self._log.append(req)

    def _pick_fault(self, where: str, method: str, path: str) -> Fault | None:
        # Every fault counts every request it matches (so "skip" means the n-th request for that
        # file, whatever other faults did to the earlier ones); the first one that fires wins.
        chosen = None
        with self._lock:
            for f in self.faults:
                n = f.count(where, method, path)
                if n is not None and chosen is None and f.fires(n):
                    chosen = f
            if chosen is not None:
                chosen.fired += 1
        return chosen


def _make_handler(hub: HubServer, role: str) -> type[BaseHTTPRequestHandler]:
    class Handler(_HubHandler):
        pass

    Handler.hub = hub
    Handler.role = role
    return Handler


class _Abort(Exception):
    """The connection was cut on purpose (fault) or by the client."""


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: HubServer
    role: str

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr access log
        pass

    def setup(self) -> None:
        super().setup()
        with self.hub._lock:
            self.hub._socks.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        with self.hub._lock:
            self.hub._socks.discard(self.connection)

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    # -- plumbing
    def _dispatch(self, method: str) -> None:
        self._t0 = time.time()
        self._sent = 0
        self._status = 0
        self._fault_name: str | None = None
        self._kind, self._file = "other", ""
        try:
            if self.role == "cdn":
                self._handle_cdn(method)
            else:
                self._handle_api(method)
        except _Abort:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if self._kind != "control":
                auth = self.headers.get("Authorization")
                self.hub._record(Request(
                    method=method, kind=self._kind, url=self.path, file=self._file,
                    range=self.headers.get("Range"), status=self._status, bytes_sent=self._sent,
                    fault=self._fault_name, has_auth=bool(auth), t_start=self._t0, t_end=time.time(),
                ))

    def _token(self) -> str | None:
        auth = self.headers.get("Authorization") or ""
        return auth[7:] if auth.lower().startswith("bearer ") else None

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None,
                   method: str = "GET") -> None:
        body = json.dumps(obj).encode()
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str | None, message: str, method: str,
               headers: dict[str, str] | None = None) -> None:
        h = dict(headers or {})
        if code:
            h["X-Error-Code"] = code
        h["X-Error-Message"] = message
        h["X-Request-Id"] = f"fake-{int(self._t0 * 1e6) % 10**9}"
        self._send_json(status, {"error": message}, h, method)

    def _fault(self, where: str, method: str) -> Fault | None:
        f = self.hub._pick_fault(where, method, self._file)
        if f is None:
            return None
        self._fault_name = f.kind if f.kind != "status" else f"status {f.status}"
        if f.kind == "status":
            extra = {"Retry-After": f.retry_after} if f.retry_after is not None else {}
            self._error(f.status, f.error_code, f.error_message or f"injected {f.status}", method, extra)
            return f
        if f.kind == "delay":
            time.sleep(f.seconds)
            return None  # then answer normally
        return f  # body faults are applied while streaming

    def _check_access(self, repo: FakeRepo | None, method: str, repo_id: str) -> bool:
        """Hub auth semantics. Returns False if an error response was sent."""
        token = self._token()
        valid = self.hub.valid_tokens
        if token is not None and valid is not None and token not in valid:
            # What huggingface.co answers for a revoked/mistyped token, on any endpoint.
            self._error(401, None, "Invalid credentials in Authorization header", method)
            return False
        if repo is None:
            self._error(404 if token else 401, "RepoNotFound", "Repository not found", method)
            return False
        if repo.private and token not in repo.allowed_tokens:
            self._error(404 if token else 401, "RepoNotFound", "Repository not found", method)
            return False
        if repo.gated and token not in repo.allowed_tokens:
            if token is None:
                self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted. You must have "
                            "access to it and be authenticated to access it. Please log in.", method)
            else:
                self._error(403, "GatedRepo", f"Access to model {repo_id} is restricted and you are not in "
                            f"the authorized list. Visit https://huggingface.co/{repo_id} to ask for access.",
                            method)
            return False
        return True

    # -- API origin
    def _handle_api(self, method: str) -> None:
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = parse_qs(url.query)
        if path.startswith("/_control/"):
            self._kind = "control"
            return self._handle_control(method, path, query)
        if path.startswith("/api/models/"):
            self._kind = "api"
            return self._handle_model_api(method, path[len("/api/models/"):], query)
        parts = url.path.lstrip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve":
            self._kind = "resolve"
            repo_id = unquote(parts[0]) + "/" + unquote(parts[1])
            rev = unquote(parts[3])
            self._file = unquote("/".join(parts[4:]))
            return self._handle_resolve(method, repo_id, rev)
        self._error(404, None, "Not found", method)

    def _handle_model_api(self, method: str, rest: str, query: dict[str, list[str]]) -> None:
        bits = rest.split("/")
        repo_id = "/".join(bits[:2])
        tail = bits[2:]
        if self._fault("api", method):
            return
        repo = self.hub.repos.get(repo_id)
        if not self._check_access(repo, method, repo_id):
            return
        assert repo is not None
        rev = "main"
        if tail[:1] == ["revision"] and len(tail) >= 2:
            rev = "/".join(tail[1:])
            tail = []
        elif tail[:1] == ["tree"] and len(tail) >= 2:
            rev = tail[1]
            tail = ["tree"]
        commit = repo.resolve(rev)
        if commit is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", method)
        files = repo.commits[commit]
        if tail == ["tree"]:
            listing = [{"type": "file", "oid": f.blob_id, "size": f.size, "path": f.path,
                        **({"lfs": {"oid": f.sha256, "size": f.size, "pointerSize": len(lfs_pointer(f.sha256, f.size))}}
                           if f.lfs else {})} for f in files.values()]
            return self._send_json(200, listing, method=method)
        if tail:
            return self._error(404, None, "Not found", method)
        blobs = query.get("blobs", ["false"])[0].lower() in ("1", "true")
        siblings = []
        for f in files.values():
            s: dict[str, Any] = {"rfilename": f.path}
            if blobs:
                s.update(size=f.size, blobId=f.blob_id)
                if f.lfs:
                    s["lfs"] = {"size": f.size, "sha256": f.sha256,
                                "pointerSize": len(lfs_pointer(f.sha256, f.size))}
            siblings.append(s)
        info = {"_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24], "id": repo.repo_id,
                "modelId": repo.repo_id, "sha": commit, "private": repo.private,
                "gated": "manual" if repo.gated else False, "disabled": False, "tags": [],
                "lastModified": "2026-01-01T00:00:00.000Z", "siblings": siblings}
        self._send_json(200, info, method=method)

    def _handle_resolve(self, method: str, repo_id: str, rev: str) -> None:
        fault = self._fault("resolve", method)
        if fault is not None and fault.kind == "status":
            return
        repo = self.hub.repos.get(repo_id)
        if not self._check_access(repo, method, repo_id):
            return
        assert repo is not None
        commit = repo.resolve(rev)
        if commit is None:
            return self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}", method)
        f = repo.commits[commit].get(self._file)
        common = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes"}
        if f is None:
            return self._error(404, "EntryNotFound", f"{self._file} does not exist on \"{rev}\"", method,
                               {"X-Repo-Commit": commit})
        if f.lfs:
            # The Hub answers LFS files with a redirect to its storage bridge (another origin) and
            # puts the real size/sha256 on the redirect itself.
            location = (f"{self.hub.cdn_endpoint}/cdn/{f.sha256}?repo={quote(repo_id, safe='')}"
                        f"&path={quote(f.path, safe='')}&X-Amz-Signature=fake")
            self._status = 302
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("ETag", f'"{f.blob_id}"')
            self.send_header("X-Linked-Etag", f'"{f.sha256}"')
            self.send_header("X-Linked-Size", str(f.size))
            self.send_header("Content-Length", "0")
            for k, v in common.items():
                self.send_header(k, v)
            if repo.xet:  # what a Xet-backed repo adds; the client then uses xet_get (if enabled)
                self.send_header("X-Xet-Hash", hashlib.sha256(b"xet" + f.data[:1024]).hexdigest())
                self.send_header("X-Xet-Refresh-Route", f"{self.hub.endpoint}/api/models/{repo_id}/xet-read-token/{commit}")
            self.end_headers()
            return
        self._serve_bytes(method, f.data, {"ETag": f'"{f.blob_id}"', **common}, fault)

    # -- CDN origin
    def _handle_cdn(self, method: str) -> None:
        url = urlsplit(self.path)
        q = parse_qs(url.query)
        self._kind = "cdn"
        self._file = q.get("path", [""])[0]
        repo = self.hub.repos.get(q.get("repo", [""])[0])
        fault = self._fault("cdn", method)
        if fault is not None and fault.kind == "status":
            return
        sha = url.path.rsplit("/", 1)[-1]
        data = None
        if repo is not None:
            for files in repo.commits.values():
                f = files.get(self._file)
                if f is not None and f.lfs and f.sha256 == sha:
                    data = f.data
                    break
        if data is None:
            return self._error(404, None, "NoSuchKey", method)
        self._serve_bytes(method, data, {"ETag": f'"{sha}"', "Accept-Ranges": "bytes"}, fault)

    # -- byte streaming with Range and body faults
    def _serve_bytes(self, method: str, data: bytes, headers: dict[str, str], fault: Fault | None) -> None:
        size = len(data)
        start, end = 0, size - 1
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            if a:
                start = int(a)
                end = min(int(b), size - 1) if b else size - 1
            elif b:  # suffix range
                start, end = max(size - int(b), 0), size - 1
            if start >= size and size > 0:
                self._status = 416
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = memoryview(data)[start:end + 1]
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if method == "HEAD":
            return
        cut = fault.after_bytes if fault is not None and fault.kind in ("reset", "truncate", "stall") else None
        if fault is not None and fault.kind == "corrupt" and fault.after_bytes < len(body):
            spoiled = bytearray(body)
            spoiled[fault.after_bytes] ^= 0xFF
            body = memoryview(bytes(spoiled))
        pos = 0
        while pos < len(body):
            n = CHUNK
            if cut is not None and pos < cut:
                n = min(n, cut - pos)
            if cut is not None and pos == cut:
                self._apply_body_fault(fault)  # type: ignore[arg-type]
                cut = None
                continue
            chunk = body[pos:pos + n]
            self.wfile.write(chunk)
            pos += len(chunk)
            self._sent += len(chunk)
            bps = self.hub.throttle_bps
            if bps:
                time.sleep(len(chunk) / bps)

    def _apply_body_fault(self, fault: Fault) -> None:
        self.wfile.flush()
        if fault.kind == "stall":
            time.sleep(fault.seconds)
            return
        sock = self.connection
        if fault.kind == "reset":
            # "Reset after K bytes" means the client got K bytes: wait until they left our send
            # queue (Linux SIOCOUTQ) and give the client a moment to read them, since the kernel
            # discards unread data when a RST arrives.
            deadline = time.time() + 2
            while time.time() < deadline and _unsent(sock) > 0:
                time.sleep(0.002)
            time.sleep(fault.seconds or 0.05)
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        else:  # truncate: orderly close although Content-Length promised more
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise _Abort()

    # -- control (subprocess mode)
    def _handle_control(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        n = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(n) or b"null") if n else None
        cmd = path[len("/_control/"):]
        if cmd == "fault":
            self.hub.add_fault(Fault(**payload))
        elif cmd == "clear_faults":
            self.hub.clear_faults()
        elif cmd == "clear_log":
            self.hub.clear_log()
        elif cmd == "throttle":
            self.hub.set_throttle(payload)
        elif cmd == "log":
            return self._send_json(200, [asdict(r) for r in self.hub.requests()])
        elif cmd == "ping":
            pass
        else:
            return self._error(404, None, "unknown control", method)
        self._send_json(200, {"ok": True})


# --- subprocess mode --------------------------------------------------------------------------


def repos_from_spec(spec: dict[str, Any]) -> list[FakeRepo]:
    """Build repos from a JSON spec: {"repos": [{"repo_id", "n_shards", "shard_size", "seed", ...}]}.

    The data is generated from the seed, so the parent process can rebuild identical bytes.
    """
    repos = []
    for r in spec["repos"]:
        repo = FakeRepo(r["repo_id"], gated=r.get("gated", False), private=r.get("private", False))
        repo.add_commit(model_files(r.get("n_shards", 4), r.get("shard_size", 2 << 20), seed=r.get("seed", 0)))
        repo.allowed_tokens.update(r.get("allowed_tokens", []))
        repos.append(repo)
    return repos


class RemoteHub:
    """A HubServer running in a subprocess, with the same observation/fault methods."""

    def __init__(self, spec: dict[str, Any], *, throttle_bps: float | None = None):
        self.spec = spec
        cmd = [sys.executable, str(Path(__file__).resolve()), "--spec-json", json.dumps(spec)]
        if throttle_bps:
            cmd += ["--throttle", str(throttle_bps)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"hub server did not start: {line!r}")
        self.endpoint = line.split()[1]

    def _call(self, cmd: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else b""
        req = urllib.request.Request(f"{self.endpoint}/_control/{cmd}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def add_fault(self, fault: Fault | None = None, **kw: Any) -> None:
        self._call("fault", (fault or Fault(**kw)).to_json())

    def clear_faults(self) -> None:
        self._call("clear_faults")

    def clear_log(self) -> None:
        self._call("clear_log")

    def set_throttle(self, bps: float | None) -> None:
        self._call("throttle", bps)

    def requests(self) -> list[Request]:
        return [Request(**r) for r in self._call("log")]

    def bytes_sent(self) -> int:
        return sum(r.bytes_sent for r in self.requests()
                   if r.method == "GET" and (r.kind == "cdn" or (r.kind == "resolve" and r.status in (200, 206))))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def __enter__(self) -> "RemoteHub":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spec-json", help="JSON spec (see repos_from_spec)")
    ap.add_argument("--spec", help="path to a JSON spec file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--throttle", type=float, default=None, help="bytes/s per response")
    args = ap.parse_args(argv)
    spec = json.loads(args.spec_json) if args.spec_json else json.loads(Path(args.spec).read_text())
    hub = HubServer(repos_from_spec(spec), valid_tokens=spec.get("valid_tokens"),
                    throttle_bps=args.throttle, port=args.port).start()
    print(f"READY {hub.endpoint}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
