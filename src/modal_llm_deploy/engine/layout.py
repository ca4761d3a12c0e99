"""Multi-node layouts SGLang 0.5.23 offers a DSA model (``GlmMoeDsaForCausalLM``-class), what
each one sends across nodes and how much its attention kernels pad, and the rules it enforces.

Read in the sglang package:

* **TP across nodes** (``--tp-size 16`` on 2 × 8): every layer's TP all-reduce crosses the network,
  and SGLang turns FlashInfer's all-reduce fusion on by itself only when ``nnodes == 1`` or on
  sm100 (``srt/arg_groups/overrides.py`` ``_flashinfer_allreduce_fusion_auto_enable``). Each rank
  holds ``heads / tp`` attention heads.
* **Attention DP** (``--attn-dp-size``): attention runs on ``tp / attn_dp`` ranks
  (``srt/runtime_context.py``), so each attention weight is held ``attn_dp`` times; the MoE/dense
  layers stay TP (or EP) over all ranks, so hidden states are still gathered/scattered across
  nodes every layer. Plain ``--dp-size`` across nodes is refused ("multi-node data-parallel
  replicas are not supported; use attention DP", ``srt/arg_groups/validation_hook.py``
  ``check_server_args``).
* **Pipeline parallelism** (``--pp-size`` = nodes, TP = GPUs per node): TP all-reduces stay inside
  a node; only the activations at a stage boundary cross, once per forward micro-batch. The model
  class supports it (``srt/models/deepseek_v2.py``: ``make_pp_layers``, ``PPMissingLayer``).
  Rules (``validation_hook.py`` ``check_pipeline_parallel_compat``): the overlap schedule goes off
  (``overrides.py`` ``_pipeline_parallel_overlap_disable``); speculative decoding only EAGLE
  (not multi-layer), and only with ``SGLANG_ENABLE_PP_SPEC=1`` — "Experimental"
  (``srt/environ.py``) and "not compatible with attention DP", ``--disaggregation-mode`` or
  ``--speculative-adaptive`` — or on a prefill-disaggregated node.
* **EP** (``--ep-size``) shards the experts instead of TP-splitting them; with the default
  all-to-all it still exchanges tokens across nodes every MoE layer. It does not change the
  attention heads per rank.

Ranking, as issue 14 asks: what crosses nodes first (per layer is worse than per forward), then
the attention padding of the DSA prefill kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

from modal_llm_deploy.engine import dsa_padding

SOURCE_PP = "sglang 0.5.23 srt/arg_groups/validation_hook.py check_pipeline_parallel_compat"
PP_SPEC_ENV = "SGLANG_ENABLE_PP_SPEC"


@dataclass(frozen=True)
class Layout:
    nodes: int
    gpus_per_node: int
    tp: int
    pp: int
    attn_dp: int

    @property
    def attn_tp(self) -> int:
        """Ranks one attention layer is split over (srt/runtime_context.py: tp / attn_dp / attn_cp)."""
        return self.tp // self.attn_dp

    @property
    def tp_crosses_nodes(self) -> bool:
        """The TP group (its all-reduce, and with attention DP the gather/scatter around the MoE)
        spans more than one node."""
        return self.tp > self.gpus_per_node

    @property
    def cross_node(self) -> str:
        """What crosses nodes: 'none', 'per forward' (PP stage boundary) or 'per layer'."""
        if self.nodes == 1:
            return "none"
        return "per layer" if self.tp_crosses_nodes else "per forward"

    def name(self) -> str:
        parts = [f"TP {self.tp}"]
        if self.pp > 1:
            parts.insert(0, f"PP {self.pp}")
        if self.attn_dp > 1:
            parts.append(f"attention DP {self.attn_dp}")
        return " × ".join(parts)


_CROSS_RANK = {"none": 0, "per forward": 1, "per layer": 2}


def heads_per_rank(layout: Layout, heads: int) -> int | None:
    return heads // layout.attn_tp if heads % layout.attn_tp == 0 else None


def _score(layout: Layout, heads: int | None, prefill_backend: str | None, sm_major: int) -> tuple[int, float]:
    pad = 1.0
    if heads is not None and prefill_backend is not None:
        h = heads_per_rank(layout, heads)
        p = dsa_padding.padded_heads(prefill_backend, h, sm_major) if h else None
        if p is not None and p.ratio is not None:
            pad = p.ratio
    return _CROSS_RANK[layout.cross_node], pad


def better_alternative(layout: Layout, *, heads: int | None, prefill_backend: str | None,
                       sm_major: int) -> Layout | None:
    """A layout SGLang 0.5.23 supports on the same GPUs that crosses nodes less, or as much but
    pads the DSA prefill kernel less; None when ``layout`` is already the best of them."""
    if layout.nodes == 1:
        return None
    pp = Layout(layout.nodes, layout.gpus_per_node, layout.gpus_per_node, layout.nodes, 1)
    mine = _score(layout, heads, prefill_backend, sm_major)
    theirs = _score(pp, heads, prefill_backend, sm_major)
    return pp if theirs < mine else None


def warning(layout: Layout, *, heads: int | None, prefill_backend: str | None, sm_major: int,
            speculative: bool) -> str | None:
    """One line for ``plan`` when a supported alternative crosses nodes less or pads less."""
    alt = better_alternative(layout, heads=heads, prefill_backend=prefill_backend, sm_major=sm_major)
    if alt is None:
        return None
    pad = ""
    if heads is not None and prefill_backend is not None:
        mine, theirs = heads_per_rank(layout, heads), heads_per_rank(alt, heads)
        pm = dsa_padding.padded_heads(prefill_backend, mine, sm_major) if mine else None
        pt = dsa_padding.padded_heads(prefill_backend, theirs, sm_major) if theirs else None
        if pm is not None and pt is not None and pm.padded_to and pt.padded_to:
            pad = (f"; {prefill_backend} prefill pads {mine} heads per rank to {pm.padded_to} here, "
                   f"{theirs} to {pt.padded_to} there")
    spec = f"; with EAGLE also engine.env.{PP_SPEC_ENV}=1, experimental" if speculative else ""
    return (
        f"slow layout: {layout.name()} on {layout.nodes} nodes sends collectives across nodes "
        f"{layout.cross_node}; {alt.name()} (engine.tensor_parallel_size={alt.tp}, "
        f"engine.flags.pp-size={alt.pp}{spec}) keeps the TP all-reduce inside a node and crosses once "
        f"per forward{pad} [source: {SOURCE_PP}; {dsa_padding.SOURCE}]"
    )


def check_pp_rules(*, pp: int, attn_dp: int, flags: dict, env: dict) -> None:
    """Plan-time refusal of what SGLang 0.5.23 refuses at start-up for PP (one line each)."""
    if pp <= 1:
        return
    spec = flags.get("speculative-algorithm")
    if not spec:
        return
    if str(spec).upper() != "EAGLE" or flags.get("enable-multi-layer-eagle"):
        raise ValueError(
            f"engine.flags.pp-size={pp} with speculative-algorithm={spec}: SGLang 0.5.23 supports only "
            f"EAGLE (non-multi-layer) with pipeline parallelism [{SOURCE_PP}]"
        )
    if flags.get("disaggregation-mode") == "prefill":  # PP + MTP on a prefill node: allowed
        return
    # srt/environ.py EnvBool.parse: "true", "1", "yes", "y" (any case)
    if str(env.get(PP_SPEC_ENV, "")).lower() not in ("true", "1", "yes", "y"):
        raise ValueError(
            f"engine.flags.pp-size={pp} with EAGLE: SGLang 0.5.23 refuses this at start-up unless "
            f"engine.env.{PP_SPEC_ENV}=1 (experimental) [{SOURCE_PP}]"
        )
    if attn_dp > 1:
        raise ValueError(
            f"engine.env.{PP_SPEC_ENV}=1 with attn-dp-size={attn_dp}: SGLang 0.5.23 says it is not compatible with "
            f"attention DP; drop one [{SOURCE_PP}]"
        )
    for f in ("speculative-adaptive", "disaggregation-mode"):
        if flags.get(f) not in (None, False, "null"):
            raise ValueError(f"engine.env.{PP_SPEC_ENV}=1 with engine.flags.{f}: SGLang 0.5.23 says it is not "
                             f"compatible; drop one [{SOURCE_PP}]")
