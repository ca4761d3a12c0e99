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


# --- the cold-start figure ---------------------------------------------------------------------


def _n(x: int) -> str:
    """A whole number as the docs write it: thin groups of three ("4 755")."""
    return f"{x:,}".replace(",", " ")


def test_cold_start_is_one_figure_and_the_docs_quote_it():
    """The plan's startup estimate, its per-phase budgets, `cost` and `bench` are one figure
    (the budgets add up to the estimate), and README/docs quote that figure and what follows
    from it (compile cost, the compile function's timeout, a cold start's price)."""
    from modal_llm_deploy import build_plan, load_profile
    from modal_llm_deploy.plan.cost import Traffic, estimate

    p = load_profile("glm51_fp8")
    plan = build_plan(p)
    est = plan.server.startup_estimate_s
    assert est == p.startup_estimate_s == plan.cold_start.total_s == sum(plan.cold_start.budgets_s.values())
    rate = plan.cost.server_usd_per_hour
    cold = next(x for x in estimate(plan, Traffic(8, 22, 1, 1, None, None)).monthly if x.item == "cold-start load")
    assert cold.container_hours == 22 * est / 3600  # `cost` prices the same figure

    minutes = round(est / 60)
    readme = (REPO / "README.md").read_text()
    assert f"expect ~{minutes} minutes ({est} s, the plan's startup" in readme
    assert not re.search(r"~(?!%d\b)\d+ minutes \(" % minutes, readme)
    # the compile run's price, quoted next to the compile step, is the plan's (rounded)
    assert f"≈ ${plan.cost.compile_once_usd:.0f}" in readme and not re.search(
        r"compile_deepgemm .*≈ \$(?!%.0f\b)\d+" % plan.cost.compile_once_usd, readme)
    for doc in ("docs/architecture.md", "docs/profiles.md"):
        text = (REPO / doc).read_text()
        found = re.findall(r"~(\d+)[- ]min(?:ute)?s?\b", text)
        assert found and set(found) == {str(minutes)}, (doc, found)
    # comments and docstrings that speak of a cold start in minutes say the same
    said = [(f.name, m) for f in _user_facing_files() if f.suffix == ".py"
            for m in re.findall(r"cold.start[^.\n]{0,30}?~(\d+)[- ]min|~(\d+)[- ]min\w*(?: each)?(?: cold start| load)",
                                f.read_text(encoding="utf-8"))]
    assert len(said) >= 6 and {a or b for _, (a, b) in said} == {str(minutes)}, said

    compile_unit = next(u for u in plan.units if u.name == "compile_deepgemm")
    compile_s = p.kernel_cache.compile_timeout_s // 2  # the docs' "30 min compile"
    h200 = build_plan(load_profile("glm51_fp8_h200"))
    steps = (REPO / "docs/steps.md").read_text()
    for snippet in (
        f"(${plan.cost.compile_once_usd:.2f} for `glm51_fp8`, ${h200.cost.compile_once_usd:.2f} for `glm51_fp8_h200`)",
        f"with the ~{est} s cold start",
        f"({_n(p.kernel_cache.compile_timeout_s)} + {est} + 300 = {_n(compile_unit.timeout_s)} s)",
        f"**`compile_once_usd` ${plan.cost.compile_once_usd:.2f}**: the {est} s start-up estimate",
        f"{_n(est + compile_s)} s in\n  all",
        f"at {_n(compile_unit.timeout_s)} s (≈ ${compile_unit.timeout_s * rate / 3600:.2f})",
        f"| cold start: ~{est} s estimate",
        f"≈ ${est * rate / 3600:.2f} per cold start",
        f"cold start + window ({_n(est + p.serving.scaledown_window_s)} s) ≈ "
        f"${(est + p.serving.scaledown_window_s) * rate / 3600:.2f}",
    ):
        assert snippet in steps, snippet
    assert plan.cost.compile_once_usd == round((est + compile_s) * rate / 3600, 2)


# --- docs tables of defaults --------------------------------------------------------------------


def _section_tables(text: str) -> dict[str, list[list[str]]]:
    """docs/profiles.md "### `section`" (or "### top level") → its table's rows (cells)."""
    out: dict[str, list[list[str]]] = {}
    section = None
    for line in text.splitlines():
        m = re.match(r"^### (?:`(\w+)`|(top level))\s*$", line)
        if m:
            section = m.group(1) or ""
            continue
        if line.startswith("#"):
            section = None
        elif section is not None and line.startswith("| `"):
            out.setdefault(section, []).append([c.strip() for c in line.strip().strip("|").split(" | ")])
    return out


def _norm(v):
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return v
    return float(v)


def test_profile_docs_defaults_are_the_models():
    """Every default docs/profiles.md writes as a literal (`5`, `[5, 15, 30, 60]`) is the profile
    model's default; "—" marks a required field, "none" a field that defaults to unset."""
    from pydantic_core import PydanticUndefined

    from modal_llm_deploy.profile.model import Profile
    from modal_llm_deploy.profile.overrides import parse_value
    from modal_llm_deploy.profile.sections import AccuracyTier

    tables = _section_tables((REPO / "docs/profiles.md").read_text())
    assert {"", "model", "hardware", "engine", "kernel_cache", "storage", "serving", "download", "secrets"} <= set(tables)
    checked = 0
    for section, rows in tables.items():
        # the accuracy section's table documents one tier (quick and thorough are both tiers)
        model = Profile if section == "" else AccuracyTier if section == "accuracy" else Profile.model_fields[section].annotation
        for row in rows:
            names = re.findall(r"`(\w+)`", row[0])
            values = re.findall(r"`([^`]*)`", row[1])
            for i, name in enumerate(names):
                field = model.model_fields[name]
                default = field.get_default(call_default_factory=True)
                if row[1] == "—":
                    assert field.is_required() or default is None, f"{section}.{name}: documented as required"
                elif row[1] == "none":
                    assert default is None, f"{section}.{name}: documented as none, default {default!r}"
                elif len(values) == len(names) and "".join(f"`{v}`" for v in values) == row[1].replace(", ", ""):
                    assert default is not PydanticUndefined
                    assert _norm(parse_value(values[i])) == _norm(default), \
                        f"docs/profiles.md {section}.{name}: documented `{values[i]}`, the model's default is {default!r}"
                    checked += 1
    assert checked >= 30


def test_documented_download_failures_quote_the_default_attempts():
    from modal_llm_deploy.profile.sections import DownloadSpec

    d = DownloadSpec()
    steps = (REPO / "docs/steps.md").read_text()
    found = re.findall(r"failed after (\d+) attempts", steps)
    assert found and set(found) == {str(d.attempts)}
    assert f"`download.attempts` = **{d.attempts}**" in steps
    assert "`download.backoff_s` = **" + ", ".join(f"{w:g}" for w in d.backoff_s) + " s**" in steps


def test_generated_docs_tables_are_current():
    """docs tables written from code (tests/gen_docs_tables.py) match the code now."""
    import gen_docs_tables

    for path in gen_docs_tables.TABLES:
        text = (REPO / path).read_text()
        assert gen_docs_tables.render(path, text) == text, f"{path} is stale: run python tests/gen_docs_tables.py"
    assert "`nccl_watchdog_timeout`" in (REPO / "docs/steps.md").read_text()
