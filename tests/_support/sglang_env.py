"""ONE private SGLang environment for every test that runs SGLang's own code on a CPU.

It serves, from one interpreter:

- the **parser checks** (``sglang.srt.server_args`` and ``compile_deep_gemm``'s CompileArgs:
  engine/check.py, engine/flags.py, the ``sglang_parser`` fixture in tests/conftest.py);
- the **stand-in engine** (tests/standin/lib/openai_standin.py: SGLang's OpenAI protocol
  models, tool-call detectors and reasoning parser, which import ``openai``,
  ``partial_json_parser``, ``regex`` and ``transformers``);
- the **serving benchmark** (``python -m sglang.benchmark.serving``: why torch 2.14.1 with
  torchvision 0.29.1 and ``datasets``, see tests/_support/bench_env.py);
- **SGLang's eval harness** (``python -m sglang.test.run_eval``: ``sglang/test/simple_eval_common.py``
  imports ``httpx`` and the ``openai`` client, at the version SGLang pins).

Before issue 19 these were two venvs holding the same SGLang 0.5.23 (parser 2.3 GB with a CPU
torch, benchmark 6.3 GB) plus a 0.3 GB ``pip --target`` overlay for the stand-in. The parser
needs no torch build of its own: the benchmark's torch 2.14.1 (SGLang's own pin) imports fine
without a GPU, so one venv does it all.

Built once under ``.cache/sglang-env/<version>-<key>`` and reused by key: the key is a hash of
the SGLang version and the package list below, so a change to either builds a new one (the old
one can be deleted). Every use is proven by a probe (``PROBES``) before the env counts as
complete: nothing is patched or stubbed; if an import fails the build fails with its last lines.

``MLD_SGLANG_PYTHON`` points the tests at an existing interpreter instead (built by hand or
elsewhere); each capability a test needs is probed there first, and a missing one fails with
the probe's error and how to fix it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from pathlib import Path

from modal_llm_deploy.engine.check import ParserEnvError, sglang_env_python

REPO = Path(__file__).resolve().parents[2]
ENV_VAR = "MLD_SGLANG_PYTHON"

# What the four uses import, beyond ``sglang==<version> --no-deps``. Pins: SGLang 0.5.23's own
# (sglang-0.5.23.dist-info/METADATA Requires-Dist; tests/test_sglang_env.py compares them with
# the installed metadata) where it has one; torchvision 0.29.1 is the release built for torch 2.14.
PACKAGES = [
    # benchmark: sglang/benchmark/serving.py's import chain (tests/_support/bench_env.py)
    "torch==2.14.1", "torchvision==0.29.1", "transformers==5.19.0", "datasets",
    "numpy", "aiohttp", "msgspec", "orjson", "requests", "tqdm", "psutil", "pyzmq", "pybase64",
    "pillow", "packaging", "pydantic", "starlette", "ipython",
    "apache-tvm-ffi==0.1.11", "sentencepiece==0.2.1", "compressed-tensors==0.18.0", "gguf",
    # stand-in engine: SGLang's OpenAI layer (protocol.py, function_call/*, parser/reasoning_parser.py)
    "openai==2.8.0", "partial-json-parser", "regex",
    # SGLang's eval harness: sglang/test/simple_eval_common.py
    "httpx",
]

# One probe per use; each must run in the env (cwd = the env dir, so no local ./sglang is seen).
PROBES: dict[str, str] = {
    "parser": "import argparse; from sglang.srt.server_args import ServerArgs; "
              "p = argparse.ArgumentParser(); ServerArgs.add_cli_args(p); p.parse_args(['--model-path', 'x'])",
    "standin": "import sglang.srt.entrypoints.openai.protocol, sglang.srt.function_call.glm47_moe_detector, "
               "sglang.srt.parser.reasoning_parser",
    "bench": "import sglang.benchmark.serving",
    "eval": "import sglang.test.run_eval, sglang.test.simple_eval_common, httpx, openai",
}


def env_key(version: str, packages: list[str] = PACKAGES) -> str:
    return hashlib.sha256(json.dumps([version, sorted(packages)]).encode()).hexdigest()[:12]


def env_dir(version: str, root: Path | None = None) -> Path:
    return Path(root or REPO / ".cache") / "sglang-env" / f"{version}-{env_key(version)}"


def _probe(python: Path, use: str) -> str | None:
    r = subprocess.run([str(python), "-c", PROBES[use]], capture_output=True, text=True, cwd=str(Path(python).parent),
                       env={k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))})
    return None if r.returncode == 0 else " | ".join(r.stderr.strip().splitlines()[-2:])


def build(version: str, root: Path | None = None) -> Path:
    """The env's interpreter, built on first use (several minutes: ~6 GB from pip's cache)."""
    return sglang_env_python(version, env_dir(version, root), PACKAGES, what="test harness env",
                             probe="; ".join(PROBES.values()))


@functools.cache
def sglang_python(version: str, *uses: str) -> Path:
    """The interpreter with SGLang ``version`` for ``uses`` (keys of PROBES; all by default):
    ``MLD_SGLANG_PYTHON`` if set (probed for each use), else the harness env."""
    given = os.environ.get(ENV_VAR)
    if not given:
        return build(version)
    python = Path(given)
    for use in uses or tuple(PROBES):
        err = _probe(python, use)
        if err:
            raise ParserEnvError(f"{ENV_VAR}={given} cannot serve the {use} tests: {err}; point it at an env "
                                 f"with the packages of tests/_support/sglang_env.py PACKAGES, or unset it to "
                                 "build that env under .cache/")
    return python
