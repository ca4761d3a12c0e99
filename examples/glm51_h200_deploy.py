"""GLM-5.1-FP8 on 8×H200 (Hopper backends). Same weights volume as the B200 profile; its
DeepGEMM kernels live under their own sm90 key in the cache volume.

    modal run examples/glm51_h200_deploy.py && modal deploy examples/glm51_h200_deploy.py

Overrides without editing this file: MODAL_LLM_DEPLOY_SET='k=v …' (the `--set` items) or
MODAL_LLM_DEPLOY_FILE=overrides.toml, read by `build_app` (see examples/glm51_deploy.py).
"""

from modal_llm_deploy import build_app, setup_functions

app = build_app("glm51_fp8_h200")

# Module-level names, so `modal run examples/glm51_h200_deploy.py::download_model` (and ::compile_deepgemm,
# ::verify_setup) finds each step on its own; `modal run <script>` runs `setup`: all three.
setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)
