"""The docs' recipes run as written.

* docs/profiles.md's parser check (it used to crash with a relative ``root``): run from a
  working directory whose ``.cache/sglang-parsers/sglang-0.5.23`` is the test session's SGLang
  env (tests/_support/sglang_env.py, a superset of the parser env), with the
  bundled ``glm51_fp8`` in place of the example plugin's ``qwen3_32b_h100`` (not installed
  here) — the only substitution;
* the README's override example reaches Modal's "Token missing" with the override in the plan.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def recipe(doc: Path, name: str) -> str:
    text = doc.read_text()
    m = re.search(rf"<!-- recipe: {re.escape(name)}.*?-->\s*```python\n(.*?)```", text, re.S)
    assert m, f"recipe {name!r} not found in {doc}"
    return m.group(1)


def test_profiles_md_parser_check_recipe_runs(tmp_path, sglang_parser):
    code = recipe(REPO / "docs" / "profiles.md", "parser-check")
    assert 'root=Path(".cache/sglang-parsers").resolve()' in code
    code = code.replace('"qwen3_32b_h100"', '"glm51_fp8"')
    env = Path(sglang_parser("0.5.23")).parents[1]  # <env>/bin/python, built once per machine
    (tmp_path / ".cache" / "sglang-parsers").mkdir(parents=True)
    (tmp_path / ".cache" / "sglang-parsers" / "sglang-0.5.23").symlink_to(env, target_is_directory=True)
    assert (env / ".complete").exists()  # so the recipe installs nothing
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True []", r.stdout


def test_readme_override_example_reaches_token_missing(tmp_path):
    readme = (REPO / "README.md").read_text()
    (line,) = [x for x in readme.splitlines() if x.startswith("MODAL_LLM_DEPLOY_SET=") and "modal deploy" in x]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    r = subprocess.run(["bash", "-c", line], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and "Token missing" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
