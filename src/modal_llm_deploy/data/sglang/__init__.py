"""Generated SGLang flag data, one module per supported release (see modal_llm_deploy.engine.flags)."""
