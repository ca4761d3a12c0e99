"""The downloaded checkpoint's ``config.json`` against what the profile states about it.

``model.num_attention_heads`` is a stated profile value (it cannot be read offline before the
download); ``plan`` derives the attention heads per rank and the DSA kernels' padding from it
(profile/topology.py). Once the weights are on the volume, the verify step reads the real value
and says whether it confirms the profile's."""

from __future__ import annotations

import json
from pathlib import Path


def attention_heads_line(weights_dir: Path, stated: int | None) -> str | None:
    """One line for the verify step's output; None when the profile states nothing."""
    if stated is None:
        return None
    cfg = Path(weights_dir) / "config.json"
    try:
        data = json.loads(cfg.read_text())
    except (OSError, ValueError) as e:
        return f"WARNING: cannot read {cfg} ({type(e).__name__}): model.num_attention_heads={stated} is unconfirmed"
    # multimodal configs nest the language model's under text_config
    got = data.get("num_attention_heads", (data.get("text_config") or {}).get("num_attention_heads"))
    if got is None:
        return f"WARNING: {cfg} has no num_attention_heads: model.num_attention_heads={stated} is unconfirmed"
    if got != stated:
        return (f"WARNING: model.num_attention_heads={stated} but {cfg} says {got}: the plan's heads per rank "
                f"and attention padding are wrong; --set model.num_attention_heads={got}")
    return f"model config: num_attention_heads={got} in {cfg.name} confirms the profile"
