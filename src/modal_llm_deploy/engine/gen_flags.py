"""``python -m modal_llm_deploy.engine.gen_flags generate|check --version X [--python P]``.

Writes (or checks) the shipped flag data of one SGLang release from its real parser; see
engine/flags.py. A module of its own so ``-m`` does not run a module the package already
imported (sglang_flags is imported by profile/model.py).
"""

from modal_llm_deploy.engine.flags import main

if __name__ == "__main__":
    raise SystemExit(main())
