"""What the pinned SGLang refuses about a checkpoint's shapes under a parallel layout, read from
its source and evaluated offline on the repo's ``config.json`` (issue 16, preflight).

Each rule names the SGLang 0.5.23 file and function it restates and, where SGLang raises with
a message, renders that message with the same words and numbers SGLang would print, so the
preflight row quotes SGLang's own reason before any GPU loads a weight
(``tests/test_checkpoint_rules.py`` finds every quoted template in the installed package).
Paths are inside the ``sglang`` package.

The widths (``srt/runtime_context.py``, ``derive_parallel_widths`` / ``derive_attn_tp_size``)::

    moe_tp_size  = tp_size // moe_ep_size // moe_dp_size
    attn_tp_size = tp_size // attn_dp_size // attn_cp_size

What is not modelled (said so in the result, never passed silently): MLA projection shapes
(``kv_lora_rank`` models: the fused/replicated projections have their own skip logic), shared
experts, AMD's aiter paths (CUDA only here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from modal_llm_deploy.engine.known_bad import DSA_ARCHS

# srt/layers/moe/fused_moe_triton/layer.py, FusedMoE.__init__: "flashinfer_trtllm pads
# intermediate_size to a multiple of 128 here" for these runners (is_flashinfer_trtllm() /
# is_flashinfer_trtllm_routed()), before the quant method's create_weights sees the size.
ROUND_UP_RUNNERS = {"flashinfer_trtllm": 128, "flashinfer_trtllm_routed": 128}

# srt/layers/attention/dsa_backend.py: _forward_flashmla_sparse pads the per-rank head count to
# `required_padding = 128 if self.device_sm_major >= 10 else 64` and asserts
# `required_padding % num_heads == 0`; _forward_flashmla_sparse_q8kv8 pads to 64 ("The SM90
# kernel requires num_heads % 64 == 0") and raises the same way.
HEAD_PADDING = {"flashmla_sparse": lambda sm: 128 if sm >= 100 else 64, "flashmla_sparse_q8": lambda sm: 64}

SRC_FP8 = "srt/layers/quantization/fp8.py"
SRC_MOE_EP = "srt/model_executor/model_runner_components/moe_ep_setup.py"
SRC_MOE_LAYER = "srt/layers/moe/fused_moe_triton/layer.py"
SRC_DSA = "srt/layers/attention/dsa_backend.py"


@dataclass(frozen=True)
class Layout:
    """The parallel layout a profile runs, in SGLang's terms."""

    tp: int
    moe_ep: int = 1
    moe_dp: int = 1
    attn_dp: int = 1
    attn_cp: int = 1
    sm: int = 90
    moe_runner: str = "auto"
    dsa_prefill: str | None = None
    dsa_decode: str | None = None
    shared_expert_tp1: bool = False  # SGLANG_SHARED_EXPERT_TP1 in the engine env

    @property
    def moe_tp(self) -> int:
        return max(1, self.tp // self.moe_ep // self.moe_dp)

    @property
    def attn_tp(self) -> int:
        return max(1, self.tp // self.attn_dp // self.attn_cp)


@dataclass(frozen=True)
class Finding:
    rule: str  # short name of the check
    ok: bool
    detail: str  # what was computed; for a failure, SGLang's own message
    source: str  # file (and function) in the pinned SGLang
    certain: bool = True  # False: depends on a choice SGLang makes at run time (said in detail)


def layout_of(flags: Mapping[str, Any], env: Mapping[str, str], tp: int, ep: int, sm: int) -> Layout:
    """The layout of a profile's engine section (flag names as SGLang 0.5.23 spells them)."""

    def num(name: str, default: int = 1) -> int:
        v = flags.get(name, default)
        return int(v) if isinstance(v, (int, str)) and not isinstance(v, bool) and str(v).isdigit() else default

    attn_dp = num("attn-dp-size")
    if flags.get("enable-dp-attention") is True:
        # deprecated switch: "--attn-dp-size <dp-size>" (srt/arg_groups/argparse_actions.py)
        attn_dp = num("dp-size")
    return Layout(
        tp=tp, moe_ep=ep, moe_dp=num("moe-dp-size"), attn_dp=attn_dp, attn_cp=num("attn-cp-size"), sm=sm,
        moe_runner=str(flags.get("moe-runner-backend", "auto")),
        dsa_prefill=flags.get("dsa-prefill-backend"), dsa_decode=flags.get("dsa-decode-backend"),
        shared_expert_tp1=str(env.get("SGLANG_SHARED_EXPERT_TP1", "")).lower() in ("1", "true", "yes"),
    )


def text_config(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """``hf_text_config``: the nested ``text_config`` of multimodal configs, else the config."""
    tc = config.get("text_config")
    return tc if isinstance(tc, Mapping) else config


def block_size(config: Mapping[str, Any]) -> tuple[int, int] | None:
    """``quantization_config.weight_block_size`` as (block_n, block_k), or None (not block-quantized)."""
    qc = config.get("quantization_config") or text_config(config).get("quantization_config")
    wbs = qc.get("weight_block_size") if isinstance(qc, Mapping) else None
    if isinstance(wbs, (list, tuple)) and len(wbs) == 2 and all(isinstance(x, int) and x > 0 for x in wbs):
        return int(wbs[0]), int(wbs[1])
    return None


def validate_block_quant_shapes(name: str, *, tp: int, input_size: int, input_per_partition: int,
                                output_size: int, output_partition_sizes: list[int], block: tuple[int, int]) -> Finding:
    """``Fp8LinearMethod.validate_block_quant_shapes`` (fp8.py): row-parallel input per rank
    divisible by block_k; each output partition divisible by block_n when column-parallel
    *or merged* (``len(output_partition_sizes) > 1`` is checked even at TP 1)."""
    block_n, block_k = block
    src = f"{SRC_FP8} Fp8LinearMethod.validate_block_quant_shapes"
    out_per_partition = sum(output_partition_sizes)
    if tp > 1 and input_per_partition and input_size // input_per_partition == tp and input_per_partition % block_k:
        return Finding(name, False, f"Weight input_size_per_partition = {input_per_partition} is not divisible by "
                                    f"weight quantization block_k = {block_k}.", src)
    if (tp > 1 and out_per_partition and output_size // out_per_partition == tp) or len(output_partition_sizes) > 1:
        for size in output_partition_sizes:
            if size % block_n:
                return Finding(name, False, f"Weight output_partition_size = {size} is not divisible by "
                                            f"weight quantization block_n = {block_n}.", src)
    shown = "+".join(str(s) for s in output_partition_sizes)
    return Finding(name, True, f"output {shown} per rank, input {input_per_partition} per rank: "
                               f"divisible by blocks {block_n}×{block_k} at TP {tp}", src)


def _moe_create_weights(moe_size: int, lay: Layout, block: tuple[int, int], round_to: int | None) -> str | None:
    """``Fp8MoEMethod.create_weights`` → ``create_fp8_moe_weight_`` (fp8.py) on the per-rank
    size after the runner's round-up; SGLang's message, or None when it passes."""
    block_n, block_k = block
    per_rank = moe_size // lay.moe_tp
    if round_to and per_rank % round_to:
        per_rank = -(-per_rank // round_to) * round_to  # round_up (layer.py)
    if per_rank % block_n:
        return (f"The output_size of gate's and up's weight = {per_rank} is not divisible by "
                f"weight quantization block_n = {block_n}.")
    if lay.moe_tp > 1 and per_rank % block_k:
        return (f"The input_size of down's weight = {per_rank} is not divisible by "
                f"weight quantization block_k = {block_k}.")
    return None


def moe_rules(config: Mapping[str, Any], lay: Layout, block: tuple[int, int]) -> list[Finding]:
    """Both MoE checks the issue names, with SGLang's messages.

    Long because each of the two checks has its run-time branches spelled out next to the
    source it restates (runner round-up known or chosen by SGLang; the env escape hatch)."""
    tc = text_config(config)
    moe_size = tc.get("moe_intermediate_size")
    if not isinstance(moe_size, int):
        return []
    out: list[Finding] = []
    src_cw = f"{SRC_FP8} create_fp8_moe_weight_ (+ {SRC_MOE_LAYER} round-up)"
    if moe_size % lay.moe_tp:
        out.append(Finding("MoE split", False, f"moe_intermediate_size {moe_size} must be divisible by moe_tp_size "
                           f"({lay.moe_tp}) which is tp_size ({lay.tp}) divided by moe_ep_size ({lay.moe_ep}).",
                           f"{SRC_MOE_EP} check_quantized_moe_compatibility"))
        return out
    known = lay.moe_runner != "auto"
    if known:
        msg = _moe_create_weights(moe_size, lay, block, ROUND_UP_RUNNERS.get(lay.moe_runner))
        out.append(Finding("MoE weights per rank", msg is None, msg or
                           f"{moe_size} / moe_tp {lay.moe_tp} = {moe_size // lay.moe_tp} per rank"
                           f"{' (rounded up by ' + lay.moe_runner + ')' if lay.moe_runner in ROUND_UP_RUNNERS else ''}"
                           f": divisible by block {block[0]}", src_cw))
    else:
        plain = _moe_create_weights(moe_size, lay, block, None)
        # flashinfer_trtllm runners are Blackwell-only (engine/known_bad.py BLACKWELL_ONLY): below
        # sm100 SGLang's own choice never rounds up.
        rounded = _moe_create_weights(moe_size, lay, block, 128) if lay.sm >= 100 else plain
        if plain and rounded:
            out.append(Finding("MoE weights per rank", False, plain, src_cw))
        elif plain:
            out.append(Finding("MoE weights per rank", False, f"{plain} (passes only if SGLang picks a flashinfer_trtllm "
                               "runner, which rounds to 128: set engine.flags.moe-runner-backend to know)",
                               src_cw, certain=False))
        else:
            out.append(Finding("MoE weights per rank", True, f"{moe_size // lay.moe_tp} per rank: divisible by block "
                               f"{block[0]} with any runner", src_cw))
    per = moe_size // lay.moe_tp
    src_q = f"{SRC_MOE_EP} check_quantized_moe_compatibility"
    if per % block[0] and not lay.shared_expert_tp1:
        out.append(Finding("quantized MoE split", False,
                           f"For quantized MoE models, please make sure (moe_intermediate_size={moe_size} / "
                           f"moe_tp_size={lay.moe_tp}) % weight_block_size_n={block[0]} == 0 where moe_tp_size is equal "
                           f"to tp_size ({lay.tp}) divided by ep_size ({lay.moe_ep}). You can fix this by setting "
                           "arguments `--tp` and `--ep` correctly.", src_q))
    else:
        out.append(Finding("quantized MoE split", True, f"({moe_size} / moe_tp {lay.moe_tp}) % {block[0]} == 0"
                           if not per % block[0] else "skipped: SGLANG_SHARED_EXPERT_TP1 is set", src_q))
    return out


def dense_rules(config: Mapping[str, Any], lay: Layout, block: tuple[int, int]) -> list[Finding]:
    """``validate_block_quant_shapes`` on the dense layers whose shapes the config fixes: GQA
    attention (merged QKV on the attention TP group, o_proj row-parallel) and dense MLPs
    (merged gate/up, down row-parallel). MLA projections are reported as not modelled."""
    tc = text_config(config)
    out: list[Finding] = []
    heads, hidden = tc.get("num_attention_heads"), tc.get("hidden_size")
    if isinstance(heads, int) and isinstance(hidden, int):
        if tc.get("kv_lora_rank"):
            out.append(Finding("attention projections", True, "MLA projections (kv_lora_rank): not modelled here, "
                               "SGLang checks them at load", f"{SRC_FP8} validate_block_quant_shapes", certain=False))
        elif heads % lay.attn_tp == 0:
            head_dim = tc.get("head_dim") or hidden // heads
            kv = tc.get("num_key_value_heads") or heads
            t = lay.attn_tp
            q, kvr = heads // t * head_dim, max(1, kv // t) * head_dim  # KV heads replicate when fewer than ranks
            out.append(validate_block_quant_shapes("attention qkv_proj", tp=t, input_size=hidden, input_per_partition=hidden,
                                                   output_size=(heads + 2 * kv) * head_dim,
                                                   output_partition_sizes=[q, kvr, kvr], block=block))
            out.append(validate_block_quant_shapes("attention o_proj", tp=t, input_size=heads * head_dim,
                                                   input_per_partition=q, output_size=hidden,
                                                   output_partition_sizes=[hidden], block=block))
    inter = tc.get("intermediate_size")
    moe = any(tc.get(k) for k in ("num_experts", "n_routed_experts", "num_local_experts"))
    has_dense = not moe or (tc.get("first_k_dense_replace") or 0) > 0 or bool(tc.get("mlp_only_layers"))
    if isinstance(inter, int) and isinstance(hidden, int) and has_dense and inter % lay.tp == 0:
        per = inter // lay.tp
        out.append(validate_block_quant_shapes("dense MLP gate_up_proj", tp=lay.tp, input_size=hidden,
                                               input_per_partition=hidden, output_size=2 * inter,
                                               output_partition_sizes=[per, per], block=block))
        out.append(validate_block_quant_shapes("dense MLP down_proj", tp=lay.tp, input_size=inter,
                                               input_per_partition=per, output_size=hidden,
                                               output_partition_sizes=[hidden], block=block))
    return out


def head_rules(config: Mapping[str, Any], architecture: str | None, lay: Layout) -> list[Finding]:
    """Attention heads per rank against the DSA kernels that pad only to fixed counts."""
    tc = text_config(config)
    heads = tc.get("num_attention_heads")
    if not isinstance(heads, int):
        return []
    out: list[Finding] = []
    if heads % lay.attn_tp:
        out.append(Finding("heads per rank", False, f"num_attention_heads {heads} is not divisible by the attention TP "
                           f"size {lay.attn_tp} (tp {lay.tp} / attn_dp {lay.attn_dp} / attn_cp {lay.attn_cp}); SGLang "
                           "cannot split the heads", "srt/runtime_context.py derive_attn_tp_size"))
        return out
    per = heads // lay.attn_tp
    dsa = (architecture in DSA_ARCHS) or "index_topk" in tc
    if not dsa:
        return out
    # SGLang's own default prefill backend for a bf16 cache is flashmla_sparse
    # (srt/arg_groups/overrides.py _dsa_split_backend_resolution).
    for role, backend in (("prefill", lay.dsa_prefill or "flashmla_sparse"), ("decode", lay.dsa_decode)):
        pad_of = HEAD_PADDING.get(str(backend))
        if pad_of is None:
            continue
        pad = pad_of(lay.sm)
        ok = per % pad == 0 or pad % per == 0
        if backend == "flashmla_sparse":
            msg = f"num_heads {per} cannot be padded to {pad}. TP size may be too large for this model."
        else:
            msg = f"num_heads={per} cannot be padded to {pad}; this TP size is incompatible with flashmla_sparse_q8."
        out.append(Finding(f"DSA {role} {backend} heads", ok, msg if not ok else
                           f"{heads} heads / attn_tp {lay.attn_tp} = {per} per rank, padded to {pad} on sm{lay.sm}",
                           f"{SRC_DSA} _forward_{'flashmla_sparse' if backend == 'flashmla_sparse' else 'flashmla_sparse_q8kv8'}"))
    return out


def evaluate(config: Mapping[str, Any], architecture: str | None, lay: Layout) -> list[Finding]:
    """Every rule that applies to this checkpoint under this layout."""
    out = head_rules(config, architecture, lay)
    block = block_size(config)
    if block is not None:
        out += dense_rules(config, lay, block)
        out += moe_rules(config, lay, block)
    return out
