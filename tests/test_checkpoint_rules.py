"""engine/checkpoint_rules.py: the pinned SGLang's checkpoint-shape refusals, offline (issue 16).

The Qwen3-235B-A22B-FP8 values are public: 64 query / 4 KV heads, 128 experts, 94 layers (the
model card, e.g. github.com/akash-network/awesome-akash Qwen3-235B-A22B-FP8/README.md); hidden
4096, dense FFN 12288, MoE FFN 1536, head dim ("kv-channels") 128 (github.com/zyzshishui/slime
scripts/models/qwen3-235B-A22B.sh); FP8 blocks of 128 (issue 16, from public copies of its config).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from modal_llm_deploy.engine import checkpoint_rules as cr

QWEN3_235B_FP8 = {
    "architectures": ["Qwen3MoeForCausalLM"],
    "hidden_size": 4096, "intermediate_size": 12288, "moe_intermediate_size": 1536,
    "num_attention_heads": 64, "num_key_value_heads": 4, "head_dim": 128,
    "num_experts": 128, "num_experts_per_tok": 8, "num_hidden_layers": 94, "mlp_only_layers": [],
    "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]},
}

CREATE = "The output_size of gate's and up's weight = 192 is not divisible by weight quantization block_n = 128."
QUANT = ("For quantized MoE models, please make sure (moe_intermediate_size=1536 / moe_tp_size=8) % "
         "weight_block_size_n=128 == 0 where moe_tp_size is equal to tp_size (8) divided by ep_size (1). "
         "You can fix this by setting arguments `--tp` and `--ep` correctly.")


def failures(lay: cr.Layout, config=QWEN3_235B_FP8, arch="Qwen3MoeForCausalLM") -> dict[str, cr.Finding]:
    return {f.rule: f for f in cr.evaluate(config, arch, lay) if not f.ok}


def test_qwen3_235b_fp8_tp8_refused_on_hopper_by_both_moe_checks():
    bad = failures(cr.Layout(tp=8, sm=90))  # Hopper: SGLang's runner never rounds up
    assert bad["MoE weights per rank"].detail == CREATE and bad["MoE weights per rank"].certain
    assert bad["quantized MoE split"].detail == QUANT
    assert "fp8.py" in bad["MoE weights per rank"].source
    assert "moe_ep_setup.py check_quantized_moe_compatibility" in bad["quantized MoE split"].source


def test_qwen3_235b_fp8_tp8_on_blackwell_trtllm_rounds_up_but_is_still_refused():
    bad = failures(cr.Layout(tp=8, sm=100, moe_runner="flashinfer_trtllm"))
    # 192 → 256 per rank passes create_weights; check_quantized_moe_compatibility ignores the round-up
    assert "MoE weights per rank" not in bad
    assert list(bad) == ["quantized MoE split"] and bad["quantized MoE split"].detail == QUANT
    # runner left to SGLang on sm100: create_weights depends on its choice (said so), the other refuses
    auto = failures(cr.Layout(tp=8, sm=100))
    assert not auto["MoE weights per rank"].certain and auto["quantized MoE split"].certain


@pytest.mark.parametrize("ep", [2, 4, 8])
def test_an_expert_parallel_split_that_divides_passes(ep):
    for sm in (90, 100):
        assert failures(cr.Layout(tp=8, moe_ep=ep, sm=sm)) == {}


def test_dense_rules_check_merged_layers_even_at_tp1_and_row_inputs():
    cfg = {"hidden_size": 4096, "intermediate_size": 4000, "num_attention_heads": 32,
           "quantization_config": {"weight_block_size": [128, 128]}}
    bad = failures(cr.Layout(tp=1), cfg, None)
    # merged gate/up of 4000 each: not a multiple of 128, refused even at TP 1
    assert bad["dense MLP gate_up_proj"].detail == ("Weight output_partition_size = 4000 is not divisible by weight "
                                                    "quantization block_n = 128.")
    bad = failures(cr.Layout(tp=2), {**cfg, "intermediate_size": 4160}, None)  # 2080 per rank, row input
    assert bad["dense MLP down_proj"].detail == ("Weight input_size_per_partition = 2080 is not divisible by weight "
                                                 "quantization block_k = 128.")
    assert not failures(cr.Layout(tp=2), {**cfg, "intermediate_size": 4352}, None)  # 2176 = 17 × 128


def test_dsa_heads_per_rank_against_flashmla_sparse_padding():
    glm_like = {"num_attention_heads": 64, "index_topk": 2048}
    ok = cr.evaluate(glm_like, "GlmMoeDsaForCausalLM", cr.Layout(tp=8, sm=100, dsa_prefill="flashmla_sparse"))
    assert [f.ok for f in ok] == [True] and "padded to 128" in ok[0].detail
    # 96 heads over TP 1 on sm90: 96 per rank is neither a multiple nor a divisor of 64
    bad = failures(cr.Layout(tp=1, sm=90), {"num_attention_heads": 96, "index_topk": 2048}, "GlmMoeDsaForCausalLM")
    assert bad["DSA prefill flashmla_sparse heads"].detail == ("num_heads 96 cannot be padded to 64. TP size may be "
                                                               "too large for this model.")
    q8 = failures(cr.Layout(tp=1, sm=90, dsa_prefill="flashmla_sparse_q8"), {"num_attention_heads": 96,
                                                                             "index_topk": 1}, None)
    assert "this TP size is incompatible with flashmla_sparse_q8" in q8["DSA prefill flashmla_sparse_q8 heads"].detail
    # attention DP keeps all heads on a rank: attn_tp = tp / attn_dp
    assert cr.Layout(tp=8, attn_dp=8).attn_tp == 1 and cr.Layout(tp=16, moe_ep=2, moe_dp=2).moe_tp == 4


def _sglang_root(sglang_parser) -> Path:
    py = sglang_parser("0.5.23")
    out = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('sglang').origin)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return Path(out).parent


def test_every_quoted_message_and_cited_file_is_in_the_pinned_sglang(sglang_parser):
    """The rules quote SGLang's words: each template's fixed parts must be in the cited file."""
    root = _sglang_root(sglang_parser)
    quotes = {
        cr.SRC_FP8: ["The output_size of gate's and up's weight = ",
                     "The input_size of down's weight = ", "Weight output_partition_size = ",
                     "Weight input_size_per_partition = ", "weight quantization block_n = ",
                     "weight quantization block_k = "],
        cr.SRC_MOE_EP: ["For quantized MoE models, please make sure ({moe_intermediate_size=} / {moe_tp_size=}) % "
                        "{weight_block_size_n=} == 0", "You can fix this by setting arguments `--tp` and `--ep` correctly.",
                        "must be divisible by moe_tp_size", "tp_size // moe_ep_size // moe_dp_size"],
        cr.SRC_MOE_LAYER: ["self.intermediate_size_per_partition % 128 != 0", "round_up("],
        cr.SRC_DSA: ["cannot be padded to {required_padding}. ", "TP size may be too large for this model.",
                     "required_padding = 128 if self.device_sm_major >= 10 else 64",
                     "this TP size is incompatible with flashmla_sparse_q8."],
        "srt/runtime_context.py": ["return tp_size // attn_dp_size // attn_cp_size",
                                   '"moe_tp_size": tp_size // moe_ep_size // moe_dp_size'],
    }
    for rel, needles in quotes.items():
        text = (root / rel).read_text()
        for n in needles:
            assert n in text, f"{n!r} not in sglang/{rel}"
