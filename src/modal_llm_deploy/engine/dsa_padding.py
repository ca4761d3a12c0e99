"""How SGLang 0.5.23's DSA attention kernels pad each rank's attention heads.

Read in ``srt/layers/attention/dsa_backend.py`` (inside the sglang package):

* ``flashmla_sparse`` (``_forward_flashmla_sparse``): the FlashMLA sparse kernel "requires
  num_heads to be a multiple of 64 (Hopper) or 128 (Blackwell)": ``required_padding = 128 if
  self.device_sm_major >= 10 else 64``; fewer heads are zero-padded up to it, and a head count
  that does not divide it is refused (``assert required_padding % num_heads == 0``, "TP size may
  be too large for this model").
* ``flashmla_sparse_q8`` (``_forward_flashmla_sparse_q8kv8``): "The SM90 kernel requires
  num_heads % 64 == 0; smaller head counts (high-TP splits) are zero-padded up to 64."
* ``flashmla_kv`` (``__init__``: ``flashmla_kv_num_q_heads``): up to 64 heads → 64, up to 128 →
  128, more stay as they are.
* ``fa3``: no head padding.

Other backends (``tilelang``, ``trtllm``, ...) are not modelled here: :func:`padded_heads`
returns None for them and the plan says "not modelled" rather than guess.

The padding matters in prefill only above ``SGLANG_DSA_PREFILL_DENSE_ATTN_KV_LEN_THRESHOLD``
(2048 KV tokens, ``srt/environ.py``): shorter prefills take the dense MHA path (dsa_backend.py,
"Short enough for MHA").
"""

from __future__ import annotations

from dataclasses import dataclass

# srt/environ.py SGLANG_DSA_PREFILL_DENSE_ATTN_KV_LEN_THRESHOLD default
DENSE_PREFILL_KV_THRESHOLD = 2048

SOURCE = "sglang 0.5.23 srt/layers/attention/dsa_backend.py"


@dataclass(frozen=True)
class Padding:
    backend: str
    heads: int  # attention heads per rank
    padded_to: int | None  # what the kernel computes; None = refused (heads do not divide it)

    @property
    def ratio(self) -> float | None:
        return None if self.padded_to is None else self.padded_to / self.heads


def _pad_to_multiple(heads: int, required: int) -> int | None:
    if heads % required == 0:
        return heads
    return required if required % heads == 0 else None


def padded_heads(backend: str, heads: int, sm_major: int) -> Padding | None:
    """The padding ``backend`` applies to ``heads`` per rank on an sm ``sm_major``.x GPU; None
    when the backend is not modelled."""
    if backend == "flashmla_sparse":
        return Padding(backend, heads, _pad_to_multiple(heads, 128 if sm_major >= 10 else 64))
    if backend == "flashmla_sparse_q8":
        return Padding(backend, heads, _pad_to_multiple(heads, 64))
    if backend == "flashmla_kv":
        return Padding(backend, heads, 64 if heads <= 64 else 128 if heads <= 128 else heads)
    if backend == "fa3":
        return Padding(backend, heads, heads)
    return None


def describe(phase: str, backend: str, p: Padding | None) -> str:
    """``prefill flashmla_sparse: 8 → 64 (8×, prefills over 2048 KV tokens)``."""
    if p is None:
        return f"{phase} {backend}: padding not modelled"
    if p.padded_to is None:
        return f"{phase} {backend}: {p.heads} heads per rank REFUSED (do not divide the kernel's head block)"
    if p.padded_to == p.heads:
        return f"{phase} {backend}: {p.heads} heads, no padding"
    when = f", prefills over {DENSE_PREFILL_KV_THRESHOLD} KV tokens" if phase == "prefill" else ""
    return f"{phase} {backend}: {p.heads} → {p.padded_to} ({p.ratio:g}×{when})"
