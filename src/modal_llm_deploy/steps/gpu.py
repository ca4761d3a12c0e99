"""Which NVIDIA GPU is this process looking at?

Compiled DeepGEMM kernels are per GPU architecture (sm100 for B200/B300, sm90 for H100/H200),
so the compile step asks the driver, not the profile, what it is about to build for. The probe
runs the real ``nvidia-smi`` (tests put a fake one on ``PATH``), so there is one code path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from modal_llm_deploy.base.errors import StepError

QUERY = ["--query-gpu=name,compute_cap", "--format=csv,noheader"]


@dataclass(frozen=True)
class GpuInfo:
    name: str  # e.g. "NVIDIA B200"
    arch: str  # e.g. "sm100"
    compute_cap: str  # e.g. "10.0"
    count: int  # GPUs visible to this process


def compute_cap_to_arch(cap: str) -> str:
    """``"10.0"`` → ``"sm100"``, ``"9.0"`` → ``"sm90"``, ``"8.9"`` → ``"sm89"``."""
    cap = cap.strip()
    major, _, minor = cap.partition(".")
    if not major.isdigit() or (minor and not minor.isdigit()):
        raise ValueError(f"unrecognised compute capability {cap!r}")
    return f"sm{int(major)}{int(minor or 0)}"


def probe_gpu(nvidia_smi: str = "nvidia-smi", *, timeout_s: float = 30.0) -> GpuInfo:
    """Ask ``nvidia-smi`` for the visible GPUs. Raises StepError("no NVIDIA GPU visible: …")
    when there is no driver tool, it fails, or it lists no GPU; and when the visible GPUs
    are of different architectures (one kernel cache cannot serve both)."""
    exe = shutil.which(nvidia_smi, path=os.environ.get("PATH"))
    if exe is None:
        raise StepError(f"no NVIDIA GPU visible ({nvidia_smi} not found on PATH)")
    try:
        proc = subprocess.run(
            [exe, *QUERY], capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise StepError(f"no NVIDIA GPU visible ({nvidia_smi} did not answer in {timeout_s:.0f} s)")
    except OSError as e:
        raise StepError(f"no NVIDIA GPU visible ({nvidia_smi} could not run: {e.strerror})")
    if proc.returncode != 0:
        why = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        detail = why[0][:200] if why else "no output"
        raise StepError(f"no NVIDIA GPU visible ({nvidia_smi} exit {proc.returncode}: {detail})")
    gpus: list[tuple[str, str, str]] = []
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        name, sep, cap = line.rpartition(",")
        if not sep:
            raise StepError(f"cannot parse {nvidia_smi} output line {line.strip()!r}")
        try:
            arch = compute_cap_to_arch(cap)
        except ValueError:
            # Drivers older than 510 have no compute_cap field and print an error line.
            raise StepError(
                f"cannot read the GPU's compute capability from {nvidia_smi} "
                f"({line.strip()[:120]!r}); the driver may be too old"
            )
        gpus.append((name.strip(), arch, cap.strip()))
    if not gpus:
        raise StepError(f"no NVIDIA GPU visible ({nvidia_smi} lists none)")
    archs = sorted({a for _, a, _ in gpus})
    if len(archs) > 1:
        names = ", ".join(sorted({f"{n} ({a})" for n, a, _ in gpus}))
        raise StepError(f"GPUs of different architectures are visible: {names}")
    name, arch, cap = gpus[0]
    return GpuInfo(name=name, arch=arch, compute_cap=cap, count=len(gpus))
