"""GPU facts the plan depends on: architecture, memory, how many fit in one Modal container, price.

The architecture decides which compiled kernels are valid (DeepGEMM kernels built for sm100
never run on sm90) and which SGLang backends exist (the TRT-LLM attention/MoE kernels are
Blackwell-only). Modal does *not* reject an unknown GPU string locally, so we do.

Prices: Modal's published 2026 list, per GPU-hour, before region (1.5–1.75×) or
non-preemptible (3×) multipliers. Used only for the plan's cost estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class GpuType:
    name: str  # Modal's name for it
    arch: str  # "sm100", "sm90", ...
    memory_gb: int
    max_per_container: int

    @property
    def sm(self) -> int:
        return int(self.arch.removeprefix("sm"))

    @property
    def blackwell(self) -> bool:
        return self.sm >= 100


# B300 (Blackwell Ultra) reports compute capability 10.3: its own key, so B200 kernels are never
# presented as valid on it (and the compile step's nvidia-smi check agrees with the table).
GPU_TYPES: dict[str, GpuType] = {
    g.name: g
    for g in (
        GpuType("B300", "sm103", 288, 8),
        GpuType("B200", "sm100", 180, 8),
        GpuType("H200", "sm90", 141, 8),
        GpuType("H100", "sm90", 80, 8),
        GpuType("A100-80GB", "sm80", 80, 8),
        GpuType("A100-40GB", "sm80", 40, 8),
        GpuType("L40S", "sm89", 48, 4),
        GpuType("L4", "sm89", 24, 8),
        GpuType("A10", "sm86", 24, 4),
        GpuType("T4", "sm75", 16, 8),
    )
}

# Prices are not here: they live in one data file with their source and date
# (data/prices.json, read by prices()); a GPU without a recorded price has none, never a guess.


@lru_cache(maxsize=1)
def prices() -> dict:
    """data/prices.json. Read on first use, not at import: containers import this module, and
    Modal's add_local_python_source mounts only .py files (they never price anything)."""
    return json.loads(resources.files("modal_llm_deploy").joinpath("data", "prices.json").read_text("utf-8"))


def gpu_usd_per_hour(name: str) -> float | None:
    """Modal's list price of one GPU of this type, or None when data/prices.json records none."""
    return prices()["gpu_usd_per_hour"].get(gpu_type(name).name)


def gpu_type(name: str) -> GpuType:
    """Look up a GPU by Modal name (case-insensitive; a trailing ``!`` = no auto-upgrade)."""
    key = name.rstrip("!").upper()
    for g in GPU_TYPES.values():
        if g.name.upper() == key:
            return g
    known = ", ".join(GPU_TYPES)
    raise ValueError(f"unknown GPU type {name!r}; known: {known}")
