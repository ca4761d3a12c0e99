"""Start the OpenAI-wire stand-in (tests/standin/lib/openai_standin.py) on SGLang's own code.

It runs on the one harness env (tests/_support/sglang_env.py: the real sglang 0.5.23 with the
packages its OpenAI layer imports — ``openai`` at SGLang's pin for protocol.py,
``partial-json-parser``/``regex`` for the tool-call detectors, ``transformers`` for
reasoning_parser.py's type import), the same interpreter as the parser checks and the benchmark.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

STANDIN = Path(__file__).resolve().parents[1] / "standin" / "lib" / "openai_standin.py"


def standin_python(version: str) -> Path:
    """The harness env's interpreter, proven to import SGLang's OpenAI layer."""
    from _support.sglang_env import sglang_python

    return sglang_python(version, "standin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandIn:
    def __init__(self, python: Path, *args: str, ready_after: float = 0.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        boot = (f"import sys, runpy; "
                f"sys.argv = [{str(STANDIN)!r}] + sys.argv[1:]; runpy.run_path({str(STANDIN)!r}, run_name='__main__')")
        self.proc = subprocess.Popen(
            [str(python), "-c", boot, "--port", str(self.port), "--ready-after", str(ready_after), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd="/",
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
        )
        deadline = time.monotonic() + 120  # importing SGLang's OpenAI layer takes ~10-20 s here
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"stand-in exited: {self.proc.stdout.read()[-3000:]}")
            try:
                urllib.request.urlopen(self.url + "/standin/counts", timeout=1).close()  # not counted
                return
            except urllib.error.HTTPError:  # any HTTP answer (401, 503) means it listens
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("stand-in did not listen within 120 s")

    def counts(self) -> dict:
        """Requests the stand-in has seen, and how many its Modal-proxy check turned away."""
        import json

        with urllib.request.urlopen(self.url + "/standin/counts", timeout=5) as r:
            return json.loads(r.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
