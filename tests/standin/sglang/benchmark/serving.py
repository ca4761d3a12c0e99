"""Stand-in for ``python3 -m sglang.benchmark.serving`` (tests only): parses the options
``bench.bench_argv`` passes and appends one JSONL record with the keys ``bench.rows_from_records``
reads (sglang 0.5.23 benchmark/serving.py writes them; tests/test_bench.py checks that against
the real source). It sends no request: the figures are fixed, marked by ``"standin": true``.

STANDIN_BENCH_FAIL=1 exits 1 without writing a record (a failed run).
"""

import argparse
import json
import os
import sys

ap = argparse.ArgumentParser()
for opt in ("--backend", "--base-url", "--model", "--tokenizer", "--dataset-name", "--random-input-len",
            "--random-output-len", "--random-range-ratio", "--num-prompts", "--max-concurrency", "--output-file"):
    ap.add_argument(opt, required=True)
ap.add_argument("--disable-tqdm", action="store_true")
ap.add_argument("--ready-check-timeout-sec", type=int, default=60)
ap.add_argument("--header", nargs="+")  # Modal's proxy-auth headers, Key=Value (as serving.py takes them)
a = ap.parse_args()
print(f"{a}\n")  # as serving.py's run_benchmark does: --header values included
if os.environ.get("STANDIN_BENCH_FAIL") == "1":
    print("standin bench: failing on purpose", file=sys.stderr)
    sys.exit(1)
record = {
    "standin": True, "backend": a.backend, "base_url": a.base_url, "tokenizer": a.tokenizer,
    "max_concurrency": int(a.max_concurrency), "output_throughput": 100.0 * int(a.max_concurrency),
    "median_ttft_ms": 200.0, "p99_ttft_ms": 400.0, "median_tpot_ms": 8.0, "p99_tpot_ms": 12.0,
    "median_itl_ms": 7.0, "p99_itl_ms": 20.0,
    # the key travels in the environment (serving.py reads OPENAI_API_KEY), never in argv
    "saw_api_key": os.environ.get("OPENAI_API_KEY") is not None,
    "ready_check_timeout_sec": a.ready_check_timeout_sec,
    "header_names": [h.partition("=")[0] for h in a.header or []],  # names only: values stay out of records
}
with open(a.output_file, "a") as f:
    f.write(json.dumps(record) + "\n")
