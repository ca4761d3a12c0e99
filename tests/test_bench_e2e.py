"""``bench`` end to end: SGLang 0.5.23's own serving benchmark, for real, against the stand-in.

The bench function's body (``runtime.bench``) runs in this process exactly as in the container:
it builds the argv with ``bench.bench_argv`` and runs ``python -m sglang.benchmark.serving``
— the pinned release's module, unpatched — in a venv where its imports really resolve
(tests/_support/bench_env.py says which imports force which packages, torchvision included).
The server is the OpenAI-wire stand-in built from SGLang's own protocol models and parsers
(tests/standin/lib/openai_standin.py, as in tests/test_smoke.py), with an API key, so the
Bearer header the benchmark sends from OPENAI_API_KEY is checked. The tokenizer is read from a
local "weights" directory and HF_HUB_OFFLINE=1 is set, as in the bench container.

What is replaced: the Modal volume handle (``runtime._volume``: the commit is recorded, not
sent) and, for the CLI test, Modal's far side — the deployed server's URL/container list and
``modal.Function.from_name("bench").remote`` — by small objects that call the real function
body in process. The modalbox control plane answers function calls with configured outcomes
only and has no FlashContainerList, so it could not carry this call through.

Slow on first use: the benchmark venv (~5.5 GB, torch 2.14.1 + torchvision 0.29.1) is built
once under .cache/.
"""

from __future__ import annotations

import json
import re

import pytest

from modal_llm_deploy import build_plan, load_profile, runtime
from modal_llm_deploy import bench as bench_mod
from modal_llm_deploy.bench import rows_from_records
from modal_llm_deploy.cost import container_usd_per_hour, usd_per_mtok
from modal_llm_deploy.plan import PLAN_ENV

from _support.bench_env import bench_env_python, make_tokenizer
from _support.standin_openai import StandIn, ensure_overlay
from conftest import REPO

KEY = "bench-test-key-456"
BASE = build_plan(load_profile("glm51_fp8"))
INPUT_LEN, OUTPUT_LEN = 16, 8


@pytest.fixture(scope="module")
def bench_python():
    return bench_env_python(BASE.sglang_version, REPO / ".cache")


@pytest.fixture(scope="module")
def standin(sglang_parser):
    overlay = ensure_overlay(REPO / ".cache" / "standin-openai-overlay")
    argv = BASE.sglang_argv
    flags = []
    for f in ("--reasoning-parser", "--tool-call-parser"):  # what the profile gives SGLang
        if f in argv:
            flags += [f, argv[argv.index(f) + 1]]
    s = StandIn(sglang_parser(BASE.sglang_version), overlay, "--api-key", KEY,
                "--served-model-name", BASE.server.served_name, *flags)
    yield s
    s.stop()


class Volumes:
    """Stands in for ``modal.Volume.from_name``: records reloads and commits."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []

    def __call__(self, name: str):
        vols = self

        class V:
            def commit(self):
                vols.events.append(("commit", name))

            def reload(self):
                vols.events.append(("reload", name))

        return V()


@pytest.fixture
def container(tmp_path, monkeypatch, bench_python):
    """The bench container's view: the plan in the environment (its python → the benchmark
    venv, its weights dir → a local tokenizer), the API key from the secret, hub offline."""
    weights = make_tokenizer(bench_python, tmp_path / "weights")
    plan = BASE.model_copy(update={
        "weights": BASE.weights.model_copy(update={"dir": str(weights)}),
        "sglang_argv": [str(bench_python), *BASE.sglang_argv[1:]],
    })
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv(plan.server.api_key_env, KEY)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setattr(bench_mod, "BENCH_MOUNT", str(tmp_path / "bench"))
    vols = Volumes()
    monkeypatch.setattr(runtime, "_volume", vols)
    monkeypatch.setattr(runtime, "_SEEN", set())
    return plan, vols, tmp_path / "bench"


def test_real_benchmark_against_the_standin(container, standin):
    plan, vols, mount = container
    assert plan.server.auth == "api_key"
    records = runtime.bench(standin.url, [1, 2], INPUT_LEN, OUTPUT_LEN)

    assert [r["max_concurrency"] for r in records] == [1, 2]
    for r in records:
        assert r["backend"] == "sglang-oai-chat" and r["dataset_name"] == "random-ids"
        assert r["completed"] == max(10, 5 * r["max_concurrency"])  # bench_argv's --num-prompts, all answered
        assert (r["random_input_len"], r["random_output_len"]) == (INPUT_LEN, OUTPUT_LEN)
        assert r["total_input_tokens"] == INPUT_LEN * r["completed"]
        assert r["output_throughput"] > 0 and 0 < r["median_ttft_ms"] <= r["p99_ttft_ms"]
        assert 0 < r["median_itl_ms"] <= r["p99_itl_ms"] and r["median_tpot_ms"] > 0
    # the JSONL file on the bench volume holds the same records, and was committed
    (jsonl,) = (mount / plan.app_name).glob("*.jsonl")
    assert [json.loads(x) for x in jsonl.read_text().splitlines()] == records
    assert vols.events == [("commit", plan.app_name + "-bench")]

    rows = rows_from_records(plan, records)
    rate = container_usd_per_hour(plan)
    for row, r in zip(rows, records):
        assert row.concurrency == r["max_concurrency"]
        assert (row.ttft_p50_ms, row.ttft_p99_ms) == (r["median_ttft_ms"], r["p99_ttft_ms"])
        assert (row.tpot_p50_ms, row.itl_p99_ms) == (r["median_tpot_ms"], r["p99_itl_ms"])
        assert row.output_tok_per_s == r["output_throughput"]
        assert row.usd_per_mtok_output == pytest.approx(rate / (r["output_throughput"] * 3600 / 1e6))
        assert row.usd_per_mtok_output == pytest.approx(usd_per_mtok(rate, r["output_throughput"]))


def test_a_wrong_key_fails_the_bench_call(container, standin, monkeypatch, capsys):
    plan, vols, _ = container
    monkeypatch.setenv(plan.server.api_key_env, "not-the-key")
    with pytest.raises(SystemExit) as exc:
        runtime.bench(standin.url, [1], INPUT_LEN, OUTPUT_LEN)
    assert exc.value.code == 1
    assert "ERROR: bench_serving failed at concurrency 1" in capsys.readouterr().err
    assert vols.events == []  # nothing committed


def test_cli_prints_the_table_from_the_real_run(container, standin, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import modal

    from modal_llm_deploy import cli
    from modal_llm_deploy.cli import operate as cli_operate

    plan, _, _ = container
    remote_calls = []

    class DeployedServer:
        def get_url(self):
            return standin.url

        def _experimental_list_containers(self):  # modal 1.6 _Server, experimental
            return ["one container up"]

    class BenchFunction:
        def remote(self, *args):
            remote_calls.append(args)
            return runtime.bench(*args)  # the function body, in process

    def from_name(app_name, name, **kw):
        assert (app_name, name) == (plan.app_name, "bench")
        return BenchFunction()

    monkeypatch.setattr(cli_operate, "_deployed_server", lambda p: DeployedServer())
    monkeypatch.setattr(modal.Function, "from_name", from_name)
    monkeypatch.setenv("COLUMNS", "200")
    saved = tmp_path / "records.jsonl"
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8", "--concurrency", "1,2", "--input-len", str(INPUT_LEN),
                                     "--output-len", str(OUTPUT_LEN), "--save", str(saved)])
    assert r.exit_code == 0, r.output
    assert remote_calls == [(standin.url, [1, 2], INPUT_LEN, OUTPUT_LEN)]
    records = [json.loads(x) for x in saved.read_text().splitlines()]
    rows = rows_from_records(BASE, records)
    assert "TTFT p50/p99 ms" in r.output and "$/Mtok out" in r.output
    for row in rows:  # each row's figures, as the table formats them
        line = next(ln for ln in r.output.splitlines() if re.match(rf"\W*{row.concurrency}\s*│", ln))
        assert f"{row.ttft_p50_ms:,.0f} / {row.ttft_p99_ms:,.0f}" in line
        assert f"{row.itl_p50_ms:.1f} / {row.itl_p99_ms:.1f}" in line
        assert f"{row.usd_per_mtok_output:,.2f}" in line
    assert f"${BASE.cost.server_usd_per_hour:.2f}/h" in r.output
