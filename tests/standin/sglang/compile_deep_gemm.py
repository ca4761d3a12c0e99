"""Stand-in for ``python3 -m sglang.compile_deep_gemm`` (SGLang 0.5.23), stdlib only.

Accepts the server's arguments plus ``--timeout``; requires SGLANG_DG_CACHE_DIR (the step code
must set it explicitly), "compiles" a few kernel files there while printing progress lines over
~1 s, builds the JIT modules SGLang's server would (FlashInfer-like with absolute paths, SGLang's
own JIT cache: see ``_caches.py``), prints SGLang's success line and exits 0.
STANDIN_ENV_RECORD=<file> appends the environment this run saw.

Env knobs:
  STANDIN_COMPILE_FAIL=<code>      print an error line after a little progress and exit <code>
  STANDIN_COMPILE_STEPS=N          number of kernel files (default 4)
  STANDIN_COMPILE_STEP_S=S         seconds per kernel (default 0.25)
  STANDIN_COMPILE_HANDSHAKE=<path> after the first progress line, wait (≤ 10 s) until <path>
                                   exists, else exit 3: proves the parent streamed that line
                                   while the child was still running
  STANDIN_COMPILE_SERVER_DIES=1    like the real tool when its server process crashes: the
                                   "server" child exits, the main process keeps polling until
                                   --timeout
  STANDIN_COMPILE_HANG=1           the "server" never answers: poll until --timeout, then hang
                                   (the real tool joins its still-running server at exit)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from sglang import _caches


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model-path", "--model", dest="model_path")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=30000)
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--api-key")
    args, _unknown = p.parse_known_args()

    print("Disable CUDA Graph and Torch Compile to save time...", flush=True)
    paths = _caches.record("compile_deep_gemm")
    dg = os.environ.get("SGLANG_DG_CACHE_DIR")
    if not dg:
        print("stand-in error: SGLANG_DG_CACHE_DIR is not set", flush=True)
        sys.exit(2)
    print(
        "Begin DeepGEMM Kernels compilation...\n"
        "It may take a long time and timeout maybe raised while the compilation is still in progress.\n",
        flush=True,
    )

    if os.environ.get("STANDIN_COMPILE_SERVER_DIES") == "1" or os.environ.get("STANDIN_COMPILE_HANG") == "1":
        dies = os.environ.get("STANDIN_COMPILE_SERVER_DIES") == "1"
        code = "import time; time.sleep(0.5); raise SystemExit(1)" if dies else "import time; time.sleep(3600)"
        server = subprocess.Popen([sys.executable, "-c", code])
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.timeout:
            time.sleep(0.2)  # polls /v1/models; never notices the server is gone
        print("TimeoutError: DeepGEMM Kernels compilation timeout.", flush=True)
        server.wait()  # multiprocessing joins the non-daemon server at exit
        sys.exit(1)

    steps = int(os.environ.get("STANDIN_COMPILE_STEPS") or 4)
    step_s = float(os.environ.get("STANDIN_COMPILE_STEP_S") or 0.25)
    fail = os.environ.get("STANDIN_COMPILE_FAIL")
    handshake = os.environ.get("STANDIN_COMPILE_HANDSHAKE")
    kdir = os.path.join(dg, "cache")
    os.makedirs(kdir, exist_ok=True)
    for i in range(steps):
        print(f"Try DeepGEMM JIT Compiling for <GEMM_NT_F8F8BF16> N={4096 * (i + 1)}, K=7168, num_groups=1 with all Ms.",
              flush=True)
        if i == 0 and handshake:
            t0 = time.monotonic()
            while not os.path.exists(handshake):
                if time.monotonic() - t0 > 10:
                    print("stand-in: handshake timeout (the parent did not log the line while we ran)", flush=True)
                    sys.exit(3)
                time.sleep(0.01)
        # A progress bar like SGLang's tqdm output: carriage returns, no newline until done.
        for pct in (25, 50, 100):
            sys.stdout.write(f"\rDeepGEMM warmup: {pct}%|{'#' * (pct // 10)}| {pct * 164}/16384")
            sys.stdout.flush()
        sys.stdout.write("\n")
        with open(os.path.join(kdir, f"kernel_{i}.cubin"), "wb") as fh:
            fh.write(os.urandom(256))
        if fail and i == 1:
            print("RuntimeError: stand-in DeepGEMM compile failed: nvcc exited with status 1", flush=True)
            sys.exit(int(fail))
        time.sleep(step_s)

    jit = _caches.build_jit(paths, lambda m: print(m, flush=True))
    print(f"JIT modules: {jit['built']} built, {jit['reused']} reused", flush=True)
    print("\nDeepGEMM Kernels compilation finished successfully.", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
