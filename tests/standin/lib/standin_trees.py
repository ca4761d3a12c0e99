"""Helpers for the step tests and the verify benchmark: synthetic weight trees and kernel caches
written through ``modal_llm_deploy.steps.layout`` (the same classes the download step uses), and
the environment that puts the SGLang stand-in and the fake ``nvidia-smi`` in front of a child.

Import with ``sys.path.insert(0, "<repo>/tests/standin/lib")``. Never put ``tests/standin`` itself
on the test process's ``sys.path``: it would shadow a real ``sglang``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from modal_llm_deploy.base.layout import CompletionMarker, KernelMarker, Manifest, ManifestEntry, kernel_dir
from modal_llm_deploy.steps.verify import Fixes
from modal_llm_deploy.base.layout import KernelExpectation

STANDIN_DIR = Path(__file__).resolve().parents[1]  # tests/standin (holds the fake `sglang`)
BIN_DIR = STANDIN_DIR / "bin"  # fake nvidia-smi

REPO_ID = "zai-org/GLM-5.1-FP8"
REVISION = "0123456789abcdef0123456789abcdef01234567"
SGLANG_VERSION = "0.5.23"
MARKER_NAME = ".compiled-GLM-5.1-FP8"
KEY_SM100 = f"sm100-sglang{SGLANG_VERSION}-glm-5.1-fp8-rev{REVISION[:12]}-tp8-ep1"
KEY_SM90 = f"sm90-sglang{SGLANG_VERSION}-glm-5.1-fp8-rev{REVISION[:12]}-tp8-ep1"

FIXES = Fixes(
    download="modal run examples/glm51_deploy.py::download_model",
    compile="modal run examples/glm51_deploy.py::compile_kernels",
    repair="modal run examples/glm51_deploy.py::download_model --repair",
)
KERNEL = KernelExpectation(key=KEY_SM100, arch="sm100", sglang_version=SGLANG_VERSION, marker_name=MARKER_NAME)

SMALL_FILES = {
    "config.json": json.dumps({"architectures": ["GlmMoeDsaForCausalLM"], "model_type": "glm_moe_dsa"}).encode(),
    "generation_config.json": b'{"eos_token_id": [154820]}\n',
    "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "BPE"}}).encode(),
    "tokenizer_config.json": b'{"tokenizer_class": "PreTrainedTokenizerFast"}\n',
}


def shard_name(i: int, n: int) -> str:
    return f"model-{i:05d}-of-{n:05d}.safetensors"


@dataclass
class Tree:
    weights_dir: Path
    manifest: Manifest
    shards: list[str]


def make_tree(
    weights_dir: Path,
    *,
    n_shards: int = 4,
    shard_size: int = 64 * 1024,
    sparse: bool = False,
    complete: bool = True,
    revision: str = REVISION,
    hash_shards: bool = True,
) -> Tree:
    """A checkpoint laid out like the download step leaves it. ``sparse=True`` makes shards with
    ``truncate`` (apparent size only, no sha256 in the manifest: used for the size benchmark)."""
    wd = Path(weights_dir)
    wd.mkdir(parents=True, exist_ok=True)
    names = [shard_name(i + 1, n_shards) for i in range(n_shards)]
    weight_map = {}
    for i, name in enumerate(names):
        for t in range(3):
            weight_map[f"model.layers.{i}.mlp.experts.{t}.weight"] = name
    files = dict(SMALL_FILES)
    files["model.safetensors.index.json"] = json.dumps(
        {"metadata": {"total_size": n_shards * shard_size}, "weight_map": weight_map}, indent=1
    ).encode()
    entries = []
    for rel, data in files.items():
        (wd / rel).write_bytes(data)
        entries.append(ManifestEntry(rel, len(data), None))
    for i, name in enumerate(names):
        p = wd / name
        if sparse:
            with open(p, "wb") as fh:
                fh.truncate(shard_size)
            entries.append(ManifestEntry(name, shard_size, None))
        else:
            data = hashlib.sha256(f"{name}".encode()).digest() * (shard_size // 32) + b"\0" * (shard_size % 32)
            p.write_bytes(data)
            entries.append(ManifestEntry(name, shard_size, hashlib.sha256(data).hexdigest() if hash_shards else None))
    manifest = Manifest(repo_id=REPO_ID, revision=revision, files=tuple(entries))
    manifest.save(wd)
    if complete:
        CompletionMarker(
            repo_id=REPO_ID,
            revision=revision,
            files=len(entries),
            bytes=manifest.total_bytes,
            completed_at=time.time(),
        ).save(wd)
    return Tree(wd, manifest, names)


def write_kernel_marker(
    cache_root: Path,
    key: str = KEY_SM100,
    *,
    arch: str = "sm100",
    sglang_version: str = SGLANG_VERSION,
    marker_key: str | None = None,
    gpu_name: str = "NVIDIA B200",
    marker_name: str = MARKER_NAME,
    with_kernels: bool = True,
) -> Path:
    """A finished compile under ``key``. ``marker_key`` lets a test put a marker whose content
    names another key into this key's directory (a copied marker)."""
    kd = kernel_dir(cache_root, key)
    if with_kernels:
        (kd / "deep_gemm" / "cache").mkdir(parents=True, exist_ok=True)
        (kd / "deep_gemm" / "cache" / "kernel_0.cubin").write_bytes(b"\x7fELF" + b"\0" * 60)
    path = kd / marker_name
    KernelMarker(
        key=marker_key or key,
        arch=arch,
        sglang_version=sglang_version,
        gpu_name=gpu_name,
        duration_s=812.0,
        built_at=time.time(),
    ).save(path)
    return path


def child_env(**extra: str) -> dict[str, str]:
    """Env for children of the step code: the stand-in importable as ``sglang`` and the fake
    ``nvidia-smi`` first on PATH."""
    env = {
        "PYTHONPATH": str(STANDIN_DIR),
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
