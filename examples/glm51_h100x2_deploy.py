"""GLM-5.1-FP8 on 2 nodes × 8×H100: a Modal cluster of two containers, SGLang PP 2 × TP 8 (a
pipeline stage per container, tensor parallelism inside it; docs/multinode.md says why).
Same weights volume as the other GLM-5.1 profiles; its DeepGEMM kernels live under their own
sm90 multi-node key (compiled by a 2-node cluster: compile_deep_gemm needs the same topology).

    modal run examples/glm51_h100x2_deploy.py && modal deploy examples/glm51_h100x2_deploy.py

Unverified without a real Modal cluster: see docs/multinode.md.
"""

from modal_llm_deploy import build_app, setup_functions

app = build_app("glm51_fp8_h100x2")

# Module-level names, so `modal run examples/glm51_h100x2_deploy.py::download_model` (and
# ::compile_deepgemm, ::verify_setup) finds each step on its own; `modal run <script>` runs `setup`.
setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)
