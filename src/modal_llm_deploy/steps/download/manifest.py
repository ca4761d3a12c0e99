"""What the revision holds and what is on disk: remote file entries, content hashing (sha256 for
LFS files, git blob ids for the rest), safe paths, and the step's own state files."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.base.layout import (
    CompletionMarker,
    Manifest,
    ManifestEntry,
    download_state_path,
    read_json,
)

# Private to the download step (not read by verify/serve): partial files.
PARTIAL_DIR = "partial"
_HASH_BLOCK = 8 << 20

@dataclass(frozen=True)
class _Remote:
    """One selected file of the resolved revision."""

    path: str
    size: int
    sha256: str | None  # LFS files
    blob_id: str | None  # git object id (for LFS files: the pointer's)

    @property
    def content_id(self) -> str:
        return self.sha256 or self.blob_id or f"size{self.size}"

    def entry(self) -> ManifestEntry:
        return ManifestEntry(path=self.path, size=self.size, sha256=self.sha256)


class _Hasher:
    """sha256 for LFS files, git blob sha1 (``blob <size>\\0`` + data) for regular files."""

    def __init__(self, rf: _Remote):
        self.rf = rf
        self.kind = "sha256" if rf.sha256 else ("git" if rf.blob_id else None)
        self.reset()

    def reset(self) -> None:
        if self.kind == "sha256":
            self.h: Any = hashlib.sha256()
        elif self.kind == "git":
            self.h = hashlib.sha1(b"blob %d\0" % self.rf.size)
        else:
            self.h = None

    def update(self, data: bytes | memoryview) -> None:
        if self.h is not None:
            self.h.update(data)

    def ok(self) -> bool:
        if self.h is None:
            return True
        want = self.rf.sha256 if self.kind == "sha256" else self.rf.blob_id
        return self.h.hexdigest() == want


def _hash_file(path: Path, rf: _Remote, upto: int | None = None, into: _Hasher | None = None) -> _Hasher:
    h = into or _Hasher(rf)
    if h.h is None:
        return h
    left = upto if upto is not None else path.stat().st_size
    with open(path, "rb", buffering=0) as fh:
        while left > 0:
            block = fh.read(min(_HASH_BLOCK, left))
            if not block:
                break
            h.update(block)
            left -= len(block)
    return h


def _safe_relpath(path: str) -> str:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts or not p.parts or p.parts[0] in (".modal-llm-deploy", ".cache"):
        raise StepError(f"refusing to write unsafe repo path {path!r}")
    return path


def _file_size(path: Path) -> int | None:
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return st.st_size if os.path.isfile(path) else None


def _load(loader: Callable[[], Any]) -> Any:
    try:
        return loader()
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _patterns_key(allow_patterns: Iterable[str] | None) -> list[str] | None:
    return sorted(set(allow_patterns)) if allow_patterns is not None else None


def _sizes_ok(weights_dir: Path, manifest: Manifest) -> bool:
    return all(_file_size(weights_dir / e.path) == e.size for e in manifest.files)


def _fast_path(weights_dir: Path, repo_id: str, revision: str, allow_patterns: list[str] | None) -> Manifest | None:
    """The tree is complete for this request, judged from local files only (pinned commits)."""
    marker = _load(lambda: CompletionMarker.load(weights_dir))
    manifest = _load(lambda: Manifest.load(weights_dir))
    state = _load(lambda: read_json(download_state_path(weights_dir)))
    if marker is None or manifest is None or not isinstance(state, dict):
        return None
    if (marker.repo_id, marker.revision) != (repo_id, revision) or (manifest.repo_id, manifest.revision) != (
        repo_id, revision):
        return None
    if state.get("allow_patterns") != _patterns_key(allow_patterns) or state.get("repo_id") != repo_id:
        return None
    if marker.files != len(manifest.files) or marker.bytes != manifest.total_bytes:
        return None
    return manifest if _sizes_ok(weights_dir, manifest) else None
