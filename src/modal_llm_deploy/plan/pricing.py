"""The plan's own cost figures (``plan.cost``): one container, one replica, the idle floor, the
ceiling and the one-time steps, priced from ``data/prices.json``. What a month of traffic costs
is ``plan/cost.py`` (the ``cost`` command), which deploys never import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modal_llm_deploy.base.hardware import gpu_usd_per_hour, prices
from modal_llm_deploy.plan.models import CostPlan

if TYPE_CHECKING:
    from modal_llm_deploy.profile.model import Profile
    from modal_llm_deploy.profile.topology import TopologyPlan


def per_container_usd(p: "Profile") -> float:
    """One server container per hour: GPUs + requested CPU cores, times the region multiplier
    (data/prices.json; a GPU without a recorded price counts 0 and the plan's cost note says so)."""
    mult = 1.5 if p.serving.compute_region else 1.0
    cpu_usd = (p.hardware.cpu or 0) * prices()["cpu_core_usd_per_hour"]
    return round(((gpu_usd_per_hour(p.hardware.gpu) or 0.0) * p.hardware.count + cpu_usd) * mult, 2)


def cost_plan(p: "Profile", topo: "TopologyPlan", load_s: int) -> CostPlan:
    """The plan's cost figures: per container and replica, idle floor, ceiling, one-time steps."""
    s = p.serving
    gpu_usd = gpu_usd_per_hour(p.hardware.gpu)
    mult = 1.5 if s.compute_region else 1.0
    per_container = per_container_usd(p)
    compile_hours = (load_s + 1800) / 3600
    # ~300 MB/s sustained from the hub into a volume (750 GB in ~40 minutes).
    download_hours = p.model.expected_size_gb / 0.3 / 3600
    return CostPlan(
        gpu=p.hardware.modal_gpu,
        gpu_usd_per_hour=gpu_usd or 0.0,
        server_usd_per_hour=per_container,
        idle_usd_per_hour=round(per_container * s.min_containers, 2),
        max_usd_per_hour=round(per_container * s.max_containers, 2),
        cluster_usd_per_hour=round(per_container * topo.nodes, 2),
        # a multi-node compile runs on the whole cluster
        compile_once_usd=round(per_container * topo.nodes * compile_hours, 2) if p.kernel_cache.deepgemm else 0.0,
        download_once_usd=round(p.download.cpu * prices()["cpu_core_usd_per_hour"] * download_hours * mult, 2),
        region_multiplier=mult,
        note=("Modal list prices 2026: GPUs and requested CPU cores, memory not included; "
              "non-preemptible would be 3×." if gpu_usd is not None else
              f"NO PRICE recorded for {p.hardware.gpu_type.name} in data/prices.json: GPU time is counted as $0 "
              "here; add its price with its source to get real figures."),
    )
