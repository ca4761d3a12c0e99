"""``eval`` end to end: SGLang 0.5.23's own eval harness (``sglang.test.run_eval``, unpatched)
against the OpenAI-wire stand-in, through the CLI.

The harness runs in the tests' one SGLang environment (tests/_support/eval_env.py
says why), and reads a GSM8K-format JSONL this test writes (our own questions, same format as
GSM8K's test.jsonl: ``question`` and ``answer`` ending in ``#### N``) through its own
``--gsm8k-data-path`` option. The stand-in (tests/standin/lib/openai_standin.py, built on
SGLang's own protocol models) answers the questions from an answer file: correctly, wrongly at
a chosen rate, with a failure status for a chosen share, or failing once and then answering.
"""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from modal_llm_deploy import build_plan, load_profile

from _support.eval_env import eval_env
from _support.standin_openai import StandIn, standin_python

pytestmark = pytest.mark.timeout(1800)  # the first run may build the benchmark venv (tests/test_bench_e2e.py)

KEY = "eval-test-key-789"
SHOTS, N = 3, 40
SETS = [f"accuracy.quick.examples={N}", f"accuracy.quick.num_shots={SHOTS}"]
BASE = build_plan(load_profile("glm51_fp8"))


def _questions(n: int) -> list[tuple[str, int]]:
    names = ["Ada", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal"]
    return [(f"{names[i % 8]} has {i + 3} pebbles and finds {2 * i + 5} more on day {i}. How many pebbles now?",
             (i + 3) + (2 * i + 5)) for i in range(n)]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """GSM8K's format: the first SHOTS lines are the few-shot examples, the rest are scored."""
    d = tmp_path_factory.mktemp("gsm8k")
    qs = _questions(SHOTS + N)
    with open(d / "test.jsonl", "w") as fh:
        for q, a in qs:
            fh.write(json.dumps({"question": q, "answer": f"Add them up: {a}.\n#### {a}"}) + "\n")
    (d / "answers.json").write_text(json.dumps(dict(qs)))
    return d


@pytest.fixture(scope="module")
def harness():
    return eval_env(BASE.sglang_version)


@pytest.fixture(scope="module")
def standin(data):
    argv = BASE.sglang_argv
    flags = [x for f in ("--reasoning-parser", "--tool-call-parser") if f in argv for x in (f, argv[argv.index(f) + 1])]
    s = StandIn(standin_python(BASE.sglang_version),
                "--api-key", KEY, "--served-model-name", BASE.server.served_name, *flags,
                "--answers", str(data / "answers.json"))
    yield s
    s.stop()


def _configure(standin, **rates) -> None:
    import urllib.request

    body = json.dumps({"wrong_rate": 0.0, "fail_rate": 0.0, "flaky_rate": 0.0, "fail_status": 400, **rates}).encode()
    urllib.request.urlopen(urllib.request.Request(standin.url + "/standin/config", data=body, method="POST")).close()


def _eval(harness, standin, data, monkeypatch, *extra, key=KEY):
    from modal_llm_deploy import cli

    python, overlay = harness
    monkeypatch.setenv(BASE.server.api_key_env, key)
    argv = ["eval", "glm51_fp8", "--url", standin.url, "--python", str(python), "--data", str(data / "test.jsonl"),
            *[a for p in overlay for a in ("--sys-path", p)], *[a for s in SETS for a in ("--set", s)], *extra]
    r = CliRunner().invoke(cli.app, argv, catch_exceptions=False)
    return r, r.stdout + (r.stderr if r.stderr_bytes is not None else "")


def test_correct_answers_pass(harness, standin, data, monkeypatch, tmp_path):
    _configure(standin)
    r, text = _eval(harness, standin, data, monkeypatch, "--save", str(tmp_path / "rec.json"))
    assert r.exit_code == 0, text
    rec = json.loads((tmp_path / "rec.json").read_text())
    assert rec["verdict"] == "pass" and rec["score"] == 1.0
    assert rec["examples_sent"] == N and rec["failed_requests"] == 0
    c = standin.counts()
    assert c["completions"] == N and c["answered"] == N and c["unknown_question"] == 0  # the harness asked our questions
    # the floor with its source, and the tolerance for N examples: 0.925 − 2·sqrt(0.925·0.075/40)
    assert abs(rec["threshold"] - (0.925 - 2 * (0.925 * 0.075 / N) ** 0.5)) < 1e-9
    assert "dsa_mtp_fixture.py" in rec["source"]
    assert "PASS" in text


def test_degraded_answers_fail_with_exit_1(harness, standin, data, monkeypatch, tmp_path):
    _configure(standin, wrong_rate=0.3)
    r, text = _eval(harness, standin, data, monkeypatch, "--save", str(tmp_path / "rec.json"))
    rec = json.loads((tmp_path / "rec.json").read_text())
    wrong = standin.counts()["wrong"]
    assert wrong > 0
    assert r.exit_code == 1, text
    assert rec["verdict"] == "fail-score" and rec["failed_requests"] == 0
    assert rec["score"] == pytest.approx((N - wrong) / N)
    assert "FAIL" in text and "what to suspect" in text
    assert "engine.flags.speculative-algorithm" in text  # a risky knob of the profile, with its command
    assert "glm5-fp8-kv-cache" in text  # what the known-bad table rules out


def test_failed_requests_fail_the_run_not_the_score(harness, standin, data, monkeypatch, tmp_path):
    """400s become empty answers inside run_eval (exit 0): the gate counts them on the wire."""
    _configure(standin, fail_rate=0.15, fail_status=400)
    r, text = _eval(harness, standin, data, monkeypatch, "--save", str(tmp_path / "rec.json"))
    rec = json.loads((tmp_path / "rec.json").read_text())
    failed = standin.counts()["failed"]
    assert failed > 0
    assert r.exit_code == 1, text
    assert rec["harness_exit"] == 0  # the harness itself calls it a success
    assert rec["verdict"] == "fail-run" and rec["failed_requests"] == failed
    assert rec["relay"]["statuses"].get("400") == failed
    assert "FAILED RUN" in text and f"{failed} of {N} requests failed" in text


def test_a_retried_request_is_not_a_failure(harness, standin, data, monkeypatch, tmp_path):
    """A 500 then an answer: the harness retries after 1 s; the example counts as answered."""
    _configure(standin, flaky_rate=0.1)
    r, text = _eval(harness, standin, data, monkeypatch, "--save", str(tmp_path / "rec.json"))
    rec = json.loads((tmp_path / "rec.json").read_text())
    flaked = standin.counts()["flaked"]
    assert flaked > 0
    assert r.exit_code == 0, text
    assert rec["verdict"] == "pass" and rec["failed_requests"] == 0 and rec["retried_requests"] == flaked


def test_wrong_key_is_reported_as_such(harness, standin, data, monkeypatch):
    _configure(standin)
    r, text = _eval(harness, standin, data, monkeypatch, key="not-the-key")
    assert r.exit_code == 2, text
    assert "API key was refused" in text and "score" in text and "NOT RUN" in text
    assert standin.counts()["completions"] == 0  # the harness never ran


def test_unsourced_warns_then_record_reference_makes_it_a_gate(harness, standin, data, monkeypatch, tmp_path):
    from modal_llm_deploy import cli

    _configure(standin, wrong_rate=0.1)
    unsourced = ["--set", "accuracy.quick.min_score=none", "--set", "accuracy.quick.source=unsourced",
                 "--set", "accuracy.quick.source_examples=none"]
    ref = tmp_path / "ref.toml"
    r, text = _eval(harness, standin, data, monkeypatch, *unsourced, "--record-reference", str(ref))
    assert r.exit_code == 0, text
    assert "WARN" in text and "unsourced" in text
    recorded = re.search(r"min_score = ([0-9.]+)", ref.read_text())
    assert recorded and 0 < float(recorded.group(1)) < 1
    # the recorded reference now shows in `plan`, with its source and its tolerance
    monkeypatch.setenv("COLUMNS", "400")
    r = CliRunner().invoke(cli.app, ["plan", "glm51_fp8", "--file", str(ref), *[a for s in SETS for a in ("--set", s)]],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.stdout
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("quick: gsm8k"))
    assert f"pass at ≥" in line and f"reference {float(recorded.group(1)):.3f}" in line
    assert any("source: recorded by `eval --record-reference`" in x for x in r.stdout.splitlines())


@pytest.fixture
def in_modal(harness, standin, data, monkeypatch, tmp_path):
    """The app's eval_accuracy function, its body (runtime.eval_accuracy) run in process as in
    the container — the plan from the environment, the key from the secret, the record written
    and committed on the bench volume, the data pinned on that volume. What stands in: Modal's
    far side (the server's URL, the function handle, the volume handle), and the SGLang
    image's python (the benchmark venv, its missing openai appended to sys.path by a
    sitecustomize on PYTHONPATH)."""
    import modal

    from modal_llm_deploy.cli import modal_cmds
    from modal_llm_deploy.modal_adapter import runtime
    from modal_llm_deploy.plan.models import PLAN_ENV

    python, overlay = harness
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import sys; sys.path.extend({list(overlay)!r})\n")
    monkeypatch.setenv("PYTHONPATH", str(site))
    base = build_plan(load_profile("glm51_fp8", dict(s.split("=", 1) for s in SETS)))
    mount = tmp_path / "bench"
    units = [u.model_copy(update={"volumes": [m.model_copy(update={"path": str(mount)}) for m in u.volumes]})
             if u.role == "eval" else u for u in base.units]
    plan = base.model_copy(update={"sglang_argv": [str(python), *base.sglang_argv[1:]], "units": units})
    (mount / runtime.EVAL_DATA_DIR).mkdir(parents=True)
    (mount / runtime.EVAL_DATA_DIR / "gsm8k.jsonl").write_text((data / "test.jsonl").read_text())
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv(plan.server.api_key_env, KEY)
    events, calls = [], []

    class Vol:
        def __init__(self, name):
            self.name = name

        def commit(self):
            events.append(("commit", self.name))

        def reload(self):
            events.append(("reload", self.name))

    class EvalFunction:
        def remote(self, *args):
            calls.append(args)
            return runtime.eval_accuracy(*args)

    def from_name(app, name, **kw):
        assert (app, name) == (plan.app_name, "eval_accuracy")
        return EvalFunction()

    monkeypatch.setattr(runtime, "_volume", Vol)
    monkeypatch.setattr(runtime, "_SEEN", set())
    monkeypatch.setattr(modal_cmds, "_deployed_server", lambda p: type("S", (), {"get_url": lambda self: standin.url})())
    monkeypatch.setattr(modal.Function, "from_name", from_name)
    return plan, mount, events, calls


def test_in_modal_path_runs_the_eval_unit_body(in_modal, standin):
    """``eval PROFILE`` without --url calls the app's eval_accuracy function."""
    from modal_llm_deploy import cli

    plan, mount, events, calls = in_modal
    _configure(standin, wrong_rate=0.3)
    r = CliRunner().invoke(cli.app, ["eval", "glm51_fp8", *[a for s in SETS for a in ("--set", s)]], catch_exceptions=False)
    assert calls == [(standin.url, "quick")]
    assert r.exit_code == 1, r.stdout
    (saved,) = (mount / plan.app_name / "eval").glob("*-quick.json")
    rec = json.loads(saved.read_text())
    assert rec["verdict"] == "fail-score" and rec["examples_sent"] == N and rec["failed_requests"] == 0
    assert rec["score"] == pytest.approx((N - standin.counts()["wrong"]) / N)
    assert rec["usd"] is not None and rec["wall_s"] > 0
    assert events == [("commit", plan.app_name + "-bench")]
    assert "FAIL" in r.stdout and "what to suspect" in r.stdout


def test_smoke_then_the_gate(in_modal, standin):
    """``smoke --eval``: the smoke checks, then the quick gate in Modal against the same URL."""
    from modal_llm_deploy import cli

    plan, mount, events, calls = in_modal
    _configure(standin)
    r = CliRunner().invoke(cli.app, ["smoke", "glm51_fp8", "--url", standin.url, "--eval",
                                     *[a for s in SETS for a in ("--set", s)]], catch_exceptions=False)
    assert r.exit_code == 0, r.stdout
    assert calls == [(standin.url, "quick")]
    assert "PASS quick gsm8k: score 1.0000" in r.stdout


def test_an_interpreter_without_the_harness_is_not_a_score(standin, data, monkeypatch):
    """The CLI's default --python is its own interpreter, which has no SGLang here."""
    import sys

    from modal_llm_deploy import cli

    _configure(standin)
    monkeypatch.setenv(BASE.server.api_key_env, KEY)
    r = CliRunner().invoke(cli.app, ["eval", "glm51_fp8", "--url", standin.url, "--data", str(data / "test.jsonl"),
                                     *[a for s in SETS for a in ("--set", s)]], catch_exceptions=False)
    assert r.exit_code == 2, r.stdout
    assert "NOT RUN" in r.stdout and f"the harness did not run with {sys.executable}" in r.stdout
    assert "No module named 'sglang'" in r.stdout


def test_behind_modals_proxy_auth_the_relay_sends_the_token(harness, data, monkeypatch, tmp_path):
    """serving.modal_proxy_auth: the harness sends only its Bearer key; the relay adds
    Modal-Key/Modal-Secret to each request, so the stand-in's proxy turns none away."""
    pk, ps = "wk-eval-e2e", "ws-eval-e2e"
    argv = BASE.sglang_argv
    flags = [x for f in ("--reasoning-parser", "--tool-call-parser") if f in argv for x in (f, argv[argv.index(f) + 1])]
    s = StandIn(standin_python(BASE.sglang_version),
                "--api-key", KEY, "--served-model-name", BASE.server.served_name, *flags,
                "--answers", str(data / "answers.json"), "--proxy-key", pk, "--proxy-secret", ps)
    try:
        monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_KEY", pk)
        monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_SECRET", ps)
        r, text = _eval(harness, s, data, monkeypatch, "--set", "serving.modal_proxy_auth=true",
                        "--set", "serving.proxy_auth_secret=glm51-proxy-token", "--save", str(tmp_path / "rec.json"))
        c = s.counts()
    finally:
        s.stop()
    assert r.exit_code == 0, text
    assert json.loads((tmp_path / "rec.json").read_text())["verdict"] == "pass"
    assert c["proxy_refused"] == 0 and c["completions"] == N
    assert pk not in text and ps not in text  # the token never reaches the output
