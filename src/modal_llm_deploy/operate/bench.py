"""In-region benchmark with SGLang's own tool, turned into dollars per million tokens.

``modal-llm-deploy bench PROFILE`` calls the app's ``bench`` function: a CPU container on the
SGLang image (so the benchmark is the pinned release's), in the server's region, with the
tokenizer read from the weights volume and the API key from the server's secret. For each
concurrency it runs SGLang's serving benchmark with the OpenAI chat backend against the
server's URL, appends its JSONL record to the bench volume, and returns the records; the CLI
prints TTFT/TPOT/ITL p50/p99, output tok/s, accept length and $ per million output tokens
(one container's $/h from the plan ÷ its measured output rate).

Module path: SGLang 0.5.23 moved the implementation to ``sglang.benchmark.serving``;
``sglang.bench_serving`` is a deprecated alias that re-exports it and warns
(``sglang/bench_serving.py``), so we run the implementation directly.
The argv is proven by that module's real parser in tests/test_bench.py.

This module is pure (no Modal): argv, result parsing, the table rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan

BENCH_MODULE = "sglang.benchmark.serving"
BACKEND = "sglang-oai-chat"  # sglang/benchmark/serving.py: ASYNC_REQUEST_FUNCS, path /v1/chat/completions
PROMPTS_PER_CONCURRENCY = 5  # bench_serving's guidance: at least 5× the concurrency for stable percentiles


def parse_concurrency(text: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--concurrency {text!r}: expected whole numbers separated by commas, e.g. 1,8,48") from None
    if not out or any(c < 1 for c in out):
        raise ValueError(f"--concurrency {text!r}: expected whole numbers ≥ 1, e.g. 1,8,48")
    return out


def bench_argv(plan: "DeploymentPlan", base_url: str, concurrency: int, input_len: int, output_len: int,
               output_file: str, python: Optional[str] = None, headers: Optional[dict[str, str]] = None) -> list[str]:
    """One benchmark run. ``--tokenizer`` is the weights directory on the volume (never the hub:
    the container has HF_HUB_OFFLINE=1); the key travels as OPENAI_API_KEY in the environment
    (serving.py reads it and sends it as Bearer), never in argv.

    ``headers``: Modal's proxy-auth headers (Modal-Key/Modal-Secret). sglang/benchmark/serving.py
    0.5.23 takes extra headers only as ``--header Key=Value ...`` (nargs="+"; parsed by
    benchmark/utils.py parse_custom_headers) — no environment variable — and adds them, in
    get_request_headers(), to the benchmark's requests only: its readiness poll
    (wait_for_endpoint) and its /server_info read use get_auth_headers(), the Bearer key alone.
    Through the proxy that poll would get 401 for its 60 s and exit "not ready", so it is
    skipped (``--ready-check-timeout-sec 0``: "Set to 0 to skip"; runtime.bench checks the server
    and both credentials first), and /server_info's 401 leaves accept_length None. The values
    are in this argv: runtime.bench never prints them (it masks them in the benchmark's output,
    which prints its parsed args)."""
    extra = (["--ready-check-timeout-sec", "0", "--header", *(f"{k}={v}" for k, v in headers.items())]
             if headers else [])
    return [
        python or plan.sglang_argv[0], "-m", BENCH_MODULE,
        "--backend", BACKEND,
        "--base-url", base_url.rstrip("/"),
        "--model", plan.server.served_name,
        "--tokenizer", plan.weights.dir,
        # "random-ids", not "random": "random" takes its prompt text from ShareGPT, fetched with
        # hf_hub_download on first use (sglang/benchmark/datasets/random.py: sample_random_requests,
        # random_sample=(dataset_name == "random")), which fails in the bench container
        # (HF_HUB_OFFLINE=1, no dataset on any volume). "random-ids" draws token ids from the
        # tokenizer's vocabulary: same lengths, no download (tests/test_bench_e2e.py runs it offline).
        "--dataset-name", "random-ids",
        "--random-input-len", str(input_len),
        "--random-output-len", str(output_len),
        "--random-range-ratio", "1.0",  # exactly input/output len: comparable runs
        "--num-prompts", str(max(10, PROMPTS_PER_CONCURRENCY * concurrency)),
        "--max-concurrency", str(concurrency),
        "--output-file", output_file,
        "--disable-tqdm",
        *extra,  # last: --header takes every value up to the next option
    ]  # fmt: skip


def _status(url: str, headers: dict[str, str], timeout: float) -> Optional[int]:
    """The HTTP status of one GET, None when nothing answered."""
    # urllib, not smoke._get: the bench unit imports this module in its container, and operate/smoke.py imports
    # openai (tests/test_container_imports.py checks every image imports what its roles reach).
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code
    except OSError:
        return None


def key_refused(base_url: str, key: Optional[str], timeout: float = 30,
                proxy: Optional[dict[str, str]] = None) -> Optional[str]:
    """One GET of /v1/models with the key, before the benchmark starts. The benchmark's own
    readiness check polls that URL and, on a 401, keeps polling until its
    ``--ready-check-timeout-sec`` (60 s) runs out and then says only "Server at … is not ready"
    (sglang/benchmark/serving.py: wait_for_endpoint, cli_main) — a wrong key would look like a
    down server. Only a 401/403 is reported; anything else is left to the benchmark. ``proxy``:
    the Modal-Key/Modal-Secret headers, to get past Modal's proxy (proxy_refused checked them)."""
    headers = {**(proxy or {}), **({"Authorization": f"Bearer {key}"} if key else {})}
    code = _status(base_url.rstrip("/") + "/v1/models", headers, timeout)
    if code in (401, 403):
        return f"the server answered /v1/models with {code}: the API key was refused"
    return None


def proxy_refused(base_url: str, proxy: dict[str, str], timeout: float = 30) -> Optional[str]:
    """One GET of /health with only the proxy headers, before the benchmark starts. SGLang keeps
    /health open, so a 401/403 is Modal's proxy refusing the token (without the pre-check the
    benchmark's requests would all fail on it). Anything else is left to the key check and the
    benchmark."""
    code = _status(base_url.rstrip("/") + "/health", proxy, timeout)
    if code in (401, 403):
        return f"Modal's proxy answered /health with {code}: the proxy token was refused"
    return None


@dataclass
class BenchRow:
    concurrency: int
    ttft_p50_ms: float
    ttft_p99_ms: float
    tpot_p50_ms: float
    tpot_p99_ms: float
    itl_p50_ms: float
    itl_p99_ms: float
    output_tok_per_s: float
    accept_length: Optional[float]
    usd_per_mtok_output: Optional[float]

    def as_dict(self) -> dict:
        return asdict(self)


def rows_from_records(plan: "DeploymentPlan", records: list[dict]) -> list[BenchRow]:
    """bench_serving's JSONL records (keys as written by sglang/benchmark/serving.py 0.5.23)
    → table rows with $/Mtok from the plan's price of one replica (cost.replica_usd_per_hour)."""
    from modal_llm_deploy.plan.cost import (  # not at import: the bench container needs only the argv
        replica_usd_per_hour,
        usd_per_mtok,
    )

    rate = replica_usd_per_hour(plan)
    out = []
    for r in records:
        tps = float(r.get("output_throughput") or 0)
        out.append(BenchRow(
            concurrency=int(r.get("max_concurrency") or 0),
            ttft_p50_ms=float(r["median_ttft_ms"]), ttft_p99_ms=float(r["p99_ttft_ms"]),
            tpot_p50_ms=float(r["median_tpot_ms"]), tpot_p99_ms=float(r["p99_tpot_ms"]),
            itl_p50_ms=float(r["median_itl_ms"]), itl_p99_ms=float(r["p99_itl_ms"]),
            output_tok_per_s=tps,
            accept_length=r.get("accept_length"),
            usd_per_mtok_output=usd_per_mtok(rate, tps) if tps > 0 else None,
        ))
    return out


def cold_start_cost(plan: "DeploymentPlan") -> tuple[float, str]:
    """What waking a scaled-to-zero server for a benchmark costs: the load, then the idle tail."""
    from modal_llm_deploy.plan.cost import (
        replica_usd_per_hour,  # not at import: the bench container needs only the argv
    )

    rate = replica_usd_per_hour(plan)
    s = plan.server
    hours = (s.startup_estimate_s + s.scaledown_window_s) / 3600
    return rate * hours, (f"~{s.startup_estimate_s} s load + {s.scaledown_window_s} s scale-down tail at "
                          f"${rate:.2f}/h ≈ ${rate * hours:.2f}")


# --- proving the argv with the pinned release's own parser ---------------------------------------

# ``sglang.benchmark.serving`` builds its parser inside ``cli_main()`` and importing the module
# pulls the multimodal stack (torchvision, datasets) that a CPU parser venv lacks. So, like
# sglang_check does for CompileArgs, we take cli_main's statements *up to* ``args =
# parser.parse_args()`` from the installed source (ast), plus the module-level helpers they
# name, and run exactly that parser. Backend choices come from ASYNC_REQUEST_FUNCS's keys.
# If the structure changes, the checker says so instead of passing.
_BENCH_CHECKER = r'''
import argparse, ast, importlib.util, json, sys
spec = importlib.util.find_spec("sglang.benchmark.serving")
src = open(spec.origin).read()
tree = ast.parse(src)
top = {}
for node in tree.body:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        top[node.name] = node
    elif isinstance(node, ast.Assign):
        for t in node.targets:
            if isinstance(t, ast.Name):
                top[t.id] = node
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        top[node.target.id] = node
cli = top.get("cli_main")
if cli is None:
    print(json.dumps({"structure": "no cli_main in " + spec.origin})); sys.exit(0)
body = []
for st in cli.body:
    if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "args" for t in st.targets):
        break
    body.append(st)
else:
    print(json.dumps({"structure": "cli_main has no 'args = parser.parse_args()'"})); sys.exit(0)
ns = {"ArgumentParser": argparse.ArgumentParser, "argparse": argparse, "__name__": "bench_check"}
for node in tree.body:  # the module's standard-library imports (typing, os, ...), nothing else
    if isinstance(node, ast.Import) and all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names):
        exec(compile(ast.Module([node], []), spec.origin, "exec"), ns)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] in sys.stdlib_module_names:
        exec(compile(ast.Module([node], []), spec.origin, "exec"), ns)
funcs = top["ASYNC_REQUEST_FUNCS"].value
ns["ASYNC_REQUEST_FUNCS"] = {ast.literal_eval(k): None for k in funcs.keys}
names = {n.id for st in body for n in ast.walk(st) if isinstance(n, ast.Name)}
imported = {}  # name → module, for the module's own ``from sglang... import NAME``
for node in tree.body:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("sglang."):
        for a in node.names:
            imported[a.asname or a.name] = (node.module, a.name)
for name in sorted(names):
    if name in ns or name in dir(__builtins__) or name in {"parser", "group"} or name.endswith("_group"):
        continue
    if name in top:
        exec(compile(ast.Module([top[name]], []), spec.origin, "exec"), ns)
    elif name in imported:  # a light sglang helper module (e.g. sglang.benchmark.goodput)
        mod, attr = imported[name]
        ns[name] = getattr(importlib.import_module(mod), attr)
    else:
        print(json.dumps({"structure": f"cli_main uses {name!r}, defined neither in {spec.origin} nor imported"}))
        sys.exit(0)
exec(compile(ast.Module(body, []), spec.origin, "exec"), ns)
parser = ns["parser"]
class ParseError(Exception):
    pass
def error(message):
    raise ParseError(message)
parser.error = error
out = {}
for name, argv in json.loads(sys.argv[1]).items():
    problems = [a for a in argv if a.startswith("--") and a.split("=")[0] not in parser._option_string_actions]
    problems = [f"{a}: not a full option name of {spec.name}" for a in problems]
    try:
        values = vars(parser.parse_args(argv))
    except ParseError as e:
        problems.append(str(e)); values = {}
    out[name] = {"ok": not problems, "problems": problems, "values": {k: v for k, v in values.items()
                  if isinstance(v, (str, int, float, bool, type(None)))
                  or (isinstance(v, list) and all(isinstance(x, str) for x in v))}}
print(json.dumps({"structure": "ok", "results": out}))
'''


def check_bench_argv(python: str, argvs: dict[str, list[str]]) -> dict:
    """Parse each argv (without ``python -m module``) with the pinned benchmark's parser."""
    import json
    import subprocess

    stripped = {}
    for k, argv in argvs.items():
        if BENCH_MODULE not in argv:
            raise ValueError(f"{k}: not a {BENCH_MODULE} argv")
        stripped[k] = argv[argv.index(BENCH_MODULE) + 1:]
    r = subprocess.run([str(python), "-c", _BENCH_CHECKER, json.dumps(stripped)], capture_output=True, text=True,
                       timeout=300, cwd="/")
    if r.returncode != 0:
        raise RuntimeError(f"bench parser check failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])
