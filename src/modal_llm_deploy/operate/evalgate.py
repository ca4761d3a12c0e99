"""The accuracy gate: run SGLang's own eval harness against a server, read the score itself,
count failed requests, and decide.

What it runs (sglang 0.5.23, read in the package): ``python -m sglang.test.run_eval`` —
deprecated in favour of sgl-eval, but still the scorer of ``gsm8k`` and the one SGLang's own
DSA + MTP fixture gates on (``sglang/test/kits/eval_accuracy_kit.py`` GSM8KMixin, run_eval
backend). It is run unpatched; the gate only chooses its arguments and reads what it leaves:

* the score: run_eval writes ``/tmp/{eval}_{model with / → _}.json`` (``metrics | {"score"}``)
  and exits 0 whatever the score. The gate deletes that file first and reads it after, so a
  stale file from an earlier run can never pass a broken one;
* failed requests: the harness turns them into empty (wrong) answers (see
  operate/eval_relay.py). The gate counts them twice, on the wire (the relay: requests whose
  last try got no 2xx, and how many distinct examples were sent at all) and in the harness's
  own output (its "Bad Request Error" / "All retry attempts exhausted" lines,
  ``simple_eval_common.py``), and takes the larger. Any failed request, or fewer examples sent
  than asked for (run_eval silently caps at the data's length), fails the run: a failed run is
  reported as such, never as a score.

Threshold (docs/accuracy.md): ``min_score`` of the tier minus ``Z`` standard errors. A run of
N examples whose true accuracy is p scores p ± sqrt(p(1-p)/N); with Z = 2 a deployment that is
truly at the floor fails the gate in about 2.3 % of runs (one-sided, normal approximation),
and one that lost a few points fails nearly always at N = 500. For a *reference* (a measured
score, e.g. a recorded run on N_ref examples) the two runs' errors add:
sqrt(p(1-p)(1/N + 1/N_ref)). An unsourced tier has no threshold: the gate reports and warns.

Pure except for ``run_gate`` (HTTP and one subprocess); no Modal.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from modal_llm_deploy.plan.accuracy import eval_concurrency
from modal_llm_deploy.profile.sections import UNSOURCED, AccuracyTier

RUN_EVAL_MODULE = "sglang.test.run_eval"
Z = 2.0  # standard errors of tolerance (one-sided ≈ 2.3 % false-fail rate at the floor)

# Lines sglang/test/simple_eval_common.py prints when a request ends without an answer
# (ChatCompletionSampler / CompletionSampler / GenerateSampler .__call__).
HARNESS_FAILURE_LINES = ("Bad Request Error", "All retry attempts exhausted for request")


def standard_error(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 0.0) / n)


@dataclass(frozen=True)
class Threshold:
    min_score: Optional[float]  # the tier's figure (None: unsourced)
    value: Optional[float]  # what the run must reach (None: warn only)
    tolerance: float
    source: str
    how: str


def threshold(tier: AccuracyTier, n: Optional[int] = None) -> Threshold:
    """The pass mark of a run of ``n`` scored requests (default: the tier's examples × repeats)."""
    n = n or tier.examples * tier.repeats
    if tier.min_score is None:
        return Threshold(None, None, 0.0, UNSOURCED,
                         "unsourced: the gate reports the score and warns; record a reference with "
                         "`eval --record-reference` on a known-good deployment")
    p = tier.min_score
    if tier.source_kind == "reference" and tier.source_examples:
        se = math.sqrt(p * (1 - p) * (1 / n + 1 / tier.source_examples))
        se_how = f"sqrt(p(1-p)(1/{n} + 1/{tier.source_examples}))"
    else:
        se = standard_error(p, n)
        se_how = f"sqrt(p(1-p)/{n})"
    tol = Z * se
    how = f"{tier.source_kind} {p:.3f} − {Z:g} × SE, SE = {se_how} = {se:.4f}"
    return Threshold(p, p - tol, tol, tier.source, how)


def harness_argv(python: str, base_url: str, model: str, tier: AccuracyTier, concurrency: int,
                 data_path: Optional[str] = None, sys_path: tuple[str, ...] = ()) -> list[str]:
    """``python -m sglang.test.run_eval …`` for a run_eval tier (the argv is proven by run_eval's
    own parser in tests/test_evalgate.py). ``base_url``: the server root (run_eval appends /v1).
    ``sys_path``: directories appended to the harness's sys.path after its own packages (an
    overlay for an environment that lacks openai/httpx); then the module is started with runpy,
    as ``-m`` does."""
    if tier.harness != "run_eval":
        raise ValueError(f"{tier.eval} is scored by sgl-eval, not run_eval")
    args = ["--base-url", base_url.rstrip("/"), "--model", model, "--eval-name", tier.eval,
            "--api", tier.api, "--num-examples", str(tier.examples), "--num-threads", str(concurrency),
            "--max-tokens", str(tier.max_tokens), "--repeat", str(tier.repeats)]
    if tier.num_shots is not None:
        args += ["--num-shots", str(tier.num_shots)]
    if tier.temperature is not None:
        args += ["--temperature", repr(tier.temperature)]
    if tier.top_p is not None:
        args += ["--top-p", repr(tier.top_p)]
    if data_path:
        args += ["--gsm8k-data-path", str(data_path)]
    if not sys_path:
        return [python, "-m", RUN_EVAL_MODULE, *args]
    boot = (f"import sys, runpy; sys.path.extend({list(sys_path)!r}); sys.argv[0] = {RUN_EVAL_MODULE!r}; "
            f"runpy.run_module({RUN_EVAL_MODULE!r}, run_name='__main__', alter_sys=True)")
    return [python, "-c", boot, *args]


def result_file(eval_name: str, model: str) -> Path:
    """Where run_eval writes its metrics (sglang/test/run_eval.py: ``/tmp/{file_stem}.json``)."""
    return Path("/tmp") / f"{eval_name}_{model.replace('/', '_')}.json"


def harness_failures(output: str) -> int:
    return sum(1 for line in output.splitlines() if any(m in line for m in HARNESS_FAILURE_LINES))


@dataclass
class GateRecord:
    """One gate run: what was asked, what happened, the verdict. Written next to bench results."""

    profile: str
    tier: str
    eval: str
    base_url: str
    examples_asked: int
    examples_sent: int = 0
    failed_requests: int = 0
    retried_requests: int = 0
    score: Optional[float] = None
    score_std: Optional[float] = None
    threshold: Optional[float] = None
    min_score: Optional[float] = None
    source: str = UNSOURCED
    threshold_how: str = ""
    wall_s: float = 0.0
    usd: Optional[float] = None
    harness_exit: Optional[int] = None
    verdict: str = "error"  # pass | fail-score | fail-run | warn-unsourced | error
    problems: list[str] = field(default_factory=list)
    relay: dict = field(default_factory=dict)
    started_utc: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in ("pass", "warn-unsourced")

    def as_dict(self) -> dict:
        return asdict(self)


def decide(rec: GateRecord, tier: AccuracyTier) -> GateRecord:
    """Set ``rec.verdict`` (and its threshold fields) from the counts and the score."""
    t = threshold(tier, rec.examples_sent or None)  # the SE of what was actually scored
    rec.threshold, rec.min_score, rec.source, rec.threshold_how = t.value, t.min_score, t.source, t.how
    asked = rec.examples_asked
    if rec.harness_exit not in (0, None):
        rec.problems.append(f"the harness exited {rec.harness_exit}")
    if rec.failed_requests:
        rec.problems.append(f"{rec.failed_requests} of {rec.examples_sent} requests failed (the harness scores "
                            "them as wrong answers): the server is failing, not answering worse")
    if rec.examples_sent < asked:
        rec.problems.append(f"only {rec.examples_sent} of {asked} examples were sent (the data holds fewer, or "
                            "the harness stopped early)")
    if rec.score is None:
        rec.problems.append("the harness wrote no score")
    if rec.problems:
        rec.verdict = "fail-run"
    elif t.value is None:
        rec.verdict = "warn-unsourced"
    else:
        rec.verdict = "pass" if rec.score >= t.value else "fail-score"
    return rec


def _status(url: str, headers: dict[str, str], timeout: float) -> Optional[int]:
    from modal_llm_deploy.operate.bench import _status as status  # one HTTP probe for bench and eval

    return status(url, headers, timeout)


def preflight(base_url: str, key: Optional[str], proxy: Optional[dict[str, str]], timeout: float = 30) -> Optional[str]:
    """/health, then the proxy token, then the API key — each reported as itself, never as a score."""
    from modal_llm_deploy.operate.bench import key_refused, proxy_refused

    if proxy:
        refused = proxy_refused(base_url, proxy, timeout)
        if refused:
            return refused
    code = _status(base_url.rstrip("/") + "/health", dict(proxy or {}), timeout)
    if code is None:
        return f"nothing answered at {base_url}/health: the server is down or the URL is wrong"
    if code != 200:
        return f"{base_url}/health answered {code}: the server is not ready (starting, draining or broken)"
    return key_refused(base_url, key, timeout, proxy=proxy)


def run_gate(*, profile: str, tier_name: str, tier: AccuracyTier, base_url: str, model: str, python: str,
             key: Optional[str], target_concurrency: float, proxy: Optional[dict[str, str]] = None,
             data_path: Optional[str] = None, sys_path: tuple[str, ...] = (), usd_per_hour: Optional[float] = None,
             echo: Callable[[str], None] = lambda s: print(s, flush=True)) -> GateRecord:
    """Preflight, then the harness through the counting relay, then the verdict; every exit
    leaves a record that says why."""
    from modal_llm_deploy.operate.eval_relay import Relay

    rec = GateRecord(profile=profile, tier=tier_name, eval=tier.eval, base_url=base_url,
                     examples_asked=tier.examples * tier.repeats,
                     started_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    if tier.harness != "run_eval":
        rec.problems.append(f"{tier.eval} runs through sgl-eval (sglang.test.sgl_eval_utils.run_sgl_eval), which this "
                            "gate does not drive yet: use a gsm8k tier, or run sgl-eval by hand (docs/accuracy.md)")
        rec.verdict = "error"
        return rec
    why = preflight(base_url, key, proxy)
    if why:
        rec.problems.append(why)
        rec.verdict = "error"
        return rec
    out_file = result_file(tier.eval, model)
    out_file.unlink(missing_ok=True)  # never read an earlier run's score
    env = dict(os.environ)
    env["OPENAI_API_KEY"] = key or "EMPTY"  # run_eval's samplers send it as Bearer
    t0 = time.monotonic()
    with Relay(base_url, add_headers=proxy, repeats=tier.repeats) as relay:
        argv = harness_argv(python, relay.url, model, tier, eval_concurrency(target_concurrency), data_path, sys_path)
        echo(f"eval: {tier_name} tier: {' '.join(argv[:2] + ['…'] if '-c' in argv[:2] else argv)}")
        try:
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, errors="replace", cwd="/tmp")
        except OSError as e:
            rec.problems.append(f"cannot start the harness with {python!r}: {e.strerror or e}")
            rec.verdict = "error"
            return rec
    rec.wall_s = round(time.monotonic() - t0, 1)
    rec.harness_exit = proc.returncode
    output = proc.stdout + proc.stderr
    counts = relay.counts
    rec.relay = counts.as_dict()
    rec.examples_sent = counts.examples
    rec.retried_requests = counts.retried
    rec.failed_requests = max(counts.failed, harness_failures(output))
    if usd_per_hour is not None:
        rec.usd = round(usd_per_hour * rec.wall_s / 3600, 4)
    if proc.returncode != 0:
        echo("eval: harness output (last lines):\n" + "\n".join(output.splitlines()[-15:]))
        if counts.tries == 0:  # it never sent a request: a missing harness, not a failing server
            last = (output.strip().splitlines() or ["no output"])[-1]
            rec.problems.append(f"the harness did not run with {python} ({last}): name an interpreter that has "
                                "SGLang's eval harness (--python; --sys-path for openai/httpx)")
            rec.verdict = "error"
            return rec
    if out_file.is_file():
        metrics = json.loads(out_file.read_text())
        score = metrics.get("score", metrics.get("mean_score"))
        rec.score = float(score) if score is not None else None
        std = metrics.get("score:std")
        rec.score_std = float(std) if std is not None else None
    return decide(rec, tier)


# --- recording a reference --------------------------------------------------------------------


def reference_overrides(rec: GateRecord) -> dict[str, object]:
    """The dotted overrides that make ``rec``'s score the tier's reference (``--record-reference``).
    Refused for a run that is not a clean, complete one."""
    if rec.verdict == "fail-run" or rec.verdict == "error" or rec.score is None:
        raise ValueError(f"cannot record a reference from a failed run ({'; '.join(rec.problems) or rec.verdict})")
    if rec.score <= 0:
        raise ValueError("cannot record a reference score of 0")
    t = f"accuracy.{rec.tier}"
    return {
        f"{t}.min_score": round(rec.score, 4),
        f"{t}.source_kind": "reference",
        f"{t}.source_examples": rec.examples_sent,
        f"{t}.source": f"recorded by `eval --record-reference` on {rec.base_url} at {rec.started_utc} "
                       f"({rec.examples_sent} examples)",
    }


def reference_toml(overrides: dict[str, object]) -> str:
    """The overrides as a TOML file ``--file``/``MODAL_LLM_DEPLOY_FILE`` reads (profile/overrides.py)."""
    lines: dict[str, list[str]] = {}
    for k, v in overrides.items():
        table, key = k.rsplit(".", 1)
        lines.setdefault(table, []).append(f"{key} = {json.dumps(v)}")
    return "".join(f"[{t}]\n" + "\n".join(ls) + "\n\n" for t, ls in lines.items())


def python_of(sglang_argv: list[str]) -> str:
    """The interpreter the SGLang image runs (the plan's argv[0])."""
    return sglang_argv[0] if sglang_argv else sys.executable

