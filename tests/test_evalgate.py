"""The accuracy gate's pure parts: the profile section, the threshold and its tolerance, the
verdict, the counting relay (against a local upstream), the reference file, the plan unit and
the fix lines. The harness itself runs in tests/test_eval_e2e.py."""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.operate.eval_relay import Relay
from modal_llm_deploy.operate.evalgate import (
    GateRecord,
    decide,
    harness_argv,
    harness_failures,
    reference_overrides,
    reference_toml,
    result_file,
    threshold,
)
from modal_llm_deploy.plan.accuracy import eval_concurrency, estimate
from modal_llm_deploy.plan.commands import accuracy_fix_lines, eval_command
from modal_llm_deploy.profile.overrides import OverrideError
from modal_llm_deploy.profile.sections import AccuracyTier

GLM = load_profile("glm51_fp8")
QUICK = GLM.accuracy.quick


def test_bundled_quick_tier_is_sglangs_dsa_fixture_gate():
    """The figures SGLang's own DSA + MTP fixture asserts (sglang 0.5.23
    sglang/test/server_fixtures/dsa_mtp_fixture.py, kits/eval_accuracy_kit.py GSM8KMixin)."""
    assert (QUICK.eval, QUICK.examples, QUICK.num_shots, QUICK.api, QUICK.max_tokens) == ("gsm8k", 500, 20, "completion", 512)
    assert QUICK.min_score == 0.925 and QUICK.source_kind == "floor" and QUICK.source_examples == 500
    assert "dsa_mtp_fixture.py" in QUICK.source


def test_the_sources_figures_are_the_pinned_packages(sglang_parser):
    """Read the fixture and the kit in the pinned SGLang's own files (ast, no import): the
    profile's numbers must be theirs."""
    import ast
    import subprocess
    from pathlib import Path

    py = sglang_parser(GLM.engine.sglang_version)
    r = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('sglang').submodule_search_locations[0])"],
                       capture_output=True, text=True, cwd="/", check=True)
    test_dir = Path(r.stdout.strip()) / "test"
    tree = ast.parse((test_dir / "server_fixtures" / "dsa_mtp_fixture.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DsaMtpEvalConfigDefaults")
    values = {t.targets[0].id: ast.literal_eval(t.value) for t in cls.body if isinstance(t, ast.Assign)}
    assert (values["gsm8k_accuracy_thres"], values["gsm8k_num_questions"], values["gsm8k_num_shots"]) == (
        QUICK.min_score, QUICK.source_examples, QUICK.num_shots)
    kit = (test_dir / "kits" / "eval_accuracy_kit.py").read_text()
    mixin = kit[kit.index("class GSM8KMixin"):kit.index("class MMLUMixin")]
    assert 'api="completion"' in mixin and "max_tokens=512" in mixin  # the run_eval backend's settings
    assert QUICK.api == "completion" and QUICK.max_tokens == 512


def test_tolerance_is_two_standard_errors_of_the_run():
    t = threshold(QUICK)
    se = math.sqrt(0.925 * 0.075 / 500)
    assert t.tolerance == pytest.approx(2 * se) and t.value == pytest.approx(0.925 - 2 * se)
    assert round(t.value, 3) == 0.901
    # fewer examples → wider tolerance; a reference adds its own sample's error
    assert threshold(QUICK, 100).value < t.value
    ref = QUICK.model_copy(update={"source_kind": "reference"})
    assert threshold(ref).value == pytest.approx(0.925 - 2 * math.sqrt(0.925 * 0.075 * (2 / 500)))


def test_unsourced_tier_has_no_threshold_and_warns():
    t = AccuracyTier(eval="gsm8k", examples=50)
    th = threshold(t)
    assert th.value is None and th.source == "unsourced" and "--record-reference" in th.how
    rec = decide(GateRecord("p", "quick", "gsm8k", "u", examples_asked=50, examples_sent=50, score=0.1, harness_exit=0), t)
    assert rec.verdict == "warn-unsourced" and rec.ok


@pytest.mark.parametrize("fields, verdict", [
    (dict(score=0.95), "pass"),
    (dict(score=0.85), "fail-score"),
    (dict(score=0.99, failed_requests=1), "fail-run"),  # a failed request fails the run whatever the score
    (dict(score=0.99, examples_sent=400), "fail-run"),  # run_eval caps silently at the data's length
    (dict(score=None), "fail-run"),
    (dict(score=0.99, harness_exit=1), "fail-run"),
])
def test_verdicts(fields, verdict):
    base = dict(profile="p", tier="quick", eval="gsm8k", base_url="u", examples_asked=500, examples_sent=500, harness_exit=0)
    rec = decide(GateRecord(**{**base, **fields}), QUICK)
    assert rec.verdict == verdict
    assert bool(rec.problems) == (verdict == "fail-run")


def test_section_errors_name_the_field():
    with pytest.raises(ValueError, match="needs its source"):
        load_profile("glm51_fp8", {"accuracy.quick.source": "unsourced"})
    with pytest.raises(ValueError, match="without min_score"):
        load_profile("glm51_fp8", {"accuracy.quick.min_score": None})
    with pytest.raises(ValueError, match="api=chat"):
        load_profile("glm51_fp8", {"accuracy.thorough.api": "completion"})
    with pytest.raises(ValueError, match="accuracy.quick.eval"):
        load_profile("glm51_fp8", {"accuracy.quick.eval": "hellaswag"})
    with pytest.raises((ValueError, OverrideError), match="accuracy.quick"):
        load_profile("glm51_fp8", {"accuracy.quick.bogus": 1})


def test_harness_argv_and_result_file():
    argv = harness_argv("python3", "http://h:1/", "glm-5.1", QUICK, 36, data_path="/d/test.jsonl")
    assert argv[:3] == ["python3", "-m", "sglang.test.run_eval"]
    pairs = dict(zip(argv[3::2], argv[4::2]))
    assert pairs == {"--base-url": "http://h:1", "--model": "glm-5.1", "--eval-name": "gsm8k", "--api": "completion",
                     "--num-examples": "500", "--num-threads": "36", "--max-tokens": "512", "--repeat": "1",
                     "--num-shots": "20", "--gsm8k-data-path": "/d/test.jsonl"}
    # sglang/test/run_eval.py: file_stem = f"{args.eval_name}_{sampler.model.replace('/', '_')}"
    assert str(result_file("gsm8k", "org/m")) == "/tmp/gsm8k_org_m.json"
    with pytest.raises(ValueError, match="sgl-eval"):
        harness_argv("python3", "http://h", "m", GLM.accuracy.thorough, 36)


def test_harness_failure_lines_are_counted():
    out = "ok\nBad Request Error Error code: 400\nRate limit exception so wait and retry 0\n" \
          "All retry attempts exhausted for request. Returning empty response.\n"
    assert harness_failures(out) == 2


def test_eval_never_wakes_a_second_replica():
    """Requests in flight stay below Modal's scale-out target (render sends target_concurrency)."""
    plan = build_plan(GLM)
    assert eval_concurrency(plan.server.target_concurrency) == int(plan.server.target_concurrency) == 36
    e = estimate(QUICK, plan.server.target_concurrency, 50.0, tpot_s=0.04)
    assert (e.requests, e.concurrency, e.wall_s) == (500, 36, math.ceil(14 * 512 * 0.04))
    assert e.usd == pytest.approx(50.0 * e.wall_s / 3600)


def test_plan_has_the_eval_unit_in_the_servers_region():
    plan = build_plan(load_profile("glm51_fp8", {"serving.compute_region": "us-east-1", "serving.modal_proxy_auth": True,
                                                 "serving.proxy_auth_secret": "tok"}))
    u = plan.unit("eval")
    assert (u.name, u.image, u.gpu, u.region) == ("eval_accuracy", "sglang", None, "us-east-1")
    assert u.secrets == ["glm51-api-key", "tok"]
    assert [m.volume for m in u.volumes] == [plan.unit("bench").volumes[1].volume]  # next to the bench results
    assert plan.accuracy.quick == QUICK
    # no tier → no unit
    bare = build_plan(load_profile("glm51_fp8", {"accuracy.quick": None, "accuracy.thorough": None}))
    assert all(x.role != "eval" for x in bare.units)


class _Upstream:
    """A tiny server: POST answers 200, or the status named in the body's "status"."""

    def __init__(self):
        self.seen: list[dict] = []
        up = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                up.seen.append(dict(self.headers))
                status = body.get("status", 200)
                data = b'{"ok": true}'
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"


def _post(url: str, body: dict, headers: dict | None = None) -> int:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code


def test_relay_counts_final_outcomes_and_adds_proxy_headers():
    up = _Upstream()
    with Relay(up.url, add_headers={"Modal-Key": "wk-1", "Modal-Secret": "ws-1"}) as r:
        u = r.url + "/v1/completions"
        assert _post(u, {"q": 1}, {"Authorization": "Bearer k"}) == 200
        assert _post(u, {"q": 2, "status": 400}) == 400  # fails for good
        assert _post(u, {"q": 3, "status": 500}) == 500
        assert _post(u, {"q": 3, "status": 500}) == 500  # the same request, retried, still failing
        assert _post(u, {"q": 4, "status": 503}) == 503
        assert _post(u, {"q": 4, "status": 503}) == 503
        assert _post(r.url + "/other", {"q": 5}) == 200  # not an example endpoint: not counted
    c = r.counts
    assert (c.examples, c.failed, c.tries, c.retried) == (4, 3, 6, 2)
    c.repeats = 2  # run_eval --repeat 2 sends each body twice: one answer of q1 is one failed request
    assert (c.examples, c.failed) == (8, 1 + 2 + 2 + 2)
    assert all(h.get("Modal-Key") == "wk-1" and h.get("Modal-Secret") == "ws-1" for h in up.seen)
    assert up.seen[0]["Authorization"] == "Bearer k"  # the harness's own key passes through
    up.srv.shutdown()


def test_relay_reports_an_unreachable_server_as_failed_requests():
    with Relay("http://127.0.0.1:9", timeout_s=2) as r:
        assert _post(r.url + "/v1/completions", {"q": 1}) == 502
    assert r.counts.failed == 1 and r.counts.upstream_errors


def test_reference_file_round_trips_through_the_profile(tmp_path):
    rec = decide(GateRecord("glm51_fp8", "quick", "gsm8k", "http://x", examples_asked=500, examples_sent=500,
                            score=0.9512, harness_exit=0), QUICK)
    f = tmp_path / "ref.toml"
    f.write_text(reference_toml(reference_overrides(rec)))
    t = load_profile("glm51_fp8", file=f).accuracy.quick
    assert (t.min_score, t.source_kind, t.source_examples) == (0.9512, "reference", 500)
    assert "recorded by `eval --record-reference`" in t.source
    failed = decide(GateRecord("glm51_fp8", "quick", "gsm8k", "u", examples_asked=500, examples_sent=500, score=0.99,
                               failed_requests=3, harness_exit=0), QUICK)
    with pytest.raises(ValueError, match="failed run"):
        reference_overrides(failed)


def test_fix_lines_name_the_users_override_first_and_never_a_refused_command():
    p = load_profile("glm51_fp8", {"engine.flags.dsa-decode-backend": "tilelang"})
    lines = accuracy_fix_lines(p)
    assert lines[0].startswith("you override engine.flags.dsa-decode-backend=tilelang")
    assert "modal-llm-deploy deploy glm51_fp8, then modal-llm-deploy eval glm51_fp8" in lines[0]
    kv = next(x for x in lines if "kv-cache-dtype" in x and "engine.flags.kv-cache-dtype=bf16" in x)
    assert "refused" in kv and "--set" not in kv  # SGLang's default on B200 is an FP8 cache: known-bad
    assert any(x.startswith("ruled out") and "glm5-fp8-kv-cache" in x for x in lines)
    assert eval_command(p) == "modal-llm-deploy eval glm51_fp8 --set engine.flags.dsa-decode-backend=tilelang"


def test_docs_table_comes_from_the_code():
    """docs/accuracy.md's tier table: each row as the code computes it for the bundled profiles."""
    from conftest import REPO

    doc = (REPO / "docs" / "accuracy.md").read_text()
    for name in ("glm51_fp8", "glm51_fp8_h200"):
        p = build_plan(load_profile(name))
        for tn in ("quick", "thorough"):
            t = getattr(p.accuracy, tn)
            e = estimate(t, p.server.target_concurrency, p.cost.server_usd_per_hour * p.topology.nodes)
            shots = t.num_shots if t.num_shots is not None else "-"
            row = (f"| `{name}` | {tn} | {t.eval} | {t.examples} | {shots} | {t.api} | {t.min_score:.3f} ({t.source_kind}) "
                   f"| ≥ {threshold(t).value:.3f} | {e.concurrency} | ≤ {e.wall_s / 60:.0f} min | ${e.usd:,.2f} |")
            assert row in doc, row


def test_thorough_tier_prints_its_cost_then_says_it_cannot_run(monkeypatch):
    from typer.testing import CliRunner

    from modal_llm_deploy import cli

    monkeypatch.setenv("COLUMNS", "300")
    r = CliRunner().invoke(cli.app, ["eval", "glm51_fp8", "--tier", "thorough", "--yes"])
    assert r.exit_code == 2
    assert "gpqa × 198" in r.stdout and "pass at ≥ 0.813" in r.stdout and "≈ $225.01" in r.stdout
    assert "does not drive yet" in r.stderr
    r = CliRunner().invoke(cli.app, ["eval", "glm51_fp8", "--set", "accuracy.thorough=none", "--tier", "thorough"])
    assert r.exit_code == 2 and "has no accuracy.thorough tier" in r.stderr
