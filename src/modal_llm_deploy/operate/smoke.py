"""Smoke test of a deployed (or local) server, with the client users run: ``openai``.

Checks, in order, each with the likely cause when it fails:

1. ``/health`` answers 200 — waiting through 503 (a cold start) up to the startup budget;
2. ``/v1/models`` lists the served name;
3. a request without the key is refused (401), unless the profile is public;
4. a chat completion;
5. a streamed chat completion, with TTFT and TPOT measured on the client;
6. a tool call with a ``tools`` schema comes back as parsed ``tool_calls``
   (only when the profile sets a ``--tool-call-parser``);
7. reasoning comes back in ``reasoning_content``, not inside ``content``
   (only when the profile sets a ``--reasoning-parser``);
8. ``/metrics`` has ``sglang:`` series.

SGLang 0.5.23 puts separated reasoning in ``message.reasoning_content`` / ``delta.reasoning_content``
(``sglang/srt/entrypoints/openai/protocol.py``: ChatMessage, DeltaMessage); the openai client
keeps such extra fields on the object (pydantic ``extra="allow"``).

The key is never printed: it goes into the client and nowhere else. With Modal proxy auth
(``serving.modal_proxy_auth``) every request also carries the proxy token as ``Modal-Key`` /
``Modal-Secret`` (the openai client's ``default_headers``; base/envvars.py), equally unprinted.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from modal_llm_deploy.base.envvars import (
    PROXY_KEY_ENV,
    PROXY_SECRET_ENV,
    PROXY_TOKEN_HELP,
)

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan

THINK_TAGS = ("<think>", "</think>")
TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@dataclass
class Check:
    name: str
    ok: Optional[bool]  # None = skipped
    detail: str
    cause: str = ""
    seconds: float = 0.0


def _generic_logs_triage() -> str:
    from modal_llm_deploy.plan.commands import cli_usage  # the printer (pydantic): only when no plan is given

    return cli_usage("logs", "PROFILE", "--triage")


@dataclass
class SmokeTarget:
    base_url: str  # without /v1
    served_name: str
    public: bool
    startup_budget_s: float
    reasoning_parser: Optional[str]
    tool_call_parser: Optional[str]
    profile: str = "<PROFILE>"
    # `logs --triage` with the overrides in effect (plan.commands["logs_triage_cli"]), named in causes
    logs_triage_cli: str = field(default_factory=lambda: _generic_logs_triage())

    @classmethod
    def from_plan(cls, plan: "DeploymentPlan", base_url: str) -> "SmokeTarget":
        argv = plan.sglang_argv

        def flag(name: str) -> Optional[str]:
            return argv[argv.index(name) + 1] if name in argv[:-1] else None

        return cls(base_url.rstrip("/"), plan.server.served_name, plan.server.auth == "public",
                   plan.server.startup_timeout_s, flag("--reasoning-parser"), flag("--tool-call-parser"), plan.profile,
                   plan.commands["logs_triage_cli"])


@dataclass
class SmokeReport:
    url: str
    checks: list[Check] = field(default_factory=list)
    ttft_ms: Optional[float] = None
    tpot_ms: Optional[float] = None

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    def as_dict(self) -> dict:
        return {"url": self.url, "ok": self.ok, "ttft_ms": self.ttft_ms, "tpot_ms": self.tpot_ms,
                "checks": [asdict(c) for c in self.checks]}


def _get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        e.close()
        return e.code, body


def _refused_at_health(code: int, body: str, proxy: dict | None) -> tuple[str, str]:
    """(detail, cause) for a /health answer that is neither ready nor starting. SGLang keeps
    /health open, so a 401/403 there with the proxy token sent is Modal's proxy refusing the
    token; without one, Modal's proxy answers 401 "modal-http: missing credentials for proxy
    authorization" (modal docs, guide/webhook-proxy-auth)."""
    modal_says = body.strip() if body.lstrip().startswith("modal-http:") else ""
    detail = f"/health answered {code}" + (f": {' '.join(modal_says.split())[:120]}" if modal_says else "")
    if proxy and code in (401, 403):
        return detail, (f"Modal's proxy refused the proxy token: {PROXY_KEY_ENV}/{PROXY_SECRET_ENV} must be the ID "
                        f"and secret of a Proxy Auth Token of the server's workspace; {PROXY_TOKEN_HELP}")
    if modal_says:
        return detail, (f"the deployment requires Modal proxy auth: run with --set serving.modal_proxy_auth=true and "
                        f"{PROXY_KEY_ENV}/{PROXY_SECRET_ENV} set")
    return detail, "not an SGLang server at this URL, or a proxy in front of it refuses: check --url"


def wait_healthy(t: SmokeTarget, on_wait: Callable[[float, str], None] | None = None,
                 poll_s: float = 5.0, clock=time.monotonic, sleep=time.sleep, *, proxy: dict | None = None) -> Check:
    """GET /health until 200; 503 and connection errors mean "still starting" until the budget.
    ``proxy``: the Modal-Key/Modal-Secret headers, sent with every request when given."""
    t0 = clock()
    last = "no answer"
    while True:
        try:
            code, body = _get(t.base_url + "/health", proxy, timeout=min(30.0, t.startup_budget_s))
            last = f"HTTP {code}"
            if code == 200:
                return Check("health", True, f"200 after {clock() - t0:.0f} s", seconds=clock() - t0)
            if code not in (502, 503, 504):
                return Check("health", False, *_refused_at_health(code, body, proxy), clock() - t0)
        except OSError as e:
            last = type(e).__name__
        left = t.startup_budget_s - (clock() - t0)
        if left <= 0:
            return Check("health", False, f"not ready after {t.startup_budget_s:.0f} s (last: {last})",
                         f"the server did not start within its startup budget: {t.logs_triage_cli}",
                         clock() - t0)
        if on_wait:
            on_wait(left, last)
        sleep(min(poll_s, max(left, 0.05)))


def run_smoke(t: SmokeTarget, api_key: Optional[str], *, on_wait=None, request_timeout_s: float = 300.0,
              max_tokens: int = 256, proxy: dict | None = None) -> SmokeReport:
    """``proxy``: Modal-Key/Modal-Secret headers (envvars.proxy_auth_headers) for a deployment with
    Modal proxy auth; sent with every request, the key-less auth probe included, so that what
    answers it is SGLang and not Modal's proxy."""
    import openai

    rep = SmokeReport(t.base_url)
    rep.checks.append(wait_healthy(t, on_wait, proxy=proxy))
    if not rep.checks[0].ok:
        return rep
    # openai's OpenAI(default_headers=...): sent on every request (openai/_base_client.py default_headers)
    client = openai.OpenAI(base_url=t.base_url + "/v1", api_key=api_key or "none", timeout=request_timeout_s,
                           max_retries=0, default_headers=proxy)
    c = _Checks(t, rep, client, openai, proxy, max_tokens)
    c.attempt("models", c.models, "the server is not SGLang's OpenAI API, or the URL is wrong")
    c.attempt("auth", c.auth, "")
    c.attempt("chat", c.chat, f"chat completions fail: {t.logs_triage_cli}")
    c.attempt("stream", c.stream, f"streaming fails: {t.logs_triage_cli}")
    if t.tool_call_parser:
        c.attempt("tool_call", c.tools, f"tool calls fail: {t.logs_triage_cli}")
    else:
        rep.checks.append(Check("tool_call", None, "skipped: the profile sets no --tool-call-parser"))
    if t.reasoning_parser:
        c.attempt("reasoning", c.reasoning, f"reasoning request fails: {t.logs_triage_cli}")
    else:
        rep.checks.append(Check("reasoning", None, "skipped: the profile sets no --reasoning-parser"))
    rep.checks.append(c.metrics())
    return rep


class _Checks:
    """One smoke run: the OpenAI client, the target, and one method per check."""

    MSGS = [{"role": "user", "content": "Say hello in one short sentence."}]

    def __init__(self, t: SmokeTarget, rep: SmokeReport, client, openai, proxy: dict | None, max_tokens: int):
        self.t, self.rep, self.client, self.openai = t, rep, client, openai
        self.proxy, self.max_tokens, self.model = proxy, max_tokens, t.served_name

    def attempt(self, name: str, fn: Callable[[], Check], cause: str) -> None:
        t0 = time.monotonic()
        try:
            c = fn()
        except self.openai.AuthenticationError:
            c = Check(name, False, "401 with the key", "the key does not match the server's: check the Modal secret "
                                                        "and --api-key-env")
        except self.openai.APIError as e:
            c = Check(name, False, f"{type(e).__name__}: {' '.join(str(e).split())[:200]}", cause)
        c.seconds = time.monotonic() - t0
        self.rep.checks.append(c)

    def models(self) -> Check:
        ids = [m.id for m in self.client.models.list().data]
        if self.model in ids:
            return Check("models", True, f"lists {self.model!r}")
        return Check("models", False, f"lists {ids}, not {self.model!r}",
                     "--served-model-name differs from the profile's model.served_name")

    def auth(self) -> Check:
        code, _ = _get(self.t.base_url + "/v1/models", self.proxy)  # without the key, past Modal's proxy
        if self.t.public:
            return Check("auth", code == 200, f"no key → {code} (public profile)",
                         "" if code == 200 else "a public profile's server still demands a key")
        if code == 401:
            return Check("auth", True, "no key → 401")
        return Check("auth", False, f"no key → {code}, expected 401",
                     "the server runs without --api-key: the API key secret was not applied (set serving.api_key_secret)")

    def chat(self) -> Check:
        r = self.client.chat.completions.create(model=self.model, messages=self.MSGS, max_tokens=self.max_tokens)
        m = r.choices[0].message
        text = (m.content or "") + (getattr(m, "reasoning_content", None) or "")
        if not text.strip():
            return Check("chat", False, "empty answer", "the model produced no tokens: check the server log")
        u = r.usage
        return Check("chat", True, f"{u.completion_tokens if u else '?'} tokens, finish {r.choices[0].finish_reason}")

    def stream(self) -> Check:
        t0 = time.monotonic()
        first = last = None
        n_chunks = 0
        tokens = None
        for ch in self.client.chat.completions.create(model=self.model, messages=self.MSGS, max_tokens=self.max_tokens,
                                                      stream=True, stream_options={"include_usage": True}):
            if ch.usage is not None:
                tokens = ch.usage.completion_tokens
            for c in ch.choices:
                d = c.delta
                if (d.content or getattr(d, "reasoning_content", None)):
                    now = time.monotonic()
                    first = first or now
                    last = now
                    n_chunks += 1
        if first is None:
            return Check("stream", False, "no content in the stream", "streaming is broken: check the server log")
        rep = self.rep
        rep.ttft_ms = (first - t0) * 1000
        n = tokens or n_chunks
        rep.tpot_ms = (last - first) * 1000 / (n - 1) if n > 1 else None
        tpot = f", TPOT {rep.tpot_ms:.1f} ms" if rep.tpot_ms is not None else ""
        return Check("stream", True, f"TTFT {rep.ttft_ms:.0f} ms{tpot} ({n} tokens)")

    def tools(self) -> Check:
        # A reasoning model thinks before it calls: leave room so the call is not cut off.
        r = self.client.chat.completions.create(
            model=self.model, max_tokens=max(self.max_tokens, 1024), tools=[TOOL], tool_choice="auto",
            messages=[{"role": "user", "content": "What is the weather in Paris? Use the get_weather tool."}])
        m = r.choices[0].message
        calls = m.tool_calls or []
        cause = (f"the tool call came back as text, not tool_calls: the server's --tool-call-parser "
                 f"({self.t.tool_call_parser}) does not match the model's format")
        if not calls:
            return Check("tool_call", False, f"no tool_calls; content {(m.content or '')[:80]!r}", cause)
        fn = calls[0].function
        try:
            args = json.loads(fn.arguments or "")
        except ValueError:
            return Check("tool_call", False, f"arguments are not JSON: {fn.arguments!r:.80}", cause)
        if fn.name != "get_weather" or not isinstance(args, dict):
            return Check("tool_call", False, f"called {fn.name}({fn.arguments})", cause)
        return Check("tool_call", True, f"{fn.name}({fn.arguments})")

    def reasoning(self) -> Check:
        r = self.client.chat.completions.create(model=self.model, messages=self.MSGS, max_tokens=self.max_tokens)
        m = r.choices[0].message
        rc = getattr(m, "reasoning_content", None)
        cause = (f"reasoning is not separated from the answer: the server's --reasoning-parser "
                 f"({self.t.reasoning_parser}) is missing or does not match the model")
        if any(tag in (m.content or "") for tag in THINK_TAGS):
            return Check("reasoning", False, "content contains <think> tags", cause)
        if not rc:
            return Check("reasoning", False, "no reasoning_content", cause)
        return Check("reasoning", True, f"{len(rc)} chars of reasoning_content, content separate")

    def metrics(self) -> Check:
        t0 = time.monotonic()
        try:
            code, body = _get(self.t.base_url + "/metrics", self.proxy)
        except OSError as e:
            return Check("metrics", False, type(e).__name__, "/metrics unreachable", time.monotonic() - t0)
        series = sorted({ln.split("{")[0].split(" ")[0] for ln in body.splitlines() if ln.startswith("sglang:")})
        ok = code == 200 and bool(series)
        return Check("metrics", ok, f"{len(series)} sglang: series" if ok else f"HTTP {code}, no sglang: series",
                     "" if ok else "the server runs without --enable-metrics (engine.flags.enable-metrics=true)",
                     time.monotonic() - t0)
