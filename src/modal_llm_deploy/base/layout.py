"""On-volume layout shared by every container step.

The download step *writes* these files, verify/compile/serve *read* them. Keeping the names
and formats in one module means "what does complete mean?" has exactly one answer.

Weights volume (``weights_dir`` is the model directory inside the volume)::

    weights_dir/
      config.json, tokenizer*, model-0000x-of-0000y.safetensors, ...
      .modal-llm-deploy/
        manifest.json     every file of the downloaded commit: path, size, sha256 (from the hub)
        COMPLETE.json     written LAST, only after every manifest file is present at full size and
                          synced; it is the PIN RECORD: ``revision`` is the full commit sha that
                          was downloaded (``ref`` the branch/tag/sha the profile asked for). From
                          then on compile, verify and serve use that commit
                          (``recorded_revision``), and a download whose ref has moved upstream
                          refuses unless asked to update.
        download.lock     lease held by the runner currently downloading
        download-state.json   what the download step is working towards: repo, ref, target commit,
                          patterns, and ``replacing`` (the commit an update replaces)
        partial/          private to the download step: resumable ``<path>.<content id>.part`` files;
                          during an update they hold the new commit's files until the swap

An update (the ref moved and the user asked for it, or the profile pins another commit) fetches
the new commit's differing files into ``partial/`` while the old tree and its COMPLETE marker stay
valid and servable; only when every new file is present and synced does it remove the marker,
move the new files into place, write the new manifest and then the new marker. A reader that finds
no marker while ``download-state.json`` names ``replacing`` sees an interrupted swap
(``pending_update``) and says so; it never sees half-old, half-new files presented as complete.

Kernel-cache volume (``cache_root`` is the volume mount)::

    cache_root/
      <kernel key>/       e.g. sm100-sglang0.5.23-glm-5.1-fp8-rev0123456789ab-tp8-ep1-1a2b3c4d5e
        deep_gemm/        SGLANG_DG_CACHE_DIR = DG_JIT_CACHE_DIR
        jit/              SGLANG_JIT_CACHE_DIR (SGLang's own JIT kernels)
        triton/ inductor/ nv/ tilelang/ cute_aot/ torch_extensions/ .cache/flashinfer/
        .compiled-GLM-5.1-FP8   marker (the profile's marker name), JSON, written LAST on success

The key directory is a copy of SGLang's cache *work directory* (``steps/caches.py``): the
compile run builds every cache under one fixed absolute path (``/opt/modal-llm-deploy/
sglang-cache`` in a container, ``<--cache-dir>/.work`` locally), the tree is copied here, then the
marker is written. The server mounts this volume read-only and restores the key directory to
the same work path before SGLang starts, so FlashInfer's absolute build paths stay valid and
nothing the server writes reaches the volume. The key's last part hashes the kernel-shaping
arguments (``caches.argv_hash``); the marker records that hash and the argv.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATE_DIR = ".modal-llm-deploy"
MANIFEST_NAME = "manifest.json"
COMPLETE_NAME = "COMPLETE.json"
LOCK_NAME = "download.lock"
DOWNLOAD_STATE_NAME = "download-state.json"
FORMAT_VERSION = 1


def state_dir(weights_dir: Path) -> Path:
    return Path(weights_dir) / STATE_DIR


def manifest_path(weights_dir: Path) -> Path:
    return state_dir(weights_dir) / MANIFEST_NAME


def complete_path(weights_dir: Path) -> Path:
    return state_dir(weights_dir) / COMPLETE_NAME


def lock_path(weights_dir: Path) -> Path:
    return state_dir(weights_dir) / LOCK_NAME


def download_state_path(weights_dir: Path) -> Path:
    return state_dir(weights_dir) / DOWNLOAD_STATE_NAME


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON so that a reader sees either the old file or the whole new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(obj, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_json(path: Path) -> Any:
    with open(path) as fh:
        return json.load(fh)


@dataclass(frozen=True)
class ManifestEntry:
    path: str  # relative to weights_dir, POSIX separators
    size: int
    sha256: str | None = None  # LFS files carry one; small git files may not


@dataclass(frozen=True)
class Manifest:
    repo_id: str
    revision: str
    files: tuple[ManifestEntry, ...]
    format_version: int = FORMAT_VERSION

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["files"] = [asdict(f) for f in self.files]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Manifest":
        return cls(
            repo_id=d["repo_id"],
            revision=d["revision"],
            files=tuple(ManifestEntry(**f) for f in d["files"]),
            format_version=d.get("format_version", FORMAT_VERSION),
        )

    def save(self, weights_dir: Path) -> None:
        write_json_atomic(manifest_path(weights_dir), self.to_json())

    @classmethod
    def load(cls, weights_dir: Path) -> "Manifest":
        return cls.from_json(read_json(manifest_path(weights_dir)))


@dataclass(frozen=True)
class CompletionMarker:
    repo_id: str
    revision: str  # the full commit sha that was downloaded: the pin
    files: int
    bytes: int
    completed_at: float
    format_version: int = FORMAT_VERSION
    ref: str | None = None  # what the profile asked for (branch, tag or sha); None: written before refs

    def save(self, weights_dir: Path) -> None:
        write_json_atomic(complete_path(weights_dir), asdict(self))

    @classmethod
    def load(cls, weights_dir: Path) -> "CompletionMarker":
        return cls(**read_json(complete_path(weights_dir)))


def is_commit_sha(v: object) -> bool:
    """A full 40-hex lower-case commit sha (what the Hub returns as ``sha``)."""
    return isinstance(v, str) and len(v) == 40 and all(c in "0123456789abcdef" for c in v)


def recorded_revision(weights_dir: Path) -> str | None:
    """The commit sha the completed download recorded (the pin), or None if there is no
    complete download: no marker, an unreadable one, or one that disagrees with the manifest."""
    try:
        marker = CompletionMarker.load(weights_dir)
        manifest = Manifest.load(weights_dir)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not is_commit_sha(marker.revision) or (marker.repo_id, marker.revision) != (manifest.repo_id, manifest.revision):
        return None
    return marker.revision


def pending_update(weights_dir: Path) -> str | None:
    """A one-line description of an interrupted update (no marker, and the download step was
    replacing one commit by another), else None."""
    if complete_path(weights_dir).exists():
        return None
    try:
        state = read_json(download_state_path(weights_dir))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not state.get("replacing"):
        return None
    return (f"an update from commit {str(state['replacing'])[:12]} to {str(state.get('commit'))[:12]} was interrupted "
            "while swapping files: the weights are neither commit until the download finishes it")


# --- kernel cache -------------------------------------------------------------------------


def kernel_dir(cache_root: Path, key: str) -> Path:
    return Path(cache_root) / key


@dataclass(frozen=True)
class KernelMarker:
    key: str
    arch: str
    sglang_version: str
    gpu_name: str
    duration_s: float
    built_at: float
    extra: dict[str, Any] = field(default_factory=dict)
    # The kernel-shaping argument hash (the key's last part) and the compile argv it came from.
    # None in markers written before the key carried a hash.
    argv_hash: str | None = None
    argv: list[str] | None = None

    def save(self, path: Path) -> None:
        write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: Path) -> "KernelMarker":
        return cls(**read_json(path))


@dataclass(frozen=True)
class KernelExpectation:
    """What the profile expects in the kernel cache."""

    key: str  # kernel-cache key directory, e.g. sm100-sglang0.5.23-glm-5.1-fp8-rev…-tp8-ep1
    arch: str  # "sm100"
    sglang_version: str  # "0.5.23"
    marker_name: str  # ".compiled-GLM-5.1-FP8"
    argv_hash: str | None = None  # the key's kernel-shaping argument hash (plan.kernel_cache.argv_hash)
