"""Which SGLang release an image reference names, if any.

A profile's flags are proven against one SGLang release (``engine.sglang_version``, checked with
that release's parser), so the image must carry that release. SGLang's own images name it in
the tag (``lmsysorg/sglang:v0.5.23-cu130``: SGLang's install docs and its CI's tag config,
``v{version}-cu130``). A tag naming another release is refused at plan time; a reference naming
none (a digest, ``latest``, a custom image) cannot be checked before the container starts, so
the container checks the installed distribution at start (steps/serve.py, steps/deepgemm.py)
and refuses a mismatch.
"""

from __future__ import annotations

import re

# A release in a tag: 0.5.23 or 0.5.23.post1, optionally after a "v", not part of a longer number.
_RELEASE = re.compile(r"(?<![\d.])v?(\d+\.\d+\.\d+(?:\.post\d+)?)(?![\d]|\.\d)")


def image_tag(ref: str) -> str | None:
    """The tag of ``repo[:tag][@digest]`` (None without one; a registry host's port is not a tag)."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def release_in_image(ref: str) -> str | None:
    """The SGLang release the image reference's tag names, or None (digest only, no tag,
    ``latest``, a custom tag without a version)."""
    tag = image_tag(ref)
    if tag is None:
        return None
    found = {m.group(1) for m in _RELEASE.finditer(tag)}
    return found.pop() if len(found) == 1 else None


def image_release_problem(ref: str, sglang_version: str) -> str | None:
    """Why ``ref`` cannot carry the release the flags were proven against; None if it can."""
    named = release_in_image(ref)
    if named is not None and named != sglang_version:
        return (f"engine.image {ref!r} names SGLang {named} but engine.sglang_version is {sglang_version}: the "
                f"flags are proven against {sglang_version} only; use an image tagged for {sglang_version} "
                f"or set engine.sglang_version={named} (and prove the flags against it)")
    return None


def image_release_note(ref: str, sglang_version: str) -> str:
    """What the plan says about the image's release: read from its tag, or checked at start."""
    named = release_in_image(ref)
    if named is not None:
        return f"{ref} names SGLang {named} = engine.sglang_version (checked at plan time)"
    return (f"{ref} names no SGLang release: the container checks the installed sglang at start and "
            f"refuses any other than {sglang_version}")
