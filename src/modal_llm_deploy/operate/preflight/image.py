"""The registry image the profile names: does the tag exist (for linux/amd64, where the registry
lists platforms), and which digest to pin.

The registry's v2 API, as Docker documents it (https://docs.docker.com/reference/api/registry/auth,
and the Distribution spec https://distribution.github.io/distribution/spec/auth/token):
``GET /v2/<name>/manifests/<tag>`` answers ``401`` with ``WWW-Authenticate: Bearer
realm="…",service="…",scope="…"`` when a token is needed; ``GET <realm>?service=…&scope=
repository:<name>:pull`` gives an anonymous pull token (``token`` or ``access_token``); the retry
with ``Authorization: Bearer <token>`` answers ``200`` with ``Docker-Content-Digest`` and a
manifest whose ``Content-Type`` says what it is: an OCI image index / Docker manifest list (one
entry per ``platform``) or a single image manifest; ``404`` (``MANIFEST_UNKNOWN``) when the tag
does not exist. Docker Hub's API host for ``docker.io`` names is ``registry-1.docker.io``; an
unqualified name is ``library/<name>``. A host of ``localhost``/``127.0.0.1`` is spoken to over
plain HTTP (Docker's own rule for local registries), everything else over HTTPS.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from modal_llm_deploy.operate.preflight.rows import Row, fail, ok, warn

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")
MANIFEST_TYPES = ("application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json")
ACCEPT = ", ".join(INDEX_TYPES + MANIFEST_TYPES)
DOCKER_HUB_API = "registry-1.docker.io"
PLATFORM = ("linux", "amd64")  # Modal runs x86-64 Linux containers


@dataclass(frozen=True)
class ImageRef:
    host: str  # API host[:port]
    name: str  # repository path
    tag: str

    @property
    def base_url(self) -> str:
        local = self.host.split(":")[0] in ("localhost", "127.0.0.1", "::1")
        return f"{'http' if local else 'https'}://{self.host}"


def parse_ref(ref: str) -> ImageRef:
    """``[host/]name[:tag]`` as Docker reads it: the first part is a host when it has a '.' or ':'
    or is ``localhost``."""
    ref = ref.split("@", 1)[0]
    first, _, rest = ref.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
    else:
        host, path = "docker.io", ref
    name, _, tag = path.rpartition(":") if re.search(r":[\w.-]+$", path) else (path, "", "latest")
    if host in ("docker.io", "index.docker.io"):
        host = DOCKER_HUB_API
        if "/" not in name:
            name = f"library/{name}"
    return ImageRef(host, name, tag or "latest")


class RegistryError(Exception):
    pass


def _challenge(header: str) -> dict[str, str]:
    if not header.lower().startswith("bearer "):
        raise RegistryError(f"the registry asks for {header.split(' ')[0]} auth, not an anonymous Bearer token")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def _get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def _token(ch: dict[str, str], name: str, timeout: float) -> str:
    q = {"service": ch.get("service", ""), "scope": ch.get("scope") or f"repository:{name}:pull"}
    status, _, body = _get(f"{ch['realm']}?{urllib.parse.urlencode(q)}", {}, timeout)
    if status != 200:
        raise RegistryError(f"the registry's token service refused an anonymous pull token (HTTP {status}): "
                            "the image is private")
    data = json.loads(body or b"{}")
    tok = data.get("token") or data.get("access_token")
    if not tok:
        raise RegistryError("the registry's token service answered without a token")
    return tok


def manifest(ref: ImageRef, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    url = f"{ref.base_url}/v2/{ref.name}/manifests/{urllib.parse.quote(ref.tag)}"
    status, headers, body = _get(url, {"Accept": ACCEPT}, timeout)
    if status == 401 and "www-authenticate" in headers:
        tok = _token(_challenge(headers["www-authenticate"]), ref.name, timeout)
        status, headers, body = _get(url, {"Accept": ACCEPT, "Authorization": f"Bearer {tok}"}, timeout)
    return status, headers, body


def image_rows(image: str, *, fixes: dict[str, str], timeout: float = 10.0) -> list[Row]:
    """The image row(s): present (and for linux/amd64), with the digest to pin; or why not."""
    ref = parse_ref(image)
    name = "registry image"
    try:
        status, headers, body = manifest(ref, timeout)
    except RegistryError as exc:
        return [fail("image", name, f"{image}: {exc}", f"use a public image in engine.image: {fixes['set_image']}")]
    except (OSError, ValueError) as exc:
        return [fail("image", name, f"{image}: registry {ref.host} unreachable ({type(exc).__name__}: {exc})",
                     f"check the network, then: {fixes['rerun']}")]
    if status == 404:
        return [fail("image", name, f"{image}: the registry has no tag '{ref.tag}' in {ref.name} (HTTP 404)",
                     f"name an existing tag in engine.image: {fixes['set_image']}")]
    if status != 200:
        return [fail("image", name, f"{image}: the registry answered HTTP {status}", fixes["rerun"])]
    digest = headers.get("docker-content-digest", "")
    ctype = headers.get("content-type", "").split(";")[0].strip()
    repo = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
    if ctype in INDEX_TYPES:
        try:
            entries = json.loads(body).get("manifests", [])
        except ValueError:
            entries = []
        plats = {(m.get("platform", {}).get("os"), m.get("platform", {}).get("architecture")): m.get("digest")
                 for m in entries}
        if PLATFORM not in plats:
            shown = ", ".join(f"{o}/{a}" for o, a in plats) or "none"
            return [fail("image", name, f"{image} exists but not for {'/'.join(PLATFORM)} (platforms: {shown})",
                         f"use a tag built for linux/amd64: {fixes['set_image']}")]
        return [ok("image", name, f"{image} exists for {'/'.join(PLATFORM)}; pin it as {repo}@{digest}"
                                  if digest else f"{image} exists for {'/'.join(PLATFORM)}")]
    if ctype in MANIFEST_TYPES:
        return [ok("image", name, f"{image} exists (a single-platform manifest); pin it as {repo}@{digest}")]
    return [warn("image", name, f"{image} answered with an unknown manifest type {ctype!r}")]
