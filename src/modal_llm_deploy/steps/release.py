"""The container's SGLang is the release the plan pins, checked before anything starts.

The plan refuses an image whose tag names another release (engine/release.py); an image whose
reference names none (a digest, a custom image) is only known once the container runs. So the
serve and compile steps read the installed release of the interpreter that will run SGLang
(``engine/local.py installed_sglang``: ``sglang/_version.py``, ``__version__``, else the
distribution metadata, without importing SGLang) and refuse any other, naming both.
"""

from __future__ import annotations

from modal_llm_deploy.base.errors import StepError
from modal_llm_deploy.engine.local import installed_sglang
from modal_llm_deploy.steps.log import log


def require_sglang_release(python: str, expected: str, *, what: str) -> str:
    """The installed release (== ``expected``), or StepError naming the installed and the
    expected release; ``what``: the step, for the message."""
    got = installed_sglang(python)
    if got.get("error") or not got["found"]:
        why = got.get("error") or f"{python} has no sglang package"
        raise StepError(f"{what}: the image has no usable SGLang ({why}) but the plan pins SGLang {expected} "
                        "(engine.sglang_version): set engine.image to an image with that release")
    version = (got["version"] or "").split("+", 1)[0]  # a local tag (+cu130) is not another release
    if version != expected:
        raise StepError(f"{what}: the image's SGLang is {got['version'] or 'of unknown version'} ({got['where']}) but "
                        f"the plan pins {expected} (engine.sglang_version), the release its flags were proven "
                        f"against: refusing to start; set engine.image to an image with SGLang {expected}")
    log(f"SGLang {version} installed = engine.sglang_version")
    return version
