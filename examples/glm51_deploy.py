"""GLM-5.1-FP8 on 8×B200 with SGLang, on Modal.

    modal run examples/glm51_deploy.py            # download → compile kernels → verify
    modal deploy examples/glm51_deploy.py         # the OpenAI-compatible server

Everything (model, flags, volumes, autoscaling) comes from the `glm51_fp8` profile; see
`modal-llm-deploy plan glm51_fp8`. To change a value without editing this file, set
MODAL_LLM_DEPLOY_SET (the `--set` items, space-separated) or MODAL_LLM_DEPLOY_FILE (a TOML
file, like `--file`); `build_app` reads both:

    MODAL_LLM_DEPLOY_SET='serving.max_containers=5 serving.min_containers=1' modal deploy examples/glm51_deploy.py

Use the same value for `modal run` and `modal deploy`: each builds the app from it. Or, in
code: `build_app("glm51_fp8", {"serving.max_containers": 5})`.

Modal imports this script on every `modal run` and `modal deploy`. Given a profile's name,
`build_app` validates the profile once and reuses the stored plan while nothing it depends on
changes (the library, the plugin, the installed packages, the overrides): see
modal_llm_deploy/plan_cache.py; MODAL_LLM_DEPLOY_PLAN_CACHE=off turns that off.
"""

from modal_llm_deploy import build_app, setup_functions

app = build_app("glm51_fp8")

# Module-level names, so `modal run examples/glm51_deploy.py::download_model` (and ::compile_deepgemm,
# ::verify_setup) finds each step on its own; `modal run <script>` runs `setup`: all three.
setup, download_model, compile_deepgemm, verify_setup = setup_functions(app)
