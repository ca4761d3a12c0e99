"""bench: the argv is proven by the pinned SGLang's own benchmark parser; figures are computed.

The benchmark itself runs end to end in tests/test_bench_e2e.py (in its own venv: importing
``sglang.benchmark.serving`` pulls torchvision and datasets, which the CPU-only parser venv used
here does not have). What is proven here, cheaply: the argv (real parser), the record keys we
read (present in the pinned source's result dict), the $/Mtok arithmetic, the refusal paths of
the CLI and the Modal function registration.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.operate.bench import (
    BACKEND,
    BENCH_MODULE,
    bench_argv,
    check_bench_argv,
    cold_start_cost,
    parse_concurrency,
    rows_from_records,
)
from modal_llm_deploy.plan.cost import container_usd_per_hour
from modal_llm_deploy.modal_adapter.render import built, render

from conftest import BUNDLED, REPO

CLI = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "modal-llm-deploy")
URL = "https://ws--glm-5-1-production-server.modal.run"
PROXY = {"Modal-Key": "wk-bench-test-id", "Modal-Secret": "ws-bench-test-secret"}
PROXY_SETS = ["--set", "serving.modal_proxy_auth=true", "--set", "serving.proxy_auth_secret=glm51-proxy-token"]


@pytest.fixture(scope="module")
def checked(sglang_parser):
    argvs = {}
    for name in BUNDLED:
        plan = build_plan(load_profile(name))
        for c in (1, 8, 48):
            argvs[f"{name}:c{c}"] = bench_argv(plan, URL, c, 1024, 512, f"/bench/{name}.jsonl")
    plan = build_plan(load_profile("glm51_fp8"))
    good = argvs["glm51_fp8:c8"]
    argvs["abbrev"] = good + ["--max-conc", "4"]  # an abbreviation argparse would accept
    argvs["backend"] = [BACKEND + "-x" if a == BACKEND else a for a in good]
    argvs["unknown"] = good + ["--tp-size", "8"]  # a server flag, not a benchmark flag
    argvs["proxy"] = bench_argv(plan, URL, 8, 1024, 512, "/bench/p.jsonl", headers=PROXY)
    return plan, check_bench_argv(sglang_parser(plan.sglang_version), argvs)


def test_bench_argv_parses_with_the_pinned_parser(checked):
    plan, r = checked
    assert r["structure"] == "ok"
    for name in BUNDLED:
        p = build_plan(load_profile(name))
        for c in (1, 8, 48):
            res = r["results"][f"{name}:c{c}"]
            assert res["ok"], res["problems"]
            v = res["values"]
            assert v["backend"] == "sglang-oai-chat" and v["base_url"] == URL and v["model"] == p.server.served_name
            assert v["tokenizer"] == p.weights.dir  # from the weights volume, never the hub
            assert v["max_concurrency"] == c and v["num_prompts"] >= 5 * c and v["dataset_name"] == "random-ids"
            assert v["random_input_len"] == 1024 and v["random_output_len"] == 512
            assert v["output_file"] == f"/bench/{name}.jsonl"


def test_proxy_headers_reach_the_pinned_parser_as_header_options(checked):
    """Modal's proxy-auth headers go to SGLang's benchmark the one way it takes extra headers,
    ``--header Key=Value ...`` (sglang/benchmark/serving.py 0.5.23), with its readiness poll
    skipped (it sends only the Bearer key: through the proxy it would see 401 for 60 s)."""
    _, r = checked
    res = r["results"]["proxy"]
    assert res["ok"], res["problems"]
    assert res["values"]["header"] == ["Modal-Key=wk-bench-test-id", "Modal-Secret=ws-bench-test-secret"]
    assert res["values"]["ready_check_timeout_sec"] == 0
    assert res["values"]["max_concurrency"] == 8  # the options before --header are intact
    assert "header" not in r["results"]["glm51_fp8:c8"]["values"] or r["results"]["glm51_fp8:c8"]["values"]["header"] is None


def test_the_checker_rejects_drifted_argv(checked):
    _, r = checked
    res = r["results"]
    assert not res["abbrev"]["ok"] and "not a full option name" in res["abbrev"]["problems"][0]
    assert not res["backend"]["ok"] and "invalid choice" in " ".join(res["backend"]["problems"])
    assert not res["unknown"]["ok"]


def test_record_keys_we_read_are_written_by_the_pinned_benchmark(sglang_parser):
    py = sglang_parser("0.5.23")
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    src = (Path(site) / "sglang" / "benchmark" / "serving.py").read_text()
    for key in ("max_concurrency", "output_throughput", "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms",
                "p99_tpot_ms", "median_itl_ms", "p99_itl_ms", "accept_length"):
        assert f'"{key}":' in src, key
    assert f'"{BACKEND}": async_request_openai_chat_completions' in src
    assert (Path(site) / "sglang" / "bench_serving.py").read_text().count(BENCH_MODULE) >= 1  # the alias points here


@pytest.mark.parametrize("name", ["glm51_fp8", "glm51_fp8_h100x2"])
def test_rows_and_dollars_per_mtok(name):
    plan = build_plan(load_profile(name))
    # one replica: hardware.nodes containers, each billed (a 2-node server's bench drives both)
    rate = container_usd_per_hour(plan) * plan.topology.nodes
    rec = {"max_concurrency": 8, "output_throughput": 1000.0, "median_ttft_ms": 290.0, "p99_ttft_ms": 800.0,
           "median_tpot_ms": 7.5, "p99_tpot_ms": 12.0, "median_itl_ms": 7.0, "p99_itl_ms": 30.0, "accept_length": 3.1}
    (row,) = rows_from_records(plan, [rec])
    assert row.usd_per_mtok_output == pytest.approx(rate / 3.6)  # 1000 tok/s = 3.6 M tokens per hour
    assert row.accept_length == 3.1 and row.concurrency == 8 and row.ttft_p99_ms == 800.0
    (row,) = rows_from_records(plan, [{**rec, "output_throughput": 0}])
    assert row.usd_per_mtok_output is None
    usd, text = cold_start_cost(plan)
    s = plan.server
    assert usd == pytest.approx(rate * (s.startup_estimate_s + s.scaledown_window_s) / 3600)
    assert f"${usd:.2f}" in text


def test_concurrency_parsing():
    assert parse_concurrency("1,8,48") == [1, 8, 48]
    for bad in ("", "0", "1,x", "-1"):
        with pytest.raises(ValueError, match="--concurrency"):
            parse_concurrency(bad)


def test_app_gets_a_cpu_bench_function():
    app = render(build_plan(load_profile("glm51_fp8")))
    assert "bench" in built(app)[1]
    spec = importlib.util.find_spec("modal_llm_deploy.modal_adapter.runtime")
    assert "def bench(" in Path(spec.origin).read_text()


def test_cli_refusals_are_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env["HOME"] = str(tmp_path)
    r = subprocess.run([CLI, "bench", "glm51_fp8"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "Token missing" in r.stderr
    r = subprocess.run([CLI, "bench", "glm51_fp8", "--concurrency", "8,x"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--concurrency" in r.stderr


def test_refuses_a_scaled_to_zero_server_and_says_what_the_cold_start_costs(monkeypatch):
    """Modal's far side (the deployed server's URL and container list) is replaced by a small
    object with the same two methods; the CLI's own logic runs for real, in process."""
    from typer.testing import CliRunner

    from modal_llm_deploy import cli
    from modal_llm_deploy.cli import operate as cli_operate

    calls = []

    class DeployedServer:
        def get_url(self):
            return URL

        def _experimental_list_containers(self):  # modal 1.6 _Server, experimental
            calls.append("list")
            return []

    monkeypatch.setattr(cli_operate, "_deployed_server", lambda plan: DeployedServer())
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8"])
    plan = build_plan(load_profile("glm51_fp8"))
    usd, _ = cold_start_cost(plan)
    assert r.exit_code == 2 and calls == ["list"]
    assert "no running container" in r.output and f"${usd:.2f}" in r.output and "--allow-cold-start" in r.output
    # the warm-up command it names acts on this deployment: the overrides travel with it
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8", "--set", "app_name=glm-tiny"])
    assert r.exit_code == 2
    assert "modal-llm-deploy scale glm51_fp8 --set app_name=glm-tiny --min 1" in " ".join(r.output.split()), r.output
    # a 2-node replica is 2 containers: `scale --min 1` would be refused (profile/topology.py), so it says --min 2
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8_h100x2"])
    assert r.exit_code == 2
    assert "modal-llm-deploy scale glm51_fp8_h100x2 --min 2" in " ".join(r.output.split()), r.output


def test_runtime_bench_writes_and_commits_the_plans_results_volume(tmp_path, monkeypatch):
    """runtime.bench against the plan's bench unit: results go to the volume that unit mounts
    (plan/units.py bench_unit), the key from the unit's secret reaches the benchmark only through the
    environment, and a failed run ends the call with exit 1. The benchmark is the stand-in
    (tests/standin/sglang/benchmark/serving.py); its argv is the one the real parser accepts above."""
    import json as _json

    from modal_llm_deploy.modal_adapter import runtime
    from modal_llm_deploy.plan import units
    from modal_llm_deploy.plan.models import PLAN_ENV

    standin = Path(__file__).parent / "standin"

    monkeypatch.setattr(units, "BENCH_MOUNT", str(tmp_path / "bench"))  # read by build_plan's bench unit
    plan = build_plan(load_profile("glm51_fp8", {"engine.python": sys.executable, "app_name": "glm-tiny"}))
    unit = plan.unit("bench")
    (results,) = [m.volume for m in unit.volumes if m.path == str(tmp_path / "bench")]
    assert results == "glm-tiny-bench" and unit.secrets == [plan.server.api_key_secret]

    committed: list[str] = []

    class Vol:
        def __init__(self, name):
            self.name = name

        def reload(self):
            pass

        def commit(self):
            committed.append(self.name)

    monkeypatch.setattr(runtime, "_volume", Vol)
    monkeypatch.setattr(runtime, "_SEEN", set())
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv("PYTHONPATH", str(standin))
    monkeypatch.setenv(plan.server.api_key_env, "bench-key-123")
    records = runtime.bench("http://127.0.0.1:9/", [1, 8], 64, 32)
    assert [r["max_concurrency"] for r in records] == [1, 8] and all(r["saw_api_key"] for r in records)
    assert committed == ["glm-tiny-bench"]
    (out,) = (tmp_path / "bench" / "glm-tiny").glob("*.jsonl")
    assert [_json.loads(line) for line in out.read_text().splitlines()] == records

    monkeypatch.setenv("STANDIN_BENCH_FAIL", "1")
    with pytest.raises(SystemExit) as exc:
        runtime.bench("http://127.0.0.1:9", [4], 64, 32)
    assert exc.value.code == 1
    monkeypatch.delenv(plan.server.api_key_env)
    with pytest.raises(SystemExit) as exc:
        runtime.bench("http://127.0.0.1:9", [4], 64, 32)
    assert exc.value.code == 2


def test_bench_on_a_proxy_auth_deployment_needs_the_token_secret_first(monkeypatch):
    """With serving.modal_proxy_auth=true the benchmark must send Modal-Key/Modal-Secret, which
    reach the bench container only from a Modal secret: without serving.proxy_auth_secret, one
    line (exit 2) that says how to make one, before any Modal call."""
    from typer.testing import CliRunner

    from modal_llm_deploy import cli
    from modal_llm_deploy.cli import operate as cli_operate

    looked_up = []
    monkeypatch.setattr(cli_operate, "_deployed_server", lambda plan: looked_up.append(plan))
    monkeypatch.setenv("COLUMNS", "400")
    r = CliRunner().invoke(cli.app, ["bench", "glm51_fp8", "--set", "serving.modal_proxy_auth=true"])
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and "serving.proxy_auth_secret is not set" in r.output
    # the printer's command (plan/commands.py secret_create): values read from the shell, never printed
    assert ('modal secret create NAME MODAL_LLM_DEPLOY_PROXY_KEY="${MODAL_LLM_DEPLOY_PROXY_KEY:?}" '
            'MODAL_LLM_DEPLOY_PROXY_SECRET="${MODAL_LLM_DEPLOY_PROXY_SECRET:?}"') in r.output, r.output
    assert "https://modal.com/settings/proxy-auth-tokens" in r.output
    assert looked_up == []


def test_proxy_token_secret_is_a_name_in_the_bench_unit_only(monkeypatch):
    """The plan names the secret (on the bench unit, not the server); the token's values, even
    when set in the shell, appear nowhere in the plan JSON."""
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_KEY", PROXY["Modal-Key"])
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_SECRET", PROXY["Modal-Secret"])
    r = subprocess.run([CLI, "plan", "glm51_fp8", "--json", *PROXY_SETS], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    import json

    plan = json.loads(r.stdout)
    assert plan["server"]["proxy_auth_secret"] == "glm51-proxy-token"
    units = {u["name"]: u for u in plan["units"]}
    assert units["bench"]["secrets"] == ["glm51-api-key", "glm51-proxy-token"]
    assert units["eval_accuracy"]["secrets"] == ["glm51-api-key", "glm51-proxy-token"]  # the accuracy gate's relay sends it too
    assert all("glm51-proxy-token" not in u["secrets"] for n, u in units.items() if n not in ("bench", "eval_accuracy"))
    for v in PROXY.values():
        assert v not in r.stdout + r.stderr
    # without proxy auth nothing changes: the bench unit keeps the API-key secret alone
    assert build_plan(load_profile("glm51_fp8")).unit("bench").secrets == ["glm51-api-key"]


@pytest.mark.parametrize("sets, says", [
    (["--set", "serving.proxy_auth_secret=glm51-proxy-token"], "modal_proxy_auth is false"),
    (["--set", "serving.modal_proxy_auth=true", "--set", "serving.proxy_auth_secret=bad name"], "a Modal secret name"),
])
def test_bad_proxy_auth_secret_is_one_line(sets, says):
    r = subprocess.run([CLI, "plan", "glm51_fp8", *sets], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "serving" in r.stderr and "proxy_auth_secret" in r.stderr and says in r.stderr, r.stderr


def test_runtime_bench_sends_the_proxy_headers_and_never_prints_them(tmp_path, monkeypatch, capfd):
    """With proxy auth the token from the bench unit's secret reaches the benchmark as its
    ``--header`` options (readiness poll off), and the values are masked in everything printed:
    our argv line and the benchmark's own print of its parsed args. The benchmark is the
    stand-in (it prints its args as serving.py does); tests/test_bench_e2e.py runs the real one."""
    from modal_llm_deploy.modal_adapter import runtime
    from modal_llm_deploy.plan import units
    from modal_llm_deploy.plan.models import PLAN_ENV

    standin = Path(__file__).parent / "standin"

    monkeypatch.setattr(units, "BENCH_MOUNT", str(tmp_path / "bench"))
    plan = build_plan(load_profile("glm51_fp8", {"engine.python": sys.executable, "app_name": "glm-tiny",
                                                 "serving.modal_proxy_auth": True,
                                                 "serving.proxy_auth_secret": "glm51-proxy-token"}))

    class Vol:
        def __init__(self, name):
            pass

        def reload(self):
            pass

        def commit(self):
            pass

    monkeypatch.setattr(runtime, "_volume", Vol)
    monkeypatch.setattr(runtime, "_SEEN", set())
    monkeypatch.setenv(PLAN_ENV, plan.model_dump_json())
    monkeypatch.setenv("PYTHONPATH", str(standin))
    monkeypatch.setenv(plan.server.api_key_env, "bench-key-123")
    # the secret is missing one of its two variables: one line naming the secret and the fix
    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_KEY", PROXY["Modal-Key"])
    monkeypatch.delenv("MODAL_LLM_DEPLOY_PROXY_SECRET", raising=False)
    with pytest.raises(SystemExit) as exc:
        runtime.bench("http://127.0.0.1:9", [1], 64, 32)
    assert exc.value.code == 2
    out, err = capfd.readouterr()
    assert err.count("\n") == 1 and "Modal secret 'glm51-proxy-token' has no MODAL_LLM_DEPLOY_PROXY_SECRET" in err
    assert ('modal secret create glm51-proxy-token MODAL_LLM_DEPLOY_PROXY_KEY="${MODAL_LLM_DEPLOY_PROXY_KEY:?}" '
            'MODAL_LLM_DEPLOY_PROXY_SECRET="${MODAL_LLM_DEPLOY_PROXY_SECRET:?}" --force') in err, err
    assert PROXY["Modal-Key"] not in out + err

    monkeypatch.setenv("MODAL_LLM_DEPLOY_PROXY_SECRET", PROXY["Modal-Secret"])
    records = runtime.bench("http://127.0.0.1:9/", [1, 8], 64, 32)
    assert [r["header_names"] for r in records] == [["Modal-Key", "Modal-Secret"]] * 2
    assert all(r["ready_check_timeout_sec"] == 0 and r["saw_api_key"] for r in records)
    out, err = capfd.readouterr()
    assert "header=['Modal-Key=***', 'Modal-Secret=***']" in out  # the benchmark's args, masked
    assert "--header Modal-Key=*** Modal-Secret=***" in out  # our argv line
    for v in PROXY.values():
        assert v not in out + err
