"""One figure, one source: what users read names public sources and agrees with the code.

* No file outside the project is cited: src/, docs/ and the README never mention the team's
  notes file (FACTS); a fact names its public source or the pinned package file instead.
"""

from __future__ import annotations

import re

from conftest import REPO

USER_FACING = ("src", "docs", "README.md", "examples", "profiles")


def _user_facing_files():
    for top in USER_FACING:
        p = REPO / top
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file() and ".egg-info" not in str(f)]
        for f in files:
            if f.suffix in (".py", ".md", ".json", ".toml", ".txt", ".pyi"):
                yield f


def test_no_file_outside_the_project_is_cited():
    hits = [f"{f.relative_to(REPO)}:{n}" for f in _user_facing_files()
            for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
            if re.search(r"FACTS", line)]
    assert hits == [], "cite the public source or the pinned package's file instead: " + ", ".join(hits)
