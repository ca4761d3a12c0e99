"""A third-party profile gets the same flag checks for free: a plugin distribution whose profile
carries a bad engine flag fails ``load_profile`` (and the CLI) with the same one line.

Same set-up as test_third_party_plugin.py: a throwaway distribution installed into an overlay
environment; the profile's flags come from ``MLD_FLAGS`` (JSON) so one install covers every case.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from _support.plugin_dist import clean_env, make_overlay_venv, pip_install, write_plugin

PLUGIN = '''\
import json, os

from modal_llm_deploy import Profile, hookimpl

FLAGGED = Profile(
    name="flagged_tiny",
    app_name="flagged-tiny",
    model=dict(repo_id="acme-ai/Tiny-Chat-1B", revision="0" * 40, served_name="t", expected_size_gb=1),
    hardware=dict(gpu="H100", count=1),
    engine=dict(sglang_version="0.5.23", image="lmsysorg/sglang:v0.5.23-cu130", tensor_parallel_size=1,
                flags=json.loads(os.environ.get("MLD_FLAGS", "{}"))),
    kernel_cache=dict(deepgemm=False),
    storage=dict(weights_volume="flagged-w", cache_volume="flagged-k"),
    serving=dict(api_key_secret="flagged-key"),
)


@hookimpl
def register_profiles(register):
    register(FLAGGED)
'''

LOAD = """
import sys
from modal_llm_deploy import load_profile
try:
    p = load_profile("flagged_tiny")
except Exception as exc:
    print(type(exc).__name__ + ": " + str(exc))
    sys.exit(3)
print("loaded", p.name)
"""


@pytest.fixture(scope="module")
def overlay(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("flag-plugin-env")
    python = make_overlay_venv(root / "venv")
    src = write_plugin(root / "src", dist_name="mld-flagged-profiles", entry_point="flagged",
                       target="mld_flagged", files={"mld_flagged/__init__.py": PLUGIN})
    pip_install(python, src)
    return python


def run(python: Path, flags: dict, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(MLD_FLAGS=json.dumps(flags))
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env,
                          cwd=python.parent, timeout=120)


def test_good_flags_load(overlay):
    r = run(overlay, {"max-running-requests": 8}, "-c", LOAD)
    assert r.returncode == 0 and "loaded flagged_tiny" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize(
    "flags,fragment",
    [
        ({"tp": 4}, "engine.flags.tp: abbreviation of --tp-size; engine.tensor_parallel_size owns it"),
        ({"max-runing-requests": 4}, "engine.flags.max-runing-requests: SGLang 0.5.23 has no flag"),
        ({"api": "x"}, "engine.flags.api: abbreviation of --api-key"),
        ({"enable-flashinfer-allreduce-fusion": True}, "is deprecated in SGLang 0.5.23"),
        ({"kv-cache-dtype": "fp9"}, "engine.flags.kv-cache-dtype='fp9': not one of"),
    ],
)
def test_bad_flag_fails_load_profile_and_the_cli(overlay, flags, fragment):
    r = run(overlay, flags, "-c", LOAD)
    assert r.returncode == 3, r.stdout + r.stderr
    assert fragment in r.stdout and len(r.stdout.strip().splitlines()) == 1, r.stdout
    cli = run(overlay, flags, "-c", "import sys; from modal_llm_deploy.cli import main; "
              "sys.argv[0] = 'modal-llm-deploy'; main()", "plan", "flagged_tiny")
    assert cli.returncode == 2 and "Traceback" not in cli.stderr, cli.stderr
    # One error line naming the flag; the plugin set aside at discovery is also announced once
    # (profile/plugins.py: a broken plugin never hides the other profiles).
    lines = cli.stderr.strip().splitlines()
    errors = [x for x in lines if x.startswith("error:")]
    assert len(errors) == 1 and fragment in errors[0], cli.stderr
    assert all(x.startswith("warning: plugin 'flagged'") for x in lines if x not in errors), cli.stderr
