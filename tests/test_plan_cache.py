"""The plan cache (modal_llm_deploy/plan_cache.py): a deploy script built from a profile name
reuses its validated plan while every input is unchanged, and builds it again when any input
changes: the plugin's files, a file added to its package, the installed distributions, the
override variables and files. Every build runs in a fresh interpreter, as Modal's import of a
deploy script does; "validated" is observed as pydantic having been imported.

The plugin here is a real distribution found by importlib.metadata on PYTHONPATH (a
``.dist-info`` with ``entry_points.txt`` next to its package), so editing it is editing what
``modal deploy`` would import.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modal_llm_deploy.modal_adapter import plan_cache
from modal_llm_deploy.base.envvars import CACHE_DIR_ENV, FILE_ENV, PLAN_CACHE_ENV, SET_ENV

REPO = Path(__file__).resolve().parents[1]

# Build the app of profile argv[1] from its name, as examples/glm51_deploy.py does, and report
# whether the profile was validated (pydantic imported) and the plan the app carries.
BUILD = """
import json, sys
from modal_llm_deploy import build_app, setup_functions
from modal_llm_deploy.modal_adapter.render import _BUILT
app = build_app(sys.argv[1])
setup_functions(app)
print(json.dumps({"validated": "pydantic" in sys.modules, "plan": _BUILT[app.name].plan_json}))
"""


def plugin_source(name: str, max_containers: str, header: str = "", before_register: str = "") -> str:
    """A plugin module registering one small H100 profile named ``name``; ``max_containers`` is
    the Python expression for serving.max_containers (a literal, or a name ``header`` imports)."""
    return f'''\
{header}from modal_llm_deploy import Profile, hookimpl

PROFILE = Profile(
    name="{name}",
    description="plan cache test",
    app_name="{name.replace("_", "-")}",
    model=dict(repo_id="acme-ai/Tiny-Chat-1B", served_name="tiny-chat", expected_size_gb=2.5),
    storage=dict(weights_volume="{name}-weights", cache_volume="{name}-kernels"),
    serving=dict(api_key_secret="{name}-api-key", max_containers={max_containers}),
    secrets=dict(hf_token_secret=None),
    hardware=dict(gpu="H100", count=1),
    engine=dict(sglang_version="0.5.23", image="lmsysorg/sglang:v0.5.23-cu130", tensor_parallel_size=1),
    kernel_cache=dict(deepgemm=False),
)


@hookimpl
def register_profiles(register):
{before_register}    register(PROFILE)
'''


def install(site: Path, package: str, entry_point: str, source: str) -> None:
    """``package`` (its __init__ is ``source``) and its distribution metadata, found by
    importlib.metadata on PYTHONPATH=site like any installed plugin."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(source)
    dist = package.replace("_", "-")
    info = site / f"{package}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[modal_llm_deploy]\n{entry_point} = {package}\n")


PAST = time.time() - 3600  # inputs older than plan_cache.TOO_NEW_S, so a build is stored


def _age(*paths: Path, when: float = PAST) -> None:
    for p in paths:
        os.utime(p, (when, when))


@pytest.fixture
def site(tmp_path) -> Path:
    """A site directory holding the plugin package and its distribution metadata."""
    root = tmp_path / "site"
    install(root, "mld_cachetest", "cachetest", plugin_source("cachetest_h100", "3"))
    _age(*root.rglob("*"), root)
    return root


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "plan-cache"


@pytest.fixture
def cwd(tmp_path) -> Path:
    """The builds' working directory: `python -c` puts it first on sys.path, as Modal puts the
    deploy script's directory, so it is an input too."""
    d = tmp_path / "cwd"
    d.mkdir()
    _age(d)
    return d


_CWD: list[Path] = []


@pytest.fixture(autouse=True)
def _use_cwd(cwd):
    _CWD[:] = [cwd]
    yield
    _CWD.clear()


def build(profile: str, site: Path | None, cache: Path, **env: str) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in (SET_ENV, FILE_ENV, PLAN_CACHE_ENV)}
    full[CACHE_DIR_ENV] = str(cache)
    if site is not None:
        full["PYTHONPATH"] = str(site)
    full.update(env)
    r = subprocess.run([sys.executable, "-c", BUILD, profile], capture_output=True, text=True, env=full,
                       cwd=_CWD[0], timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["plan"] = json.loads(out["plan"])
    return out


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "plans").glob("*.json")) if (cache / "plans").is_dir() else []


def test_the_second_build_renders_the_stored_plan_without_validating(cache):
    first = build("glm51_fp8", None, cache)
    second = build("glm51_fp8", None, cache)
    assert first["validated"] and not second["validated"]
    assert second["plan"] == first["plan"]
    (entry,) = entries(cache)
    assert json.loads(entry.read_text())["profile"] == "glm51_fp8"


@pytest.mark.parametrize("profile", ["glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2"])
def test_a_stored_plan_is_the_plan_build_plan_makes(profile, tmp_path, monkeypatch):
    from modal_llm_deploy import build_plan, load_profile

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(plan_cache, "TOO_NEW_S", 0.0)  # a fresh checkout's files may be seconds old
    fresh = build_plan(load_profile(profile)).model_dump_json()
    assert plan_cache.cached_plan_json(profile) == fresh  # built and stored
    assert plan_cache.lookup(profile, None, None, plan_cache._version()) == fresh  # and found again


def test_editing_the_plugin_builds_again(site, cache):
    assert build("cachetest_h100", site, cache)["plan"]["server"]["max_containers"] == 3
    assert not build("cachetest_h100", site, cache)["validated"]
    f = site / "mld_cachetest" / "__init__.py"
    f.write_text(plugin_source("cachetest_h100", "4"))
    _age(f, when=PAST + 60)
    after = build("cachetest_h100", site, cache)
    assert after["validated"] and after["plan"]["server"]["max_containers"] == 4
    assert not build("cachetest_h100", site, cache)["validated"]


def test_a_file_added_to_the_plugin_package_builds_again(site, cache):
    build("cachetest_h100", site, cache)
    (site / "mld_cachetest" / "extra.py").write_text("X = 1\n")
    _age(site / "mld_cachetest" / "extra.py", site / "mld_cachetest", when=PAST + 60)
    assert build("cachetest_h100", site, cache)["validated"]


# Someone saves a file while the build runs, and the build takes a while after.
EDIT_DURING_BUILD = f"""\
    edit = os.environ.get("MLD_EDIT_DURING_BUILD")
    if edit:
        os.utime(edit, None)
        time.sleep({plan_cache.TOO_NEW_S} + 0.5)
"""


@pytest.fixture
def helped(site) -> Path:
    """A second plugin in the same site whose profile takes a value from a helper package."""
    (site / "acme_defaults").mkdir()
    (site / "acme_defaults" / "__init__.py").write_text("MAX = 3\n")
    header = "import os, time\nfrom acme_defaults import MAX\n"
    install(site, "mld_helped", "helped", plugin_source("helped_h100", "MAX", header, EDIT_DURING_BUILD))
    _age(*site.rglob("*"), site)
    return site


def test_editing_a_package_the_plugin_imports_builds_again(helped, cache):
    assert build("helped_h100", helped, cache)["plan"]["server"]["max_containers"] == 3
    assert not build("helped_h100", helped, cache)["validated"]
    f = helped / "acme_defaults" / "__init__.py"
    f.write_text("MAX = 9\n")
    _age(f, when=PAST + 60)
    after = build("helped_h100", helped, cache)
    assert after["validated"] and after["plan"]["server"]["max_containers"] == 9


def test_a_module_that_now_shadows_the_plugin_builds_again(helped, cache, cwd):
    """Modal puts the deploy script's directory first on sys.path: a package of the same name
    placed there later is what a fresh build imports."""
    assert build("helped_h100", helped, cache)["plan"]["server"]["max_containers"] == 3
    assert not build("helped_h100", helped, cache)["validated"]
    (cwd / "acme_defaults").mkdir()
    (cwd / "acme_defaults" / "__init__.py").write_text("MAX = 7\n")
    _age(cwd / "acme_defaults" / "__init__.py", cwd / "acme_defaults", cwd, when=PAST + 60)
    after = build("helped_h100", helped, cache)
    assert after["validated"] and after["plan"]["server"]["max_containers"] == 7


def test_a_file_changed_during_the_build_is_not_stored(helped, cache):
    """The build read the file before it changed (or half-way): its plan must not be stored
    under the file's new mtime, however long the build runs after the change."""
    f = helped / "acme_defaults" / "__init__.py"
    build("helped_h100", helped, cache, MLD_EDIT_DURING_BUILD=str(f))
    assert entries(cache) == []
    _age(f, when=PAST + 60)
    build("helped_h100", helped, cache)
    assert len(entries(cache)) == 1


def test_overrides_that_are_not_plain_data_are_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    odd = {"serving.warm_windows": [{"days": {"mon", "tue"}}]}  # a set: its text varies by run
    assert plan_cache._key("glm51_fp8", odd, None, "0") is None
    assert plan_cache.lookup("glm51_fp8", odd, None, "0") is None
    assert plan_cache.store("glm51_fp8", odd, None, "0", "{}", ["modal_llm_deploy"], started=PAST + 7200) is False
    assert not (tmp_path / "plans").exists()


def test_old_entries_are_pruned_when_another_is_stored(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    plans = tmp_path / "plans"
    plans.mkdir()
    old, recent = plans / "old.json", plans / "recent.json"
    old.write_text("{}")
    recent.write_text("{}")
    _age(old, when=time.time() - plan_cache.MAX_AGE_S - 60)
    assert plan_cache.store("glm51_fp8", None, None, "0", "{}", ["modal_llm_deploy"], started=time.time() + 60)
    assert not old.exists() and recent.exists() and len(entries(tmp_path)) == 2


def test_installing_a_distribution_builds_again(site, cache):
    """pip adds a .dist-info directory to a sys.path directory: that directory's mtime moves."""
    build("cachetest_h100", site, cache)
    assert not build("cachetest_h100", site, cache)["validated"]
    (site / "other-1.0.dist-info").mkdir()
    _age(site, when=PAST + 60)
    assert build("cachetest_h100", site, cache)["validated"]


def test_the_library_own_files_are_inputs(cache):
    deps = {p for p, _, _ in plan_cache.dependencies(["modal_llm_deploy"], [])}
    src = REPO / "src" / "modal_llm_deploy"
    assert {str(src / "plan/build.py"), str(src / "profile/model.py"), str(src / "data" / "prices.json"), str(src)} <= deps
    assert not any("__pycache__" in p for p in deps)


def test_override_variables_are_inputs(cache):
    base = build("glm51_fp8", None, cache)
    five = build("glm51_fp8", None, cache, **{SET_ENV: "serving.max_containers=5"})
    assert five["validated"] and five["plan"]["server"]["max_containers"] == 5
    assert base["plan"]["server"]["max_containers"] != 5
    again = build("glm51_fp8", None, cache, **{SET_ENV: "serving.max_containers=5"})
    assert not again["validated"] and again["plan"] == five["plan"]
    assert not build("glm51_fp8", None, cache)["validated"]  # the plain one is still stored


def test_an_override_file_is_an_input(tmp_path, cache):
    f = tmp_path / "over.toml"
    f.write_text("[serving]\nmax_containers = 6\n")
    _age(f)
    assert build("glm51_fp8", None, cache, **{FILE_ENV: str(f)})["plan"]["server"]["max_containers"] == 6
    assert not build("glm51_fp8", None, cache, **{FILE_ENV: str(f)})["validated"]
    f.write_text("[serving]\nmax_containers = 7\n")
    _age(f, when=PAST + 60)
    after = build("glm51_fp8", None, cache, **{FILE_ENV: str(f)})
    assert after["validated"] and after["plan"]["server"]["max_containers"] == 7


def test_a_damaged_entry_is_rebuilt(cache):
    build("glm51_fp8", None, cache)
    (entry,) = entries(cache)
    for damage in ("{not json", json.dumps({"format": 1, "deps": [["/nonexistent", 0, 0]], "plan": "{}"}),
                   json.dumps({"format": 99}), ""):
        entry.write_text(damage)
        out = build("glm51_fp8", None, cache)
        assert out["validated"] and out["plan"]["profile"] == "glm51_fp8"


def test_off_means_every_build_validates(cache):
    for _ in range(2):
        assert build("glm51_fp8", None, cache, **{PLAN_CACHE_ENV: "off"})["validated"]
    assert entries(cache) == []


def test_an_input_changed_moments_ago_is_not_stored(site, cache):
    """A file written within the same mtime tick could change again unseen: such a build is
    not stored (the next one, once the file is older, is)."""
    f = site / "mld_cachetest" / "__init__.py"
    _age(f, when=time.time())
    build("cachetest_h100", site, cache)
    assert entries(cache) == []
    _age(f)
    build("cachetest_h100", site, cache)
    assert len(entries(cache)) == 1


def test_a_bad_override_is_one_line_and_stores_nothing(cache, tmp_path):
    full = {**os.environ, CACHE_DIR_ENV: str(cache), SET_ENV: "serving.max_containers=abc"}
    r = subprocess.run([sys.executable, "-c", BUILD, "glm51_fp8"], capture_output=True, text=True, env=full,
                       cwd=REPO, timeout=120)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1].startswith(f"modal_llm_deploy.profile.overrides.OverrideError: {SET_ENV}: ")
    assert entries(cache) == []


@pytest.mark.parametrize("how", ["overrides", "file"])
def test_a_bad_value_given_in_code_is_one_line_too(how, cache, tmp_path):
    """build_app(name, {...}) or file=: the error names the profile and the field, and the
    traceback starts at build_app (what Modal prints under `modal deploy`), not in pydantic."""
    f = tmp_path / "bad.toml"
    f.write_text("[serving]\nmax_containers = 'abc'\n")
    arg = "{'serving.max_containers': 'abc'}" if how == "overrides" else f"file={str(f)!r}"
    code = f"from modal_llm_deploy import build_app; build_app('glm51_fp8', {arg})"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env={**os.environ, CACHE_DIR_ENV: str(cache)})
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("modal_llm_deploy.profile.overrides.OverrideError: glm51_fp8: serving.max_containers: "), r.stderr
    assert "pydantic" not in r.stderr, r.stderr
    assert entries(cache) == []


def test_an_unwritable_cache_directory_only_costs_the_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    out = build("glm51_fp8", None, blocker)  # the cache dir is a file: nothing can be stored
    assert out["validated"] and out["plan"]["profile"] == "glm51_fp8"
