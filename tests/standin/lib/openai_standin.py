"""An OpenAI-wire stand-in for SGLang 0.5.23's server, built from SGLang's own code (tests only).

Run with the SGLang parser venv's python (the real sglang 0.5.23 package) and the overlay of
the few pure-Python packages its OpenAI layer imports (tests/_support/standin_openai.py):

* responses are SGLang's own pydantic models (``sglang/srt/entrypoints/openai/protocol.py``:
  ChatCompletionResponse, ChatCompletionStreamResponse, ChatMessage, DeltaMessage, ToolCall,
  ModelList, UsageInfo) serialised as SGLang does (``model_dump_json`` per SSE chunk);
* the "model" emits GLM-style raw text (``<think>…</think>`` and ``<tool_call>name<arg_key>…``)
  and SGLang's real parsers separate it: ``ReasoningParser(--reasoning-parser)`` and the
  ``--tool-call-parser`` detector (glm47 → ``Glm47MoeDetector``). Started without those flags
  it behaves like SGLang without them: reasoning stays in ``content``, tool calls come back
  as text. That is how smoke's negative tests break it — the same way a profile would.
* ``--proxy-key``/``--proxy-secret``: Modal's proxy in front (``serving.modal_proxy_auth``):
  every request, ``/health`` and ``/metrics`` included and before anything else (a cold start
  too), needs ``Modal-Key``/``Modal-Secret`` equal to them, else HTTP 401 with the body Modal's
  docs show for a request without them, ``modal-http: missing credentials for proxy
  authorization`` (guide/webhook-proxy-auth; header names: modal 1.6 _partial_function.py
  requires_proxy_auth). Modal's body for a *wrong* token is not documented: the stand-in sends
  the same one, so nothing may depend on more than the 401 and the ``modal-http:`` prefix;
* ``--answers FILE``: ``/v1/completions`` plays a model taking a GSM8K-style few-shot prompt
  (``Question: …\nAnswer:`` blocks, as sglang/test/simple_eval_mixed_prefix_gsm8k.py builds
  it): it answers the *last* question with the answer FILE (JSON, question → number) holds,
  in GSM8K's "#### N" style, and honours ``stop`` like SGLang. ``--wrong-rate R`` answers a
  fixed fraction R of the questions wrongly (N+1), ``--fail-rate R`` answers another fixed
  fraction with ``--fail-status`` (400 by default) every time, ``--flaky-rate R`` fails a
  fraction once with 500 and answers the retry; which questions is decided by a hash of the
  question, so runs repeat. ``/standin/counts`` counts each outcome and a POST to ``/standin/config`` changes the
  rates (and zeroes the counts) between runs;
* ``--api-key``: Bearer on everything but ``/health*``, ``/metrics*`` (SGLang's rule);
  ``/health`` answers 503 for ``--ready-after`` seconds (a cold start), then 200;
  ``/metrics`` has ``sglang:`` series unless ``--no-metrics`` (SGLang without --enable-metrics).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sglang.srt.entrypoints.openai.protocol import (  # noqa: E402  (the real SGLang 0.5.23)
    ChatCompletionResponse,
    CompletionResponse,
    CompletionResponseChoice,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    DeltaMessage,
    FunctionResponse,
    ModelCard,
    ModelList,
    Tool,
    ToolCall,
    UsageInfo,
)
from sglang.srt.function_call.glm47_moe_detector import Glm47MoeDetector
from sglang.srt.function_call.glm4_moe_detector import Glm4MoeDetector
from sglang.srt.parser.reasoning_parser import ReasoningParser

TOOL_DETECTORS = {"glm47": Glm47MoeDetector, "glm45": Glm4MoeDetector}  # function_call_parser.py's map
THOUGHT = "The user asked something simple; answer briefly."
ANSWER = "Hello! The stand-in model is answering."


def generate(body: dict) -> str:
    """The 'model': GLM-5.1-style raw output (reasoning first, then a tool call or an answer)."""
    if body.get("tools"):
        name = body["tools"][0]["function"]["name"]
        return (f"<think>{THOUGHT}</think>"
                f"<tool_call>{name}<arg_key>city</arg_key><arg_value>Paris</arg_value></tool_call>")
    return f"<think>{THOUGHT}</think>{ANSWER}"


def _fraction(salt: str, question: str) -> float:
    """A fixed number in [0, 1) per (salt, question): which questions a rate picks."""
    import hashlib

    return int(hashlib.sha256(f"{salt}:{question}".encode()).hexdigest()[:8], 16) / 16**8


def last_question(prompt: str) -> str | None:
    """The question the few-shot prompt ends with (``Question: …\nAnswer:``)."""
    head, sep, tail = prompt.rpartition("Question: ")
    if not sep or not tail.rstrip().endswith("Answer:"):
        return None
    return tail.rstrip()[: -len("Answer:")].rstrip("\n")


def apply_stop(text: str, stop) -> str:
    for s in [stop] if isinstance(stop, str) else (stop or []):
        i = text.find(s)
        if i >= 0:
            text = text[:i]
    return text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--served-model-name", default="default")
    ap.add_argument("--api-key")
    ap.add_argument("--proxy-key")
    ap.add_argument("--proxy-secret")
    ap.add_argument("--reasoning-parser")
    ap.add_argument("--tool-call-parser")
    ap.add_argument("--ready-after", type=float, default=0.0)
    ap.add_argument("--no-metrics", action="store_true")
    ap.add_argument("--token-delay", type=float, default=0.002)
    ap.add_argument("--answers")
    ap.add_argument("--wrong-rate", type=float, default=0.0)
    ap.add_argument("--fail-rate", type=float, default=0.0)
    ap.add_argument("--fail-status", type=int, default=400)
    ap.add_argument("--flaky-rate", type=float, default=0.0)
    args = ap.parse_args()
    answers = json.load(open(args.answers)) if args.answers else {}
    flaked: set[str] = set()
    t_start = time.monotonic()
    name = args.served_model_name
    counts = {"requests": 0, "proxy_refused": 0, "completions": 0, "answered": 0, "wrong": 0, "failed": 0,
              "flaked": 0, "unknown_question": 0}
    lock = threading.Lock()

    def reasoning(text: str) -> tuple[str | None, str]:
        if not args.reasoning_parser:
            return None, text
        r, c = ReasoningParser(args.reasoning_parser).parse_non_stream(text)
        return (r or None), c

    def tool_calls(text: str, tools: list[dict]) -> tuple[str, list[ToolCall] | None]:
        if not args.tool_call_parser or not tools:
            return text, None
        det = TOOL_DETECTORS[args.tool_call_parser]()
        res = det.detect_and_parse(text, [Tool.model_validate(t) for t in tools])
        if not res.calls:
            return text, None
        calls = [ToolCall(id=f"call_{uuid.uuid4().hex[:24]}", index=i,
                          function=FunctionResponse(name=c.name, arguments=c.parameters))
                 for i, c in enumerate(res.calls)]
        return res.normal_text, calls

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def _send(self, code: int, body: bytes = b"", ctype: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _count(self) -> None:
            with lock:
                counts["requests"] += 1

        def _proxy_refuses(self) -> bool:
            """Modal's proxy: 401 before the request reaches the server (True when it answered)."""
            if not args.proxy_key:
                return False
            if (self.headers.get("Modal-Key") == args.proxy_key
                    and self.headers.get("Modal-Secret") == args.proxy_secret):
                return False
            with lock:
                counts["proxy_refused"] += 1
            self._send(401, b"modal-http: missing credentials for proxy authorization", "text/plain; charset=utf-8")
            return True

        def _authorized(self) -> bool:
            p = self.path.split("?", 1)[0]
            if not args.api_key or p.startswith("/health") or p.startswith("/metrics"):
                return True
            return (self.headers.get("Authorization") or "") == f"Bearer {args.api_key}"

        def _ready(self) -> bool:
            return time.monotonic() - t_start >= args.ready_after

        def do_GET(self):
            p = self.path.split("?", 1)[0]
            if p == "/standin/counts":  # for tests, not counted: requests seen, and turned away by the "proxy"
                with lock:
                    return self._send(200, json.dumps(counts).encode())
            self._count()
            if self._proxy_refuses():
                return
            if not self._authorized():
                return self._send(401, b'{"error": "Unauthorized"}')
            if p == "/health":
                return self._send(200 if self._ready() else 503)
            if p == "/v1/models":
                ml = ModelList(data=[ModelCard(id=name, root=name, max_model_len=202752)])
                return self._send(200, ml.model_dump_json().encode())
            if p == "/metrics" and not args.no_metrics:
                body = (f'sglang:num_running_reqs{{model_name="{name}"}} 0.0\n'
                        f'sglang:gen_throughput{{model_name="{name}"}} 0.0\n').encode()
                return self._send(200, body, "text/plain; version=0.0.4")
            return self._send(404, b'{"detail": "Not Found"}')

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(n) or b"{}")
            if self.path == "/standin/config":  # tests switch the rates between runs (not counted)
                with lock:
                    for k in ("wrong_rate", "fail_rate", "fail_status", "flaky_rate"):
                        if k in body:
                            setattr(args, k, body[k])
                    flaked.clear()
                    for k in counts:
                        counts[k] = 0
                return self._send(200, b"{}")
            self._count()
            if self._proxy_refuses():
                return
            if not self._authorized():
                return self._send(401, b'{"error": "Unauthorized"}')
            if self.path.split("?", 1)[0] == "/v1/completions" and self._ready():
                return self._completion(body)
            if self.path.split("?", 1)[0] != "/v1/chat/completions":
                return self._send(404, b'{"detail": "Not Found"}')
            if not self._ready():
                return self._send(503, b'{"error": "server is starting"}')
            raw = generate(body)
            rid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            ntok = max(1, len(raw) // 4)
            usage = UsageInfo(prompt_tokens=12, completion_tokens=ntok, total_tokens=12 + ntok)
            if body.get("stream"):
                return self._stream(body, raw, rid, created, usage)
            r, rest = reasoning(raw)
            content, calls = tool_calls(rest, body.get("tools") or [])
            msg = ChatMessage(role="assistant", content=content or None, reasoning_content=r, tool_calls=calls)
            resp = ChatCompletionResponse(id=rid, created=created, model=name, usage=usage, choices=[
                ChatCompletionResponseChoice(index=0, message=msg, finish_reason="tool_calls" if calls else "stop")])
            self._send(200, resp.model_dump_json().encode())

        def _completion(self, body: dict) -> None:
            """The GSM8K 'model' (see the module docstring); counts every outcome."""
            q = last_question(str(body.get("prompt") or ""))
            with lock:
                counts["completions"] += 1
            if q is None or q not in answers:
                with lock:
                    counts["unknown_question"] += 1
                text = " I do not know.\n\nQuestion: next"
            elif _fraction("fail", q) < args.fail_rate:
                with lock:
                    counts["failed"] += 1
                return self._send(args.fail_status, b'{"object": "error", "message": "stand-in failure"}')
            else:
                if _fraction("flaky", q) < args.flaky_rate and q not in flaked:
                    with lock:
                        flaked.add(q)
                        counts["flaked"] += 1
                    return self._send(500, b'{"object": "error", "message": "stand-in transient failure"}')
                n = answers[q]
                wrong = _fraction("wrong", q) < args.wrong_rate
                with lock:
                    counts["answered"] += 1
                    counts["wrong"] += int(wrong)
                text = f" Working it out step by step.\n#### {n + 1 if wrong else n}\n\nQuestion: next one"
            text = apply_stop(text, body.get("stop"))
            ntok = max(1, len(text) // 4)
            resp = CompletionResponse(id=f"cmpl-{uuid.uuid4().hex}", model=name,
                                      choices=[CompletionResponseChoice(index=0, text=text, finish_reason="stop")],
                                      usage=UsageInfo(prompt_tokens=100, completion_tokens=ntok, total_tokens=100 + ntok))
            self._send(200, resp.model_dump_json().encode())

        def _stream(self, body: dict, raw: str, rid: str, created: int, usage: UsageInfo) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            parser = ReasoningParser(args.reasoning_parser, stream_reasoning=True) if args.reasoning_parser else None

            def emit(delta: DeltaMessage, finish=None, u=None) -> None:
                chunk = ChatCompletionStreamResponse(id=rid, created=created, model=name, usage=u, choices=[
                    ChatCompletionResponseStreamChoice(index=0, delta=delta, finish_reason=finish)] if delta else [])
                self.wfile.write(f"data: {chunk.model_dump_json()}\n\n".encode())
                self.wfile.flush()

            emit(DeltaMessage(role="assistant", content=""))
            for i in range(0, len(raw), 4):  # ~one token per 4 characters
                time.sleep(args.token_delay)
                piece = raw[i:i + 4]
                r, c = parser.parse_stream_chunk(piece) if parser else (None, piece)
                if r or c:
                    emit(DeltaMessage(content=c or None, reasoning_content=r or None))
            emit(DeltaMessage(), finish="stop")
            if (body.get("stream_options") or {}).get("include_usage"):
                emit(None, u=usage)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    ThreadingHTTPServer.daemon_threads = True
    srv = ThreadingHTTPServer((args.host, args.port), H)
    print(f"standin listening on http://{args.host}:{args.port}", flush=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
