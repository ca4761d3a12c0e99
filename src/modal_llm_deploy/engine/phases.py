"""Cold-start phases, recognised from the log lines SGLang 0.5.23 and this library print.

A cold start of an 8-GPU server takes ~14 minutes (the startup estimate); knowing *where* they go decides the fix
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

from pydantic import BaseModel, ConfigDict


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

# Lines that only a running scheduler prints: once a batch is logged, decoding has begun, so an
# error after it happened while serving even if the boot lines above it were cut off or came
# from the server's own warmup (srt/managers/scheduler_components/metrics_reporter.py:
# f"Prefill batch{iter_msg}, #new-seq: …", f"Decode batch{iter_msg}, #running-req: …"). Triage
# uses them; the cold-start clock does not (the warmup's batches would move its "serving" mark).
BATCH_MARKERS: tuple[Marker, ...] = (
    Marker("serving", "Prefill batch", "sglang", "srt/managers/scheduler_components/metrics_reporter.py"),
    Marker("serving", "Decode batch", "sglang", "srt/managers/scheduler_components/metrics_reporter.py"),
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


def batch_phase(line: str) -> str | None:
    """``"serving"`` if ``line`` is one of the scheduler's batch lines (``BATCH_MARKERS``)."""
    for m in BATCH_MARKERS:
        if m.needle in line:
            return m.phase
    return None


# --- per-container cold-start timing -------------------------------------------------------------


PHASES_LINE = "cold-start phases:"  # the prefix of the one structured line (triage/log search key)
PHASE_ORDER = ("volume_check", "kernel_cache_restore", "weights", "graph_capture", "ready", "warmup")

# What to do when a phase runs over its budget.
PHASE_ADVICE = {
    "volume_check": "reading the weights' completion marker and the recorded pin is slow: the server does not "
                    "reload (volumes are mounted fresh at start), so this is Modal's volume metadata; keep the "
                    "volumes under ~50k files and never write to them from the server",
    "kernel_cache_restore": "the kernel key directory is copied to local disk at start: check its size "
                            "(verify) and remove stale keys from the cache volume",
    "weights": "weights stream from the volume slower than planned: give the container more memory/CPU "
               "(hardware.memory_mib, hardware.cpu) or raise the loader's threads with engine.flags."
               "model-loader-extra-config='{\"enable_multithread_load\": true, \"num_threads\": 16}'",
    "graph_capture": "CUDA graphs are captured for every batch size up to the max: capture fewer with "
                     "engine.flags.cuda-graph-max-bs-decode",
    "ready": "SGLang took long between graph capture and serving: read the log lines in between "
             "({logs_triage_cli})",
    "warmup": "a slow first request usually means DeepGEMM kernels were JIT-compiled: run the compile step once",
}


# Reading the weights' completion marker and the recorded pin, and copying the kernel cache to
# local disk: a minute and two minutes, before SGLang starts.
VOLUME_CHECK_S = 60
KERNEL_CACHE_RESTORE_S = 120


def cold_start_budgets(weight_load_estimate_s: int, fixed_s: int, jit_s: int = 0) -> dict[str, int]:
    """One container's cold start, phase by phase (seconds), in ``PHASE_ORDER``: THE cold-start
    estimate. Its sum is ``Profile.startup_estimate_s`` (what the plan shows, ``cost`` prices
    and docs quote) and each part is the budget that phase is checked against at run time.
    Weights: the profile's load estimate (size ÷ volume read rate); the fixed start-up is split
    60/20/20 between graph capture, ready and warmup; a cold DeepGEMM JIT (``jit_s``, only
    when allowed) happens in the warmup."""
    return {
        "volume_check": VOLUME_CHECK_S,
        "kernel_cache_restore": KERNEL_CACHE_RESTORE_S,
        "weights": weight_load_estimate_s,
        "graph_capture": fixed_s * 6 // 10,
        "ready": fixed_s * 2 // 10,
        "warmup": fixed_s - fixed_s * 6 // 10 - fixed_s * 2 // 10 + jit_s,
    }


class ColdStartPlan(BaseModel):
    """The plan's cold-start budget per phase (seconds), from ``cold_start_budgets``: the same
    figures as the startup estimate, so ``total_s == startup_estimate_s``."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use (import cost)

    budgets_s: dict[str, int]
    total_s: int  # the sum; Modal's startup_timeout must cover it

    @classmethod
    def for_profile(cls, weight_load_estimate_s: int, fixed_s: int, jit_s: int = 0) -> "ColdStartPlan":
        b = cold_start_budgets(weight_load_estimate_s, fixed_s, jit_s)
        return cls(budgets_s=b, total_s=sum(b.values()))
