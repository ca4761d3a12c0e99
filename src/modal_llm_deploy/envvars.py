"""Every environment variable the library reads, by name, in a module that imports nothing:
the deploy-script path (``plan_cache``, ``modal_app``, ``runtime``) needs the names without
loading pydantic."""

# The plan (JSON) in every container: the container imports the library, not the deploy script.
PLAN_ENV = "MODAL_LLM_DEPLOY_PLAN"

# Overrides for `modal run` / `modal deploy` of an unedited deploy script (overrides.py).
SET_ENV = "MODAL_LLM_DEPLOY_SET"
FILE_ENV = "MODAL_LLM_DEPLOY_FILE"

# The plan cache (plan_cache.py): "off" turns it off; the directory defaults to
# $XDG_CACHE_HOME/modal-llm-deploy (~/.cache/modal-llm-deploy).
PLAN_CACHE_ENV = "MODAL_LLM_DEPLOY_PLAN_CACHE"
CACHE_DIR_ENV = "MODAL_LLM_DEPLOY_CACHE_DIR"
