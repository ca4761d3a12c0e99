"""Prove triage's torch strings that live in compiled code, and record the proof.

Torch's NCCL watchdog messages ("Watchdog caught collective operation timeout: " and kin) are
not in any Python file: they are C++ string literals in ``torch/lib/libtorch_cuda.so`` of the
CUDA wheel. This script proves each such string of ``data/triage_signatures.json`` (matches
whose file is ``lib/libtorch_cuda.so``) by finding its bytes in that library inside the torch
wheel SGLang pins, and writes what it found to ``tests/torch_strings.json``:

* the torch version, read from SGLang's own metadata (``sglang-0.5.23.dist-info/METADATA``:
  ``Requires-Dist: torch==…``) in the parser venv;
* the wheel's file name, size and sha256 as the registry publishes them (PyPI's simple API,
  PEP 691 JSON) and as computed from the wheel read here (they must agree);
* the library's name, size and CRC in the wheel, and each string's byte offset in it.

The wheel is large (~550 MB), so CI never downloads it: ``tests/test_triage.py`` checks the
record's shape and that it covers every compiled-library string of the catalogue, and re-runs
this script's extraction to compare when the wheel is on this machine (``--wheel``, the
``MLD_TORCH_WHEEL`` variable, or pip's HTTP cache). To refresh the record (online)::

    pip download --no-deps torch==2.14.1 --platform manylinux_2_28_x86_64 \\
        --only-binary=:all: --python-version 3.12 -d /tmp/torch-wheel
    python tests/gen_torch_strings.py --wheel /tmp/torch-wheel/torch-2.14.1-cp312-cp312-manylinux_2_28_x86_64.whl --registry
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mmap
import os
import re
import shutil
import sys
import tempfile
import subprocess
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORD = HERE / "torch_strings.json"
LIBRARY = "lib/libtorch_cuda.so"  # the catalogue's file name, inside the torch package
PLATFORM = "manylinux_2_28_x86_64"
PYTHON_TAG = "cp312"
WHEEL_ENV = "MLD_TORCH_WHEEL"


def catalogue_strings() -> list[str]:
    """Every string of the catalogue that must be proven in the compiled library, in order."""
    from importlib import resources

    raw = json.loads(resources.files("modal_llm_deploy").joinpath("data", "triage_signatures.json").read_text("utf-8"))
    out: list[str] = []
    for sig in raw["signatures"]:
        for m in sig["matches"]:
            if m["package"] == "torch" and m["file"] == LIBRARY:
                out += [s for s in m["all"] if s not in out]
    return out


def pinned_torch(sglang_site: Path, sglang_version: str = "0.5.23") -> str:
    """The torch version SGLang pins, from its installed metadata."""
    meta = (sglang_site / f"sglang-{sglang_version}.dist-info" / "METADATA").read_text("utf-8")
    m = re.search(r"^Requires-Dist: torch==([\w.+]+)\s*$", meta, re.M)
    if not m:
        raise SystemExit(f"{sglang_site}: sglang {sglang_version}'s METADATA pins no torch==X")
    return m.group(1)


def wheel_name(torch_version: str) -> str:
    return f"torch-{torch_version}-{PYTHON_TAG}-{PYTHON_TAG}-{PLATFORM}.whl"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def registry_entry(filename: str) -> dict:
    """The registry's published size and sha256 of ``filename`` (PyPI simple API, JSON form)."""
    import urllib.request

    req = urllib.request.Request("https://pypi.org/simple/torch/",
                                 headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        files = json.load(r)["files"]
    (f,) = [f for f in files if f["filename"] == filename]
    return {"sha256": f["hashes"]["sha256"], "size": f["size"], "url": f["url"]}


def find_in_pip_cache(size: int, sha256: str) -> Path | None:
    """pip keeps downloaded files as ``*.body`` in its HTTP cache: the one of this size and hash."""
    roots = [Path(os.environ["PIP_CACHE_DIR"])] if os.environ.get("PIP_CACHE_DIR") else []
    roots.append(Path.home() / ".cache" / "pip")
    for root in roots:
        if not root.is_dir():
            continue
        for p in root.rglob("*"):
            try:
                if p.is_file() and p.stat().st_size == size and sha256_of(p) == sha256:
                    return p
            except OSError:
                continue
    return None


def locate_wheel(record: dict | None, given: str | None = None) -> Path | None:
    """The wheel, if it is on this machine: ``given``, ``$MLD_TORCH_WHEEL``, or pip's cache."""
    for cand in (given, os.environ.get(WHEEL_ENV)):
        if cand and Path(cand).is_file():
            return Path(cand)
    if record is not None:
        return find_in_pip_cache(record["wheel"]["size"], record["wheel"]["sha256"])
    return None


def fetch_wheel(record: dict, dest: Path) -> Path:
    """Download the recorded wheel from the package registry into ``dest`` (once: a file of the
    recorded size and sha256 there is reused) and check it is the recorded one."""
    name = record["wheel"]["filename"]
    path = dest / name
    if not (path.is_file() and path.stat().st_size == record["wheel"]["size"]):
        dest.mkdir(parents=True, exist_ok=True)
        version = name.split("-")[1]
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                        f"torch=={version}", "--platform", "manylinux_2_28_x86_64", "--only-binary=:all:",
                        "--python-version", "3.12", "-d", str(dest)], check=True, timeout=1800)
    got = sha256_of(path)
    if got != record["wheel"]["sha256"]:
        raise SystemExit(f"{path}: sha256 {got} is not the recorded {record['wheel']['sha256']}")
    return path


def extract(wheel: Path, strings: list[str]) -> dict:
    """The library's identity in the wheel and each string's offset in it (first occurrence)."""
    member = f"torch/{LIBRARY}"
    with zipfile.ZipFile(wheel) as z:
        info = z.getinfo(member)
        with tempfile.TemporaryDirectory(prefix="mld-torch-lib-") as tmp:
            lib = Path(tmp) / "lib.so"
            with z.open(member) as src, open(lib, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            with open(lib, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                found = {s: mm.find(s.encode("utf-8")) for s in strings}
    missing = [s for s, off in found.items() if off < 0]
    if missing:
        raise SystemExit(f"{wheel.name}: {member} does not contain {missing}")
    return {
        "library": {"member": member, "size": info.file_size, "crc32": f"{info.CRC:08x}"},
        "strings": [{"string": s, "offset": found[s]} for s in strings],
    }


def generate(wheel: Path, sglang_site: Path, registry: dict | None = None) -> dict:
    version = pinned_torch(sglang_site)
    if wheel.name != wheel_name(version) and not wheel.name.endswith(".body"):
        raise SystemExit(f"{wheel}: expected {wheel_name(version)} (SGLang 0.5.23 pins torch=={version})")
    digest, size = sha256_of(wheel), wheel.stat().st_size
    if registry is not None and (registry["sha256"], registry["size"]) != (digest, size):
        raise SystemExit(f"{wheel}: sha256/size {digest}/{size} differ from the registry's "
                         f"{registry['sha256']}/{registry['size']}")
    return {
        "_about": "Generated by tests/gen_torch_strings.py: triage strings found in torch's compiled CUDA library "
                  "inside the torch wheel SGLang 0.5.23 pins. Do not edit by hand.",
        "sglang": "0.5.23",
        "torch": version,
        "wheel": {"filename": wheel_name(version), "size": size, "sha256": digest,
                  "url": registry["url"] if registry else None},
        **extract(wheel, catalogue_strings()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", help=f"the torch wheel (default: ${WHEEL_ENV}, else pip's cache)")
    ap.add_argument("--sglang-site", help="site-packages holding sglang 0.5.23 (default: the parser venv)")
    ap.add_argument("--registry", action="store_true", help="check size/sha256 against PyPI (online)")
    ap.add_argument("--check", action="store_true", help="compare with the record instead of writing it")
    a = ap.parse_args(argv)
    site = Path(a.sglang_site) if a.sglang_site else next(
        (HERE.parent / ".cache" / "sglang-parsers" / "sglang-0.5.23" / "lib").glob("python3*/site-packages"))
    record = json.loads(RECORD.read_text()) if RECORD.exists() else None
    wheel = locate_wheel(record, a.wheel)
    if wheel is None:
        print("torch wheel not found (give --wheel or set MLD_TORCH_WHEEL)", file=sys.stderr)
        return 2
    reg = registry_entry(wheel_name(pinned_torch(site))) if a.registry else None
    new = generate(wheel, site, reg)
    if reg is None and record is not None:
        new["wheel"]["url"] = record["wheel"].get("url")  # kept from the last online run
    if a.check:
        same = new == record
        print("same as the record" if same else "DIFFERS from the record")
        return 0 if same else 1
    RECORD.write_text(json.dumps(new, indent=1) + "\n")
    print(f"wrote {RECORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
