"""Known-bad combinations: (SGLang version, GPU architecture, model family, flags) that fail at
start-up or silently lose accuracy/speed, each with its public source and the alternative.

Why a table: the parser accepts all of these (they are valid flags with valid values); SGLang
only finds out on the GPU, after a ~14-minute cold start (~$12), or never (an FP8 KV
cache on GLM-5.1 serves, just worse). So profile validation refuses a matching profile with one
line that says what to use instead.

Matching, all offline:

* **SGLang version**: ``[since, until)`` on ``engine.sglang_version`` (``None`` = open). Every
  entry below was read in the 0.5.23 source; widen the range only after reading another one.
* **GPU architecture**: the SM number of ``hardware.gpu`` (90 = H100/H200, 100 = B200).
* **Model family**: the HF architecture SGLang dispatches on (``config.json``
  ``architectures[0]``, e.g. ``GlmMoeDsaForCausalLM``). A profile states it in
  ``engine.architecture``; when it does not, ``model.repo_id`` is matched against the entry's
  repo globs (``zai-org/GLM-5*``), so bundled and third-party profiles of a known model are
  covered without a download. ``None`` = any model.
* **Flags**: a predicate over ``engine.flags`` and the SM number.

To add an entry: a public source (SGLang issue number or source file + function) is required.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

Flags = Mapping[str, Any]

# SGLang's sparse-attention (DSA) models, the ones `is_deepseek_dsa` routes through
# srt/layers/attention/dsa_backend.py (0.5.23: srt/arg_groups/model_overrides/deepseek_v2.py).
DSA_ARCHS = ("GlmMoeDsaForCausalLM", "DeepseekV32ForCausalLM")
DSA_REPOS = ("zai-org/GLM-5*", "deepseek-ai/DeepSeek-V3.2*")
GLM5_ARCHS = ("GlmMoeDsaForCausalLM",)
GLM5_REPOS = ("zai-org/GLM-5*",)

# (flag, values) whose kernels exist only on Blackwell (sm100+), read in sglang 0.5.23:
# - trtllm_mla: srt/arg_groups/overrides.py `_mla_kv_cache_dtype_checks` raises "TRTLLM MLA
#   backend is only supported on Blackwell GPUs" (only for --attention-backend and
#   --decode-attention-backend; trtllm_mha runs on sm90 too, attention_hook.py).
# - DSA trtllm: srt/arg_groups/overrides.py `_check_dsa_backend_constraints` ("flashmla_kv on
#   Hopper, trtllm on Blackwell") and `_dsa_split_backend_resolution` pick trtllm only for
#   major >= 10; the TRT-LLM sparse MLA kernels are trtllm-gen (Blackwell) kernels.
# - flashinfer_trtllm(_routed) MoE: SGLang selects it only on sm100
#   (srt/arg_groups/overrides.py `_deepseek_moe_quant_resolution`, model_overrides/*: "on sm100").
# Not here any more: --enable-flashinfer-allreduce-fusion (deprecated in 0.5.23, and SGLang
# enables the fusion itself on sm90 *and* sm100: srt/arg_groups/overrides.py
# `_flashinfer_allreduce_fusion_auto_enable`); trtllm_mha; flashinfer_cutedsl (its check in
# moe_hook.py is about NVFP4 quantization, not the GPU).
BLACKWELL_ONLY: dict[str, set[object]] = {
    "attention-backend": {"trtllm_mla"},
    "decode-attention-backend": {"trtllm_mla"},
    "dsa-prefill-backend": {"trtllm"},
    "dsa-decode-backend": {"trtllm"},
    "moe-runner-backend": {"flashinfer_trtllm", "flashinfer_trtllm_routed"},
}


def dsa_kv_dtype(flags: Flags, sm: int) -> str:
    """The KV-cache dtype SGLang 0.5.23 ends up with for a DSA model: "auto" becomes fp8_e4m3
    on sm >= 100 and bfloat16 below (srt/arg_groups/overrides.py `_dsa_kv_cache_dtype_default`;
    models with learnable attention sinks always get bfloat16)."""
    v = str(flags.get("kv-cache-dtype", "auto"))
    if v == "auto":
        return "fp8_e4m3" if sm >= 100 else "bfloat16"
    return "bfloat16" if v == "bf16" else v


def _blackwell_only(flags: Flags, sm: int) -> str | None:
    if sm >= 100:
        return None
    for flag, bad in BLACKWELL_ONLY.items():
        v = flags.get(flag)
        if v is not None and not isinstance(v, list) and v in bad:
            return f"engine.flags.{flag}={v!r}"
    return None


@dataclass(frozen=True)
class KnownBad:
    id: str
    effect: str  # "fails at start-up" | "loses accuracy" | "slow"
    match: Callable[[Flags, int], str | None]
    """Returns the offending setting (for the message) or None."""
    source: str
    instead: str
    families: tuple[str, ...] | None = None
    repo_globs: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None


KNOWN_BAD: tuple[KnownBad, ...] = (
    KnownBad(
        id="glm5-fp8-kv-cache",
        effect="loses accuracy (about 19 points on AIME for GLM-5.1)",
        # An unset/auto dtype is fp8_e4m3 on Blackwell (srt/arg_groups/overrides.py `_dsa_kv_cache_dtype_default`).
        match=lambda f, sm: (
            f"engine.flags.kv-cache-dtype={f.get('kv-cache-dtype', 'auto')!r} (an FP8 KV cache on sm{sm})"
            if dsa_kv_dtype(f, sm).startswith("fp8") else None
        ),
        source="sglang issue 22671: the FP8 checkpoint has no calibrated KV scales",
        instead="set engine.flags.kv-cache-dtype=bf16",
        families=GLM5_ARCHS,
        repo_globs=GLM5_REPOS,
    ),
    KnownBad(
        id="dsa-flashmla-kv-with-bf16-kv",
        effect="slow, and serves through an FP8-quantized copy of the cache",
        match=lambda f, sm: (
            "engine.flags.dsa-decode-backend='flashmla_kv' with a bfloat16 KV cache"
            if f.get("dsa-decode-backend") == "flashmla_kv" and dsa_kv_dtype(f, sm) == "bfloat16" else None
        ),
        source=("sglang srt/layers/attention/dsa_backend.py (flashmla_kv decode: \"inefficiently "
                "quantize the whole cache\" on every call unless the cache is fp8_e4m3)"),
        instead="dsa-decode-backend fa3 on sm90 or trtllm on sm100 (SGLang's own bf16 choice, "
                "srt/arg_groups/overrides.py _dsa_split_backend_resolution), or tilelang",
        families=DSA_ARCHS,
        repo_globs=DSA_REPOS,
    ),
    KnownBad(
        id="dsa-flashmla-sparse-q8-decode",
        effect="fails at start-up",
        match=lambda f, sm: (
            "engine.flags.dsa-decode-backend='flashmla_sparse_q8'"
            if f.get("dsa-decode-backend") == "flashmla_sparse_q8" else None
        ),
        source="sglang srt/layers/attention/dsa_backend.py _validate_flashmla_sparse_q8_backend "
               "(a prefill-only backend)",
        instead="flashmla_kv for an fp8_e4m3 cache; fa3 or tilelang for bfloat16",
        families=DSA_ARCHS,
        repo_globs=DSA_REPOS,
    ),
    KnownBad(
        id="dsa-flashmla-sparse-q8-prefill-not-sm90",
        effect="fails at start-up",
        match=lambda f, sm: (
            f"engine.flags.dsa-prefill-backend='flashmla_sparse_q8' on sm{sm}"
            if f.get("dsa-prefill-backend") == "flashmla_sparse_q8" and sm // 10 != 9 else None
        ),
        source="sglang srt/layers/attention/dsa_backend.py _validate_flashmla_sparse_q8_backend "
               "(\"is SM90-only\")",
        instead="dsa-prefill-backend flashmla_sparse",
        families=DSA_ARCHS,
        repo_globs=DSA_REPOS,
    ),
    KnownBad(
        id="dsa-triton-on-cuda",
        effect="fails at start-up",
        match=lambda f, sm: next(
            (f"engine.flags.{k}='triton'" for k in ("dsa-prefill-backend", "dsa-decode-backend")
             if f.get(k) == "triton"), None),
        source="sglang srt/arg_groups/overrides.py _check_dsa_backend_constraints (ROCm/HIP only)",
        instead="flashmla_sparse prefill; fa3 (sm90) or trtllm (sm100) decode",
        families=DSA_ARCHS,
        repo_globs=DSA_REPOS,
    ),
    KnownBad(
        id="blackwell-only-kernels-on-older-gpu",
        effect="fails at start-up: Blackwell-only kernels (sm100+)",
        match=_blackwell_only,
        source="sglang srt/arg_groups/overrides.py (_mla_kv_cache_dtype_checks, "
               "_dsa_split_backend_resolution, _deepseek_moe_quant_resolution); table BLACKWELL_ONLY "
               "in modal_llm_deploy/known_bad.py",
        instead="remove it (SGLang picks the Hopper backend itself) or use B200",
    ),
)


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v))


def _in_range(version: str, since: str | None, until: str | None) -> bool:
    v = _version(version)
    return (since is None or v >= _version(since)) and (until is None or v < _version(until))


def family_matches(entry: KnownBad, architecture: str | None, repo_id: str) -> bool:
    if entry.families is None:
        return True
    if architecture is not None:
        return architecture in entry.families
    return any(fnmatch.fnmatchcase(repo_id, g) for g in entry.repo_globs)


def find(
    *, sglang_version: str, sm: int, architecture: str | None, repo_id: str, flags: Flags
) -> tuple[KnownBad, str] | None:
    """The first entry matching this deployment, with the offending setting."""
    for e in KNOWN_BAD:
        if not _in_range(sglang_version, e.since, e.until):
            continue
        if not family_matches(e, architecture, repo_id):
            continue
        what = e.match(flags, sm)
        if what is not None:
            return e, what
    return None


def check(*, sglang_version: str, sm: int, gpu: str, architecture: str | None, repo_id: str,
          flags: Flags) -> None:
    """Raise ValueError with one line if the deployment matches a known-bad combination."""
    hit = find(sglang_version=sglang_version, sm=sm, architecture=architecture, repo_id=repo_id,
               flags=flags)
    if hit is None:
        return
    e, what = hit
    model = architecture or repo_id
    raise ValueError(
        f"{what}: known-bad with SGLang {sglang_version} on {gpu} (sm{sm}) for {model}: {e.effect} "
        f"[{e.id}; source: {e.source}]; instead: {e.instead}"
    )


# Engine flags whose value can change answers without failing anything: what a failed accuracy
# gate (operate/evalgate.py) names as suspects, by flag prefix. Each is a knob the sources above
# show moving accuracy: the KV-cache dtype (sglang issue 22671), attention/DSA backends (sglang
# issue 27661: a B200 backend pair lowered GLM-5.1's GPQA 85.6 → 82.8), speculative decoding
# and quantization (they change the numerics of every token).
ACCURACY_KNOBS: dict[str, str] = {
    "kv-cache-dtype": "KV cache dtype",
    "attention-backend": "attention backend",
    "prefill-attention-backend": "attention backend",
    "decode-attention-backend": "attention backend",
    "dsa-prefill-backend": "DSA attention backend",
    "dsa-decode-backend": "DSA attention backend",
    "speculative-": "speculative decoding",
    "quantization": "quantization",
    "moe-runner-backend": "MoE kernel backend",
}


def accuracy_knob(flag: str) -> str | None:
    """What kind of accuracy-relevant knob ``flag`` is, or None."""
    for prefix, what in ACCURACY_KNOBS.items():
        if flag == prefix or (prefix.endswith("-") and flag.startswith(prefix)):
            return what
    return None


def accuracy_losses(architecture: str | None, repo_id: str) -> list[KnownBad]:
    """The table's entries that lose accuracy for this model family (profile validation already
    refuses a profile that matches one; a failed gate lists them as what was ruled out)."""
    return [e for e in KNOWN_BAD if "accuracy" in e.effect and family_matches(e, architecture, repo_id)]
