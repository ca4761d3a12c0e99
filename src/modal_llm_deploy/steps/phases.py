"""Cold-start phases, recognised from the log lines SGLang 0.5.23 and this library print.

A cold start of an 8-GPU server takes ~10 minutes; knowing *where* they go decides the fix
(weights from the volume → more CPU/memory or fewer shards; graph capture → fewer batch sizes;
warmup → DeepGEMM JIT, i.e. the kernel cache is missing). Each marker is a literal substring of
one of SGLang's own messages; ``tests/test_triage.py`` proves every one still occurs in the
pinned source file named next to it, so a release that rewords a message is caught.

Pure: no Modal, no SGLang import. ``triage`` uses the same markers to say *when* an error
happened (an out-of-memory error while loading weights needs a different fix than one while
capturing CUDA graphs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marker:
    phase: str  # the phase that *begins* at this line
    needle: str  # literal substring of the log line, and of the source file below
    package: str  # "sglang" or "modal_llm_deploy"
    file: str  # path inside the package


# In boot order. The f-strings these come from:
#   srt/model_executor/model_runner.py            f"Load weight begin. avail mem=..."
#   srt/model_executor/model_runner.py            f"Load weight end. elapsed=..."
#   srt/model_executor/model_runner_components/cuda_graph_setup.py
#                                                 f"Capture {name} CUDA graph begin. " (prefill),
#                                                 f"Capture {name} {backend} begin. " (decode,
#                                                 backend = "CUDA graph" on cuda) → "...graph begin."
#   srt/entrypoints/http_server.py                "The server is fired up and ready to roll!"
#   steps/serve.py (ours)                         f"SGLang warmup request done in {el:.2f} s"
MARKERS: tuple[Marker, ...] = (
    Marker("load", "Load weight begin.", "sglang", "srt/model_executor/model_runner.py"),
    Marker("after_load", "Load weight end.", "sglang", "srt/model_executor/model_runner.py"),
    Marker("graph", "CUDA graph begin.", "sglang", "srt/model_executor/model_runner_components/cuda_graph_setup.py"),
    Marker("after_graph", "CUDA graph end.", "sglang", "srt/model_executor/model_runner_components/cuda_graph_setup.py"),
    Marker("serving", "The server is fired up and ready to roll!", "sglang", "srt/entrypoints/http_server.py"),
    Marker("warm", "SGLang warmup request done in", "modal_llm_deploy", "steps/serve.py"),
)

# Human names for the phases a finding can be in.
PHASE_NAMES = {
    None: "before weights load",
    "load": "while loading weights",
    "after_load": "after weights loaded (KV cache / memory pool)",
    "graph": "while capturing CUDA graphs",
    "after_graph": "after CUDA graph capture",
    "serving": "while serving",
    "warm": "while serving",
}


def phase_change(line: str) -> str | None:
    """The phase that begins at ``line``, or None if the line is no phase marker."""
    for m in MARKERS:
        if m.needle in line:
            return m.phase
    return None
