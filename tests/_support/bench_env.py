"""SGLang 0.5.23's own serving benchmark really imports and runs on a CPU: in the one harness
env (tests/_support/sglang_env.py), whose package list this explains.

Why torch 2.14.1 + torchvision (not the CPU torch a parser alone could use):
``python -m sglang.benchmark.serving`` (sglang/benchmark/serving.py, 0.5.23) imports at module level

- ``transformers`` (AutoTokenizer) and ``aiohttp``/``msgspec``/``orjson``/``requests``/``tqdm``;
- ``sglang.benchmark.datasets`` whose ``__init__`` imports every dataset, among them
  ``datasets/mmmu.py`` → ``from datasets import load_dataset`` (the HF ``datasets`` package);
- ``sglang.srt.disaggregation.utils`` (for ``FAKE_BOOTSTRAP_HOST``) → ``import torch`` and
  ``sglang.srt.configs.model_config`` → ``sglang/srt/configs/__init__.py`` →
  ``nano_nemotron_vl.py`` → ``sglang/srt/multimodal/internvl_utils.py`` →
  ``import torchvision.transforms`` — unconditionally, whatever the backend or dataset.

So torchvision is truly needed, and its C extension must match torch: PyPI's torchvision
0.28.0 wheel next to a CPU torch 2.13.0 fails at import (``torchvision/_C.so`` links
libtorch_cuda.so/libc10_cuda.so, absent from a +cpu torch, and
``torchvision/_meta_registrations.py`` then raises "operator torchvision::nms does not exist").
The CPU builds live only on download.pytorch.org, not PyPI. What does work from PyPI is the
pair SGLang 0.5.23 itself pins — ``torch==2.14.1`` (sglang's METADATA Requires-Dist) with its
matching ``torchvision==0.29.1``: CUDA builds that import fine without a GPU. The same torch
serves the parser checks, so the harness needs one SGLang env, not two.

Nothing here patches SGLang or stubs a module: if any import fails the env build raises with
pip's / python's last lines.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from _support.sglang_env import sglang_python


def bench_env_python(version: str) -> Path:
    """The harness env's interpreter, proven to import SGLang's serving benchmark."""
    return sglang_python(version, "bench")


# A tiny word-level tokenizer written with the `tokenizers` library that transformers itself
# uses, saved the way a model repo ships one (tokenizer.json + tokenizer_config.json), so the
# benchmark's ``AutoTokenizer.from_pretrained(<weights dir>)`` (sglang/benchmark/utils.py:
# get_tokenizer) reads it from disk exactly as it reads GLM-5.1's from the weights volume.
_MAKE_TOKENIZER = r'''
import sys
from tokenizers import Tokenizer, models, pre_tokenizers, decoders
from transformers import PreTrainedTokenizerFast
words = ["<unk>", "<s>", "</s>"] + [f"w{i}" for i in range(500)]
tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tok.decoder = decoders.WordPiece(prefix="##")  # joins word tokens with spaces
fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
fast.save_pretrained(sys.argv[1])
'''


def make_tokenizer(python: Path, weights_dir: Path) -> Path:
    weights_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-c", _MAKE_TOKENIZER, str(weights_dir)], check=True, capture_output=True,
                   text=True, cwd=str(weights_dir))
    return weights_dir
