"""``bench`` end to end: SGLang 0.5.23's own serving benchmark, for real, against the stand-in.

The bench function's body (``runtime.bench``) runs in this process exactly as in the container:
it builds the argv with ``bench.bench_argv`` and runs ``python -m sglang.benchmark.serving``
— the pinned release's module, unpatched — in a venv where its imports really resolve
(tests/_support/bench_env.py says which imports force which packages, torchvision included).
The server is the OpenAI-wire stand-in built from SGLang's own protocol models and parsers
(tests/standin/lib/openai_standin.py, as in tests/test_smoke.py), with an API key, so the
Bearer header the benchmark sends from OPENAI_API_KEY is checked. The tokenizer is read from a
local "weights" directory and HF_HUB_OFFLINE=1 is set, as in the bench container. With
``--proxy-key``/``--proxy-secret`` the stand-in also plays Modal's proxy (401 without the right
Modal-Key/Modal-Secret), for serving.modal_proxy_auth=true.

What is replaced: the Modal volume handle (``runtime._volume``: the commit is recorded, not
sent) and, for the CLI test, Modal's far side — the deployed server's URL/container list and
``modal.Function.from_name("bench").remote`` — by small objects that call the real function
body in process. The modalbox control plane answers function calls with configured outcomes
only and has no FlashContainerList, so it could not carry this call through.

Slow on first use: the one harness env (tests/_support/sglang_env.py: torch 2.14.1 +
torchvision 0.29.1 with their CUDA libraries, ~6 GB) is built once under .cache/sglang-env/.
"""

from __future__ import annotations

import json
import re

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.modal_adapter import runtime
from modal_llm_deploy.operate.bench import rows_from_records
from modal_llm_deploy.plan.cost import container_usd_per_hour
from modal_llm_deploy.plan.models import PLAN_ENV

from _support.bench_env import bench_env_python, make_tokenizer
from _support.standin_openai import StandIn, standin_python

# The first test builds the benchmark venv in its setup (~4 min here from pip's cache; a cold
# CI machine downloads ~6 GB): beyond the suite's 300 s default. Later runs take ~40 s in all.
pytestmark = pytest.mark.timeout(1800)

KEY = "bench-test-key-456"
BASE = build_plan(load_profile("glm51_fp8"))
PROXY_KEY, PROXY_SECRET = "wk-bench-e2e-id", "ws-bench-e2e-secret"
PROXY_SETS = {"serving.modal_proxy_auth": True, "serving.proxy_auth_secret": "glm51-proxy-token"}
INPUT_LEN, OUTPUT_LEN = 16, 8


@pytest.fixture(scope="module")
def bench_python():
    return bench_env_python(BASE.sglang_version)


def _standin(sglang_parser, *extra):
    argv = BASE.sglang_argv
    flags = []
    for f in ("--reasoning-parser", "--tool-call-parser"):  # what the profile gives SGLang
        if f in argv:
            flags += [f, argv[argv.index(f) + 1]]
    return StandIn(standin_python(BASE.sglang_version), "--api-key", KEY,
                   "--served-model-name", BASE.server.served_name, *flags, *extra)


@pytest.fixture(scope="module")
def standin(sglang_parser):
    s = _standin(sglang_parser)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def proxied(sglang_parser):
    """The stand-in behind a stand-in of Modal's proxy (serving.modal_proxy_auth=true)."""
    s = _standin(sglang_parser, "--proxy-key", PROXY_KEY, "--proxy-secret", PROXY_SECRET)
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


def _container(tmp_path, monkeypatch, bench_python, base):
    """The bench container's view: the plan in the environment (its python → the benchmark
    venv, its weights dir → a local tokenizer), the API key from the secret, hub offline."""
    weights = make_tokenizer(bench_python, tmp_path / "weights")
    # the bench unit's results volume mounted at a local directory (runtime.bench writes where the plan mounts it)
    units = [u.model_copy(update={"volumes": [m.model_copy(update={"path": str(tmp_path / "bench")}) if not m.read_only
                                              else m for m in u.volumes]}) if u.role == "bench" else u
             for u in base.units]
    plan = base.model_copy(update={
        "weights": base.weights.model_copy(update={"dir": str(weights)}),
        "sglang_argv": [str(bench_python), *base.sglang_argv[1:]],
        "units": units,
    })
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv(plan.server.api_key_env, KEY)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("PYTHONPATH", raising=False)
    vols = Volumes()
    monkeypatch.setattr(runtime, "_volume", vols)
    monkeypatch.setattr(runtime, "_SEEN", set())
    return plan, vols, tmp_path / "bench"


@pytest.fixture
def container(tmp_path, monkeypatch, bench_python):
    return _container(tmp_path, monkeypatch, bench_python, BASE)


@pytest.fixture
def proxied_container(tmp_path, monkeypatch, bench_python):
    """The same with Modal proxy auth: the token's two variables from the bench unit's secret."""
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_KEY", PROXY_KEY)
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_SECRET", PROXY_SECRET)
    return _container(tmp_path, monkeypatch, bench_python, build_plan(load_profile("glm51_fp8", PROXY_SETS)))


def test_cli_runs_the_real_benchmark_and_prints_the_table(container, standin, monkeypatch, tmp_path):
    """One real run at concurrency 1 and 2, through the CLI: records, volume, rows, table."""
    from typer.testing import CliRunner

    import modal

    from modal_llm_deploy import cli
    from modal_llm_deploy.cli import operate as cli_operate

    plan, vols, mount = container
    assert plan.server.auth == "api_key"
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

    # what SGLang's benchmark wrote
    assert [r["max_concurrency"] for r in records] == [1, 2]
    for rec in records:
        assert rec["backend"] == "sglang-oai-chat" and rec["dataset_name"] == "random-ids"
        assert rec["completed"] == max(10, 5 * rec["max_concurrency"])  # bench_argv's --num-prompts, all answered
        assert (rec["random_input_len"], rec["random_output_len"]) == (INPUT_LEN, OUTPUT_LEN)
        assert rec["total_input_tokens"] == INPUT_LEN * rec["completed"]  # counted with the local tokenizer
        assert rec["output_throughput"] > 0 and 0 < rec["median_ttft_ms"] <= rec["p99_ttft_ms"]
        assert 0 < rec["median_itl_ms"] <= rec["p99_itl_ms"] and rec["median_tpot_ms"] > 0
    # the JSONL file on the bench volume holds the same records, and was committed
    (jsonl,) = (mount / plan.app_name).glob("*.jsonl")
    assert [json.loads(x) for x in jsonl.read_text().splitlines()] == records
    assert vols.events == [("commit", plan.app_name + "-bench")]

    # the rows: figures copied from the records, $/Mtok from the plan's $/h
    rows = rows_from_records(BASE, records)
    rate = container_usd_per_hour(BASE)
    for row, rec in zip(rows, records):
        assert row.concurrency == rec["max_concurrency"]
        assert (row.ttft_p50_ms, row.ttft_p99_ms) == (rec["median_ttft_ms"], rec["p99_ttft_ms"])
        assert (row.tpot_p50_ms, row.tpot_p99_ms) == (rec["median_tpot_ms"], rec["p99_tpot_ms"])
        assert (row.itl_p50_ms, row.itl_p99_ms) == (rec["median_itl_ms"], rec["p99_itl_ms"])
        assert row.output_tok_per_s == rec["output_throughput"]
        assert row.usd_per_mtok_output == pytest.approx(rate / (rec["output_throughput"] * 3600 / 1e6))

    # the table the CLI printed
    assert "TTFT p50/p99 ms" in r.output and "$/Mtok out" in r.output
    for row in rows:  # each row's figures, as the table formats them
        line = next(ln for ln in r.output.splitlines() if re.match(rf"\W*{row.concurrency}\s*│", ln))
        assert f"{row.ttft_p50_ms:,.0f} / {row.ttft_p99_ms:,.0f}" in line
        assert f"{row.itl_p50_ms:.1f} / {row.itl_p99_ms:.1f}" in line
        assert f"{row.usd_per_mtok_output:,.2f}" in line
    assert f"${BASE.cost.server_usd_per_hour:.2f}/h" in r.output


def test_a_wrong_key_fails_the_bench_call_at_once(container, standin, monkeypatch, capsys):
    """Without the pre-check the benchmark would poll /v1/models for 60 s on the 401 and then
    say only that the server is not ready."""
    plan, vols, mount = container
    monkeypatch.setenv(plan.server.api_key_env, "not-the-key")
    with pytest.raises(SystemExit) as exc:
        runtime.bench(standin.url, [1], INPUT_LEN, OUTPUT_LEN)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "answered /v1/models with 401: the API key was refused" in err
    assert plan.server.api_key_secret in err and "not-the-key" not in err
    assert vols.events == [] and not mount.exists()  # nothing run, nothing committed


def test_proxy_auth_bench_runs_the_real_benchmark_through_the_proxy(proxied_container, proxied, monkeypatch,
                                                                    capfd):
    """serving.modal_proxy_auth=true: the real SGLang benchmark sends the token from the bench
    unit's secret as Modal-Key/Modal-Secret (its ``--header`` option) on every benchmark request,
    through the CLI; the values are masked in everything printed."""
    from typer.testing import CliRunner

    import modal

    from modal_llm_deploy import cli
    from modal_llm_deploy.cli import operate as cli_operate

    plan, vols, mount = proxied_container
    assert plan.unit("bench").secrets == ["glm51-api-key", "glm51-proxy-token"]

    class DeployedServer:
        def get_url(self):
            return proxied.url

        def _experimental_list_containers(self):
            return ["one container up"]

    class BenchFunction:
        def remote(self, *args):
            return runtime.bench(*args)

    monkeypatch.setattr(cli_operate, "_deployed_server", lambda p: DeployedServer())
    monkeypatch.setattr(modal.Function, "from_name", lambda app_name, name, **kw: BenchFunction())
    monkeypatch.setenv("COLUMNS", "200")
    before = proxied.counts()
    saved = proxied_container[2].parent / "records.jsonl"
    sets = [a for k, v in PROXY_SETS.items() for a in ("--set", f"{k}={str(v).lower() if v is True else v}")]
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8", *sets, "--concurrency", "1,2", "--input-len",
                                     str(INPUT_LEN), "--output-len", str(OUTPUT_LEN), "--save", str(saved)])
    assert r.exit_code == 0, r.output
    records = [json.loads(x) for x in saved.read_text().splitlines()]
    assert [rec["max_concurrency"] for rec in records] == [1, 2]
    for rec in records:  # every prompt answered: each benchmark request got past the proxy
        assert rec["completed"] == max(10, 5 * rec["max_concurrency"])
        assert rec["output_throughput"] > 0 and rec["median_ttft_ms"] > 0
        # sglang/benchmark/serving.py reads /server_info with get_auth_headers() (no --header):
        # the proxy refuses it, so SGLang records no accept length / server info
        assert rec["accept_length"] is None and rec["server_info"] is None
    after = proxied.counts()
    # the only requests the proxy turned away: those two /server_info reads per run
    assert after["proxy_refused"] - before["proxy_refused"] == 2 * len(records)
    assert vols.events == [("commit", plan.app_name + "-bench")]
    printed = r.output + "".join(capfd.readouterr())
    assert "Modal-Key=***" in printed and "Modal-Secret=***" in printed  # our argv line and SGLang's args, masked
    (jsonl,) = (mount / plan.app_name).glob("*.jsonl")
    for value in (PROXY_KEY, PROXY_SECRET, KEY):
        assert value not in printed and value not in jsonl.read_text()


@pytest.mark.parametrize("which", ["proxy_secret", "api_key"])
def test_a_wrong_proxy_token_or_key_behind_the_proxy_fails_at_once(proxied_container, proxied, monkeypatch,
                                                                  capsys, which):
    """A wrong proxy token is named as such (not a dead server, not a wrong API key); a wrong
    API key behind a right token is the key's fault. Either way nothing runs."""
    plan, vols, mount = proxied_container
    wrong = "ws-or-key-that-is-wrong"
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_SECRET" if which == "proxy_secret" else plan.server.api_key_env, wrong)
    with pytest.raises(SystemExit) as exc:
        runtime.bench(proxied.url, [1], INPUT_LEN, OUTPUT_LEN)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    if which == "api_key":
        assert "answered /v1/models with 401: the API key was refused" in err and plan.server.api_key_secret in err
    else:
        assert "Modal's proxy answered /health with 401: the proxy token was refused" in err
        assert "'glm51-proxy-token'" in err
    for value in (wrong, PROXY_KEY, PROXY_SECRET, KEY):
        assert value not in err
    assert vols.events == [] and not mount.exists()


_DATASET_PROBE = r'''
import argparse, json, sys
from transformers import AutoTokenizer
from sglang.benchmark.datasets.random import RandomDataset
tok = AutoTokenizer.from_pretrained(sys.argv[1])
out = {}
for name in ("random", "random-ids"):
    ns = argparse.Namespace(random_input_len=8, random_output_len=4, num_prompts=2, random_range_ratio=1.0,
                            dataset_path="", dataset_name=name)
    try:
        out[name] = {"ok": True, "rows": len(RandomDataset.from_args(ns).load(tok))}
    except Exception as e:
        out[name] = {"ok": False, "error": type(e).__name__}
print(json.dumps(out))
'''


def test_random_needs_the_hub_and_random_ids_does_not(bench_python, tmp_path):
    """Why bench_argv says ``--dataset-name random-ids``: with the hub offline, as in the bench
    container, SGLang's ``random`` dataset cannot fetch its ShareGPT text; ``random-ids`` needs
    only the tokenizer."""
    import os
    import subprocess

    weights = make_tokenizer(bench_python, tmp_path / "weights")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))  # an empty cache: nothing to fall back on
    r = subprocess.run([str(bench_python), "-c", _DATASET_PROBE, str(weights)], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["random"] == {"ok": False, "error": "LocalEntryNotFoundError"}  # huggingface_hub, offline
    assert out["random-ids"] == {"ok": True, "rows": 2}
