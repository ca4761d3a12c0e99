"""Topology: how a profile's GPUs are spread over nodes, pure derivations and plan-time checks.

One Modal container is one node (modal 1.6.4 ``_partial_function.py`` ``_clustered``: "Each
container must request all GPUs on its host"). ``hardware.nodes`` > 1 makes the server (and the
kernel compile run) a Modal cluster of that many containers, and SGLang one engine across them
(``--nnodes``, ``--node-rank``, ``--dist-init-addr``; sglang 0.5.23 ``srt/server_args.py``,
``srt/entrypoints/engine.py`` ``_calculate_rank_ranges``).

Everything derived lives in the plan (:class:`TopologyPlan`); the per-rank arguments that are
only known inside a container (its rank, rank 0's address) are data (:class:`RankArgs`), filled
by ``steps/cluster.py`` from ``modal.Cluster.from_context()``.

No Modal import here. It lives with the profile because the profile's validation uses it
(memory fit, cluster multiples); the plan carries the derived :class:`TopologyPlan`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from modal_llm_deploy.engine.ranks import ADDRESS_FAMILY, DIST_INIT_PORT, RankArgs

if TYPE_CHECKING:
    from modal_llm_deploy.profile.sections import (
        EngineSpec,
        HardwareSpec,
        ModelSpec,
        ServingSpec,
    )

# SGLang sizes its static pool (weights + KV cache) as mem_fraction_static × GPU memory. When a
# profile does not set it SGLang picks one by GPU size at run time; we then check with 0.9, the
# upper end of the GLM recipes' 0.85–0.9, so a profile we pass is never one SGLang refuses for
# lack of weight space — the check can only be too lenient there, so set the flag to be exact.
DEFAULT_MEM_FRACTION = 0.9

# Our policy, not SGLang's: the KV cache (what is left of the static pool after the weights)
# must be at least this share of a GPU's memory. Below it SGLang may start, but holds so few
# tokens that a 200k-context model serves a handful of short requests — refuse at plan time.
MIN_KV_HEADROOM_FRACTION = 0.10


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use (import cost)


class TopologyPlan(_Data):
    nodes: int
    gpus_per_node: int
    total_gpus: int
    tp: int
    pp: int
    dp: int
    ep: int
    cluster_size: int | None  # modal.clustered(size=...) of the server and compile units; None = 1 node
    rdma: bool  # modal.clustered(rdma=...): NCCL between nodes over RDMA
    weights_gb: float
    weight_share_gb_per_gpu: float  # weights / (tp × pp): what each GPU holds
    gpu_memory_gb: int
    mem_fraction_static: float  # the profile's flag, or DEFAULT_MEM_FRACTION when unset
    mem_fraction_from_profile: bool
    kv_headroom_gb_per_gpu: float  # mem_fraction × GPU memory − weight share
    rank_args: RankArgs | None  # None for one node


def derive(model: "ModelSpec", hw: "HardwareSpec", e: "EngineSpec") -> TopologyPlan:
    """The topology of a profile's sections (``Profile.topology`` calls this)."""
    g = hw.gpu_type
    pp, dp = e.int_flag("pp-size", 1), e.int_flag("dp-size", 1)
    mf_raw = e.flag("mem-fraction-static")
    mf = float(mf_raw) if isinstance(mf_raw, (int, float)) and not isinstance(mf_raw, bool) else DEFAULT_MEM_FRACTION
    # Weights are sharded over the TP × PP group (plain DP replicates the group; DP attention
    # splits attention only, the MoE weights stay sharded over TP).
    share = model.expected_size_gb / (e.tensor_parallel_size * pp)
    clustered = hw.nodes > 1
    return TopologyPlan(
        nodes=hw.nodes,
        gpus_per_node=hw.count,
        total_gpus=hw.count * hw.nodes,
        tp=e.tensor_parallel_size,
        pp=pp,
        dp=dp,
        ep=e.expert_parallel_size,
        cluster_size=hw.nodes if clustered else None,
        rdma=clustered,  # tensor-parallel all-reduces cross nodes on every layer: RDMA, not TCP
        weights_gb=model.expected_size_gb,
        weight_share_gb_per_gpu=round(share, 2),
        gpu_memory_gb=g.memory_gb,
        mem_fraction_static=mf,
        mem_fraction_from_profile=mf_raw is not None,
        kv_headroom_gb_per_gpu=round(mf * g.memory_gb - share, 2),
        rank_args=RankArgs(
            template=["--node-rank", "{rank}", "--dist-init-addr", "{rank0_addr}"],
            dist_init_port=DIST_INIT_PORT,
            address_family=ADDRESS_FAMILY,
        ) if clustered else None,
    )


def check(hw: "HardwareSpec", s: "ServingSpec", t: TopologyPlan) -> None:
    """Plan-time refusals, one line each, naming the field to change."""
    g = hw.gpu_type
    if hw.nodes > 1:
        # modal 1.6.4 _partial_function.py _clustered: "Each container must request all GPUs on
        # its host (for example, gpu="H100:8")".
        if hw.count != g.max_per_container:
            raise ValueError(
                f"hardware.count={hw.count} with hardware.nodes={hw.nodes}: a Modal cluster container "
                f"must request all GPUs of its host, set hardware.count={g.max_per_container} for {g.name}"
            )
        # modal 1.6.4 _functions.py _Function._from_local: "`{field}` ({value}) must be a multiple
        # of `cluster_size` ({cluster_size}) for clustered Functions" — refused here already.
        for field in ("min_containers", "max_containers", "buffer_containers"):
            v = getattr(s, field)
            if v % hw.nodes:
                raise ValueError(
                    f"serving.{field}={v} must be a multiple of hardware.nodes={hw.nodes}: Modal counts "
                    f"containers, and one replica of this server is {hw.nodes} containers"
                )
        # The keep-warm cron sets min_containers to a window's value (schedules.apply_schedule):
        # the same rule, refused here rather than by Modal from inside the cron at run time.
        for i, w in enumerate(s.warm_windows):
            if w.min_containers % hw.nodes:
                raise ValueError(
                    f"serving.warm_windows[{i}].min_containers={w.min_containers} must be a multiple of "
                    f"hardware.nodes={hw.nodes}: Modal counts containers, and one replica of this server is "
                    f"{hw.nodes} containers"
                )
    if t.kv_headroom_gb_per_gpu < MIN_KV_HEADROOM_FRACTION * t.gpu_memory_gb:
        fits = "does not fit" if t.kv_headroom_gb_per_gpu < 0 else "leaves too little KV cache"
        raise ValueError(
            f"memory: {t.weights_gb:.0f} GB of weights over tp {t.tp} × pp {t.pp} is "
            f"{t.weight_share_gb_per_gpu:.1f} GB per GPU; mem-fraction-static {t.mem_fraction_static} × "
            f"{t.gpu_memory_gb} GB {g.name} leaves {t.kv_headroom_gb_per_gpu:.1f} GB for the KV cache, "
            f"under the {MIN_KV_HEADROOM_FRACTION:.0%} minimum ({fits}): add GPUs (hardware.nodes) or "
            "use a larger GPU"
        )


def describe(t: TopologyPlan) -> str:
    """One line for ``plan``: nodes × GPUs, parallelism, per-GPU weight share, KV headroom."""
    mf = f"{t.mem_fraction_static}" + ("" if t.mem_fraction_from_profile else " (assumed)")
    return (
        f"{t.nodes} node(s) × {t.gpus_per_node} GPUs = {t.total_gpus}; TP {t.tp} / PP {t.pp} / DP {t.dp} "
        f"/ EP {t.ep}; weights {t.weight_share_gb_per_gpu:.1f} GB per GPU of {t.gpu_memory_gb} GB; "
        f"KV headroom {t.kv_headroom_gb_per_gpu:.1f} GB per GPU at mem-fraction-static {mf}"
        + (f"; Modal cluster size {t.cluster_size}, RDMA {'on' if t.rdma else 'off'}" if t.cluster_size else "")
    )
