"""``smoke`` end to end against the OpenAI-wire stand-in built from SGLang 0.5.23's own code.

The stand-in's responses are SGLang's protocol models and its reasoning/tool-call separation is
SGLang's real parsers; a server started without ``--tool-call-parser`` or ``--reasoning-parser``
(as a profile missing those flags would) must make smoke fail, naming the cause.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.operate.smoke import SmokeTarget, run_smoke, wait_healthy

from _support.standin_openai import StandIn
from _support.standin_openai import standin_python as _standin_env
from conftest import REPO

CLI = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "modal-llm-deploy")
KEY = "smoke-test-key-123"
PLAN = build_plan(load_profile("glm51_fp8"))


@pytest.fixture(scope="module")
def standin_python():
    return _standin_env(PLAN.sglang_version)


def _standin(standin_python, *extra, ready_after=0.0):
    py = standin_python
    # The flags the profile gives SGLang, as the stand-in understands them.
    argv = PLAN.sglang_argv
    flags = []
    for f in ("--reasoning-parser", "--tool-call-parser"):
        if f in argv and f not in extra:
            flags += [f, argv[argv.index(f) + 1]]
    drop = {"--no-reasoning-parser": "--reasoning-parser", "--no-tool-call-parser": "--tool-call-parser"}
    for d, f in drop.items():
        if d in extra:
            i = flags.index(f)
            del flags[i:i + 2]
    key = [] if "--no-api-key" in extra else ["--api-key", KEY]
    extra = [e for e in extra if e not in drop and e != "--no-api-key"]
    return StandIn(py, *key, "--served-model-name", PLAN.server.served_name, *flags, *extra,
                   ready_after=ready_after)


@pytest.fixture(scope="module")
def good(standin_python):
    s = _standin(standin_python)
    yield s
    s.stop()


def _cli(*args, env_key=KEY, **kw):
    env = {**os.environ, "API_KEY": env_key} if env_key else {k: v for k, v in os.environ.items() if k != "API_KEY"}
    return subprocess.run([CLI, "smoke", "glm51_fp8", *args], capture_output=True, text=True, timeout=300, env=env, **kw)


def test_all_checks_pass_on_a_correct_server(good):
    rep = run_smoke(SmokeTarget.from_plan(PLAN, good.url), KEY)
    assert rep.ok, [(c.name, c.detail, c.cause) for c in rep.failed]
    assert [c.name for c in rep.checks] == ["health", "models", "auth", "chat", "stream", "tool_call", "reasoning",
                                            "metrics"]
    assert all(c.ok for c in rep.checks)  # GLM-5.1 profiles set both parsers: nothing skipped
    assert rep.ttft_ms is not None and rep.ttft_ms > 0 and rep.tpot_ms is not None and rep.tpot_ms > 0
    tool = next(c for c in rep.checks if c.name == "tool_call")
    assert tool.detail == 'get_weather({"city": "Paris"})'


def test_cli_table_and_json_and_key_never_printed(good):
    r = _cli("--url", good.url, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["ok"] and d["ttft_ms"] > 0 and {c["name"] for c in d["checks"]} >= {"tool_call", "reasoning"}
    r = _cli("--url", good.url)
    assert r.returncode == 0 and "TTFT" in r.stdout
    assert KEY not in r.stdout + r.stderr


def test_missing_tool_call_parser_fails_with_its_cause(standin_python):
    s = _standin(standin_python, "--no-tool-call-parser")
    try:
        r = _cli("--url", s.url, "--json")
    finally:
        s.stop()
    assert r.returncode == 1
    d = json.loads(r.stdout)
    failed = {c["name"]: c for c in d["checks"] if c["ok"] is False}
    assert set(failed) == {"tool_call"}
    assert "<tool_call>" in failed["tool_call"]["detail"]  # the call came back as raw text
    assert "FAILED tool_call" in r.stderr and "--tool-call-parser" in r.stderr


def test_missing_reasoning_parser_fails_with_its_cause(standin_python):
    # also no --api-key and no --enable-metrics: three misconfigurations, three named causes
    s = _standin(standin_python, "--no-reasoning-parser", "--no-metrics", "--no-api-key")
    try:
        rep = run_smoke(SmokeTarget.from_plan(PLAN, s.url), KEY)
    finally:
        s.stop()
    failed = {c.name: c for c in rep.failed}
    assert set(failed) == {"reasoning", "metrics", "auth"}
    assert "without --api-key" in failed["auth"].cause
    assert "<think>" in failed["reasoning"].detail and "--reasoning-parser" in failed["reasoning"].cause
    assert "--enable-metrics" in failed["metrics"].cause


def test_cold_start_countdown_budget_and_wait_through(standin_python):
    s = _standin(standin_python, ready_after=10.0)
    seen = []
    try:
        # 1. a budget shorter than the cold start: fails, naming the triage command
        r = _cli("--url", s.url, "--wait", "1")
        assert r.returncode == 1
        assert "FAILED health" in r.stderr and "modal-llm-deploy logs glm51_fp8 --triage" in r.stderr
        assert "waiting for" in r.stderr  # the countdown went to stderr
        # 2. a budget long enough: waits through the 503s, counting down
        t = SmokeTarget.from_plan(PLAN, s.url)
        t.startup_budget_s = 60
        c = wait_healthy(t, on_wait=lambda left, last: seen.append((left, last)), poll_s=0.5)
    finally:
        s.stop()
    assert c.ok and seen and seen[0][1] == "HTTP 503"
    assert all(a[0] > b[0] for a, b in zip(seen, seen[1:]))  # the countdown counts down


def test_wrong_key_and_open_server_are_caught(good):
    rep = run_smoke(SmokeTarget.from_plan(PLAN, good.url), "not-the-key")
    assert {c.name for c in rep.failed} >= {"models", "chat"}
    assert "does not match" in next(c for c in rep.failed if c.name == "models").cause


def test_no_key_in_env_is_one_line_exit_2(good):
    r = _cli("--url", good.url, env_key=None)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "API_KEY is not set" in r.stderr


def test_causes_name_this_deployments_logs_command(tmp_path):
    """A failed check's cause is a command to run: the deployment's own logs command, with the
    overrides in effect (--set app_name=… reads that app's logs), never a PROFILE placeholder."""
    import socket

    with socket.socket() as s:  # a port nothing listens on: /health never answers
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    plan = build_plan(load_profile("glm51_fp8", {"app_name": "glm-tiny"}))
    t = SmokeTarget.from_plan(plan, f"http://127.0.0.1:{port}")
    t.startup_budget_s = 0.2
    check = wait_healthy(t, poll_s=0.05)
    assert check.ok is False
    assert check.cause.endswith(": modal-llm-deploy logs glm51_fp8 --set app_name=glm-tiny --triage"), check.cause


# --- Modal proxy auth (serving.modal_proxy_auth) ---------------------------------------------------
# The stand-in plays Modal's proxy too: without the right Modal-Key/Modal-Secret every request
# gets 401 "modal-http: missing credentials for proxy authorization" before reaching "SGLang".

PROXY_KEY, PROXY_SECRET = "wk-smoke-test-id", "ws-smoke-test-secret"
PROXY_ON = ("--set", "serving.modal_proxy_auth=true")


@pytest.fixture(scope="module")
def proxied(standin_python):
    s = _standin(standin_python, "--proxy-key", PROXY_KEY, "--proxy-secret", PROXY_SECRET)
    yield s
    s.stop()


def _proxy_env(key=PROXY_KEY, secret=PROXY_SECRET) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_LLM_DEPLOY_PROXY_")}
    env["API_KEY"] = KEY
    if key is not None:
        env["MODAL_LLM_DEPLOY_PROXY_KEY"] = key
    if secret is not None:
        env["MODAL_LLM_DEPLOY_PROXY_SECRET"] = secret
    return env


def _smoke(*args, env):
    return subprocess.run([CLI, "smoke", "glm51_fp8", *args], capture_output=True, text=True, timeout=300, env=env)


def test_proxy_auth_smoke_passes_with_the_token_and_never_prints_it(proxied):
    before = proxied.counts()
    r = _smoke("--url", proxied.url, *PROXY_ON, "--json", env=_proxy_env())
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(r.stdout)
    assert d["ok"] and all(c["ok"] for c in d["checks"]), d
    after = proxied.counts()
    # every request carried the token, the key-less auth probe too: its 401 came from SGLang, not the proxy
    assert after["requests"] > before["requests"] and after["proxy_refused"] == before["proxy_refused"]
    r = _smoke("--url", proxied.url, *PROXY_ON, env=_proxy_env())
    assert r.returncode == 0 and "TTFT" in r.stdout
    for value in (PROXY_KEY, PROXY_SECRET, KEY):
        assert value not in r.stdout + r.stderr


@pytest.mark.parametrize("unset", ["both", "secret"])
def test_proxy_auth_without_the_variables_is_one_line_before_any_request(proxied, unset):
    before = proxied.counts()
    env = _proxy_env(key=None, secret=None) if unset == "both" else _proxy_env(secret=None)
    r = _smoke("--url", proxied.url, *PROXY_ON, env=env)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r.stderr
    assert "MODAL_LLM_DEPLOY_PROXY_KEY" in r.stderr and "MODAL_LLM_DEPLOY_PROXY_SECRET" in r.stderr
    assert "https://modal.com/settings/proxy-auth-tokens" in r.stderr
    assert PROXY_KEY not in r.stderr
    assert proxied.counts() == before  # nothing was sent


def test_a_wrong_proxy_token_is_one_clear_line_not_a_dead_server(proxied):
    wrong = "ws-not-the-secret"
    r = _smoke("--url", proxied.url, *PROXY_ON, env=_proxy_env(secret=wrong))
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1, r.stderr  # no countdown: a 401 is an answer, not a cold start
    assert r.stderr.startswith("FAILED health: /health answered 401: modal-http:"), r.stderr
    assert "Modal's proxy refused the proxy token" in r.stderr and "startup budget" not in r.stderr
    for value in (wrong, PROXY_KEY, KEY):
        assert value not in r.stdout + r.stderr


def test_a_proxy_auth_server_smoked_as_if_open_says_it_needs_proxy_auth(proxied):
    r = _smoke("--url", proxied.url, env=_proxy_env())  # profile without modal_proxy_auth: no headers sent
    assert r.returncode == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "requires Modal proxy auth" in r.stderr and "--set serving.modal_proxy_auth=true" in r.stderr
