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

from modal_llm_deploy.engine import dsa_padding
from modal_llm_deploy.engine import flags as sglang_flags
from modal_llm_deploy.engine import layout as engine_layout
from modal_llm_deploy.engine.bind import SERVE_BIND_HOST, describe_bind
from modal_llm_deploy.engine.known_bad import DSA_ARCHS
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


class AttentionPlan(_Data):
    """DSA models only: attention heads per rank and what the DSA kernels in use pad them to
    (engine/dsa_padding.py)."""

    heads: int  # model.num_attention_heads
    attn_tp: int  # ranks one attention layer is split over: tp / attn-dp-size
    heads_per_rank: int | None  # None: attn_tp does not divide the heads
    kernels: list[str]  # one line per phase: "prefill flashmla_sparse: 8 → 64 (8×, ...)"


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
    replicated_attention_counted: bool = True  # False: attention DP without model.attention_weights_gb (plan says so)
    rank_args: RankArgs | None  # None for one node
    attn_dp: int = 1  # --attn-dp-size: attention split over tp / attn_dp ranks, its weights held attn_dp times
    bind: str = ""  # SGLang's --host in the container and what it serves (engine/bind.py)
    tp_allreduce_crosses_nodes: bool = False  # the TP group spans nodes: every layer's all-reduce on the network
    layout: str = ""  # "PP 2 × TP 8", what crosses nodes
    attention: AttentionPlan | None = None  # DSA models with model.num_attention_heads set
    layout_warning: str | None = None  # a supported layout crosses nodes less or pads less (engine/layout.py)


def attn_dp_size(e: "EngineSpec") -> int:
    """``--attn-dp-size`` (any spelling SGLang's flag data knows for it), 1 when unset."""
    from modal_llm_deploy.profile.sections import _attn_dp_flag

    flag = _attn_dp_flag(e.sglang_version)
    if not flag:
        return 1
    names = sglang_flags.table(e.sglang_version).by_name[flag].names
    return e.int_flag(next((n for n in names if n in e.flags), flag), 1)


def weight_share_gb(model: "ModelSpec", tp: int, pp: int, attn_dp: int) -> float:
    """Weights per GPU. TP × PP shards every weight; attention DP splits attention over only
    tp / attn_dp ranks (sglang 0.5.23 srt/runtime_context.py), so the attention weights are held
    attn_dp times (the MoE and dense weights stay sharded over TP). Plain DP replicates the whole
    tp × pp group on other GPUs and changes nothing per GPU. The attention weights' size is a
    profile field (``model.attention_weights_gb``): without it the replication cannot be counted,
    and ``plan`` says so (``replicated_attention_counted``)."""
    share = model.expected_size_gb / (tp * pp)
    if attn_dp > 1 and model.attention_weights_gb is not None:
        a = model.attention_weights_gb
        share += a / ((tp // attn_dp) * pp) - a / (tp * pp)
    return share


def _attention(model: "ModelSpec", hw: "HardwareSpec", e: "EngineSpec", lay) -> AttentionPlan | None:
    """Heads per rank and the DSA kernels' padding, for DSA models with known head counts."""
    if e.architecture not in DSA_ARCHS or model.num_attention_heads is None:
        return None
    heads = model.num_attention_heads
    per_rank = engine_layout.heads_per_rank(lay, heads)
    sm_major = hw.gpu_type.sm // 10
    kernels = []
    for phase in ("prefill", "decode"):
        backend = e.flag(f"dsa-{phase}-backend")
        if isinstance(backend, str) and per_rank is not None:
            kernels.append(dsa_padding.describe(phase, backend, dsa_padding.padded_heads(backend, per_rank, sm_major)))
        elif per_rank is not None:
            kernels.append(f"{phase}: SGLang's default backend (set engine.flags.dsa-{phase}-backend to see its padding)")
    return AttentionPlan(heads=heads, attn_tp=lay.attn_tp, heads_per_rank=per_rank, kernels=kernels)


def derive(model: "ModelSpec", hw: "HardwareSpec", e: "EngineSpec") -> TopologyPlan:
    """The topology of a profile's sections (``Profile.topology`` calls this)."""
    g = hw.gpu_type
    pp, dp = e.int_flag("pp-size", 1), e.int_flag("dp-size", 1)
    attn_dp = attn_dp_size(e)
    mf_raw = e.flag("mem-fraction-static")
    mf = float(mf_raw) if isinstance(mf_raw, (int, float)) and not isinstance(mf_raw, bool) else DEFAULT_MEM_FRACTION
    share = weight_share_gb(model, e.tensor_parallel_size, pp, attn_dp)
    clustered = hw.nodes > 1
    lay = engine_layout.Layout(hw.nodes, hw.count, e.tensor_parallel_size, pp, attn_dp)
    attention = _attention(model, hw, e, lay)
    prefill = e.flag("dsa-prefill-backend")
    warn = engine_layout.warning(
        lay, heads=attention.heads if attention else None,
        prefill_backend=prefill if isinstance(prefill, str) and attention else None,
        sm_major=g.sm // 10, speculative=bool(e.flag("speculative-algorithm")),
    ) if clustered and dp == 1 else None
    return TopologyPlan(
        nodes=hw.nodes,
        gpus_per_node=hw.count,
        total_gpus=hw.count * hw.nodes,
        tp=e.tensor_parallel_size,
        pp=pp,
        dp=dp,
        ep=e.expert_parallel_size,
        cluster_size=hw.nodes if clustered else None,
        rdma=clustered,  # collectives between nodes (TP all-reduce or PP stage transfers): RDMA, not TCP
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
        attn_dp=attn_dp,
        replicated_attention_counted=attn_dp == 1 or model.attention_weights_gb is not None,
        bind=describe_bind(SERVE_BIND_HOST, ADDRESS_FAMILY if clustered else None),
        tp_allreduce_crosses_nodes=lay.tp_crosses_nodes,
        layout=f"{lay.name()}; across nodes: {lay.cross_node}" if clustered else lay.name(),
        attention=attention,
        layout_warning=warn,
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


def check_layout(e: "EngineSpec", hw: "HardwareSpec", t: TopologyPlan) -> None:
    """Plan-time refusals of layouts SGLang 0.5.23 refuses at start-up (engine/layout.py,
    engine/dsa_padding.py), one line each."""
    engine_layout.check_pp_rules(pp=t.pp, attn_dp=t.attn_dp, flags=e.flags, env=e.env)
    a = t.attention
    if a is None:
        return
    if a.heads_per_rank is None:
        raise ValueError(
            f"model.num_attention_heads={a.heads} is not divisible by the {a.attn_tp} ranks attention is split over "
            f"(engine.tensor_parallel_size / attn-dp-size): change the parallelism"
        )
    for phase in ("prefill", "decode"):
        backend = e.flag(f"dsa-{phase}-backend")
        p = dsa_padding.padded_heads(backend, a.heads_per_rank, hw.gpu_type.sm // 10) if isinstance(backend, str) else None
        if p is not None and p.padded_to is None:
            raise ValueError(
                f"engine.flags.dsa-{phase}-backend={backend}: {a.heads_per_rank} attention heads per rank cannot be "
                f"padded to its head block on {hw.gpu_type.name} ({dsa_padding.SOURCE}); use fewer ranks per "
                "attention layer (lower TP, pipeline stages or attention DP)"
            )


def describe_rows(t: TopologyPlan) -> list[tuple[str, str]]:
    """``plan`` rows beyond the topology line: layout, bind, attention heads and padding."""
    rows = []
    if t.nodes > 1:
        rows.append(("layout", f"{t.layout}; TP all-reduce {'CROSSES nodes' if t.tp_allreduce_crosses_nodes else 'inside a node'}"))
    rows.append(("bind", t.bind))
    if t.attention is not None:
        a = t.attention
        per = f"{a.heads_per_rank}" if a.heads_per_rank is not None else "not an integer"
        rows.append(("attention", f"{a.heads} heads / {a.attn_tp} ranks = {per} per rank; " + "; ".join(a.kernels)))
    return rows


def describe(t: TopologyPlan) -> str:
    """One line for ``plan``: nodes × GPUs, parallelism, per-GPU weight share, KV headroom."""
    mf = f"{t.mem_fraction_static}" + ("" if t.mem_fraction_from_profile else " (assumed)")
    return (
        f"{t.nodes} node(s) × {t.gpus_per_node} GPUs = {t.total_gpus}; TP {t.tp} / PP {t.pp} / DP {t.dp} "
        f"/ EP {t.ep}; weights {t.weight_share_gb_per_gpu:.1f} GB per GPU of {t.gpu_memory_gb} GB; "
        f"KV headroom {t.kv_headroom_gb_per_gpu:.1f} GB per GPU at mem-fraction-static {mf}"
        + (f"; Modal cluster size {t.cluster_size}, RDMA {'on' if t.rdma else 'off'}" if t.cluster_size else "")
        + ("" if t.replicated_attention_counted else
           f"; NOT counted: attention DP {t.attn_dp} holds the attention weights {t.attn_dp} times (set "
           "model.attention_weights_gb to count them)")
    )
