"""The two container images a plan names: a small CPU image for download/verify and the
pinned SGLang registry image for compile/serve, with our runtime dependencies taken from this
library's own installed metadata (one source of truth for their version ranges)."""

from __future__ import annotations

import functools
import importlib.metadata
import re

from modal_llm_deploy.engine.release import image_release_note
from modal_llm_deploy.plan.models import (
    DISTRIBUTION,
    DOWNLOAD_IMAGE_DEPS,
    LIBRARY,
    SGLANG_IMAGE_DEPS,
    SGLANG_IMAGE_PROVIDES,
    ImagePlan,
)
from modal_llm_deploy.profile.model import Profile


def runtime_requirements(names: tuple[str, ...]) -> list[str]:
    """Requirement strings for ``names``, taken from this library's own installed metadata, so
    the images get the same version ranges pyproject.toml declares (one source of truth)."""
    by_name = _declared_requirements()
    missing = [n for n in names if n not in by_name]
    if missing:
        raise RuntimeError(f"{DISTRIBUTION} metadata does not declare {missing}")
    return [by_name[n] for n in names]


@functools.cache  # METADATA parsed once per process, not once per image (benchmarks/bench_import.py)
def _declared_requirements() -> dict[str, str]:
    try:
        reqs = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as exc:  # running from a bare source tree
        raise RuntimeError(f"{DISTRIBUTION} is not installed: pip install -e . first") from exc
    by_name: dict[str, str] = {}
    for r in reqs:
        if ";" in r:
            continue  # extras / markers: not runtime
        m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?(.*)$", r.strip())
        if m:
            by_name[m.group(1).lower().replace("_", "-")] = r.strip().replace(" ", "")
    return by_name


def build_images(profile: Profile, plugin_module: str | None) -> dict[str, ImagePlan]:
    sources = [LIBRARY] + ([plugin_module.split(".")[0]] if plugin_module else [])
    return {
        # CPU-only steps (download, verify): small, fast to build, no CUDA.
        "download": ImagePlan(
            name="download",
            base="debian_slim",
            python_version="3.12",
            pip=runtime_requirements(DOWNLOAD_IMAGE_DEPS),
            # Let the Xet client use every core and all bandwidth for a 750 GB pull.
            env={"HF_XET_HIGH_PERFORMANCE": "1"},
            local_python_sources=sources,
        ),
        # GPU steps (compile, serve): the SGLang release the flags were proven against.
        "sglang": ImagePlan(
            name="sglang",
            base="registry",
            ref=profile.engine.image,
            clear_entrypoint=True,  # the image's entrypoint would start its own shell/server
            pip=runtime_requirements(SGLANG_IMAGE_DEPS),
            provided_by_base=list(SGLANG_IMAGE_PROVIDES),
            env={},
            local_python_sources=sources,
            release_note=image_release_note(profile.engine.image, profile.engine.sglang_version),
        ),
    }
