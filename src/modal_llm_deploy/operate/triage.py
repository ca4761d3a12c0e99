"""Log triage: recognise known failures in a server's logs and say what to do.

The catalogue (``data/triage_signatures.json``) holds, per failure, the exact strings the
pinned packages print (SGLang 0.5.23, modal 1.6.4, huggingface_hub 2.4, torch) or this
library prints, the file each string comes from, the likely cause and the fix: an exact
command or ``--set`` filled in from the plan. ``tests/test_triage.py`` proves every string
still occurs in its file, so a release that rewords a message is caught by CI instead of
silently turning triage blind.

A line is matched against the signatures in catalogue order (specific before generic); the
first hit wins. Some strings mean different things at different moments of a cold start
(``OutOfMemoryError`` while loading weights vs. while capturing CUDA graphs), so triage tracks
the phase from SGLang's own boot lines (``steps/phases.py``) as it reads.

Pure: no Modal import. ``modal-llm-deploy triage FILE|-`` and ``logs --triage`` use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Iterable, Iterator, Optional

from modal_llm_deploy.engine.phases import PHASE_NAMES, phase_change

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan

CATALOGUE = "triage_signatures.json"


@dataclass(frozen=True)
class Match:
    package: str  # "sglang", "modal", "huggingface_hub", "torch", "modal_llm_deploy"
    file: str  # path inside the package
    all: tuple[str, ...]  # every string must occur in the line (and in the file)
    phases: tuple[Optional[str], ...] | None = None  # None = any phase

    def hits(self, line: str, phase: Optional[str]) -> bool:
        if self.phases is not None and phase not in self.phases:
            return False
        return all(s in line for s in self.all)


@dataclass(frozen=True)
class Signature:
    id: str
    title: str
    matches: tuple[Match, ...]
    cause: str
    fix: str  # template; placeholders from fix_values()
    excerpt: tuple[str, ...]  # a log excerpt made from the strings, triaged by the tests


@dataclass
class Finding:
    signature: Signature
    line_no: int  # first occurrence, 1-based
    line: str
    phase: Optional[str]
    fix: str
    count: int = 1
    line_nos: list[int] = field(default_factory=list)

    @property
    def when(self) -> str:
        return PHASE_NAMES.get(self.phase, self.phase or "")

    def as_dict(self) -> dict:
        s = self.signature
        return {"id": s.id, "title": s.title, "line": self.line_no, "count": self.count, "when": self.when,
                "text": self.line, "cause": s.cause, "fix": self.fix}


@lru_cache(maxsize=1)
def catalogue() -> tuple[Signature, ...]:
    raw = json.loads(resources.files("modal_llm_deploy").joinpath("data", CATALOGUE).read_text("utf-8"))
    sigs = []
    for s in raw["signatures"]:
        matches = tuple(
            Match(m["package"], m["file"], tuple(m["all"]),
                  tuple(m["phases"]) if m.get("phases") is not None else None)
            for m in s["matches"]
        )
        sigs.append(Signature(s["id"], s["title"], matches, s["cause"], s["fix"], tuple(s["excerpt"])))
    return tuple(sigs)


# --- fixes filled in from the plan ---------------------------------------------------------------


def _argv_value(argv: list[str], flag: str) -> Optional[str]:
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            return argv[i + 1]
    return None


def fix_values(plan: "DeploymentPlan | None", profile: Optional[str] = None) -> dict[str, str]:
    """Placeholder → text for the fix templates. Without a plan (offline triage of a file with
    no profile) the placeholders stay readable (``<PROFILE>``) instead of guessing numbers."""
    if plan is None:
        generic = {k: f"<{k.upper()}>" for k in (
            "mem_up", "mem_down", "mrr_down", "watchdog_up", "startup_up", "hf_secret", "hf_env",
            "api_secret", "api_env", "repo")}
        return {**generic, "profile": profile or "<PROFILE>",
                "download": "modal run <deploy script>::download_model",
                "compile": "modal run <deploy script>::compile_deepgemm",
                "verify": "modal run <deploy script>::verify_setup",
                "deploy": "modal deploy <deploy script>"}
    argv = plan.sglang_argv
    mem = float(_argv_value(argv, "--mem-fraction-static") or 0.88)
    mrr = _argv_value(argv, "--max-running-requests")
    wd = int(_argv_value(argv, "--watchdog-timeout") or 300)  # SGLang's default (FACTS.md)
    hf = plan.unit("download").secrets
    return {
        "profile": plan.profile,
        # Small steps: 0.03 of 180 GB is ~5 GB per GPU, about one CUDA-graph capture's worth.
        "mem_up": f"{min(0.95, mem + 0.03):.2f}",
        "mem_down": f"{max(0.5, mem - 0.03):.2f}",
        "mrr_down": str(max(1, int(mrr) * 3 // 4)) if mrr else "<fewer>",
        "watchdog_up": str(wd * 2),
        "startup_up": str(min(3600, plan.server.startup_timeout_s * 3 // 2)),
        "hf_secret": hf[0] if hf else "huggingface-secret",
        "hf_env": plan.weights.token_env,
        "api_secret": plan.server.api_key_secret or "<secret>",
        "api_env": plan.server.api_key_env,
        "repo": plan.weights.repo_id,
        **{k: plan.commands[k] for k in ("download", "compile", "verify", "deploy")},
    }


def render_fix(sig: Signature, values: dict[str, str]) -> str:
    return sig.fix.format(**values)


# --- scanning ------------------------------------------------------------------------------------


class Triage:
    """Feed lines one at a time (``feed``) for streaming, or use ``triage_lines``."""

    def __init__(self, plan: "DeploymentPlan | None" = None, profile: Optional[str] = None):
        self.values = fix_values(plan, profile)
        self.phase: Optional[str] = None
        self.line_no = 0
        self.findings: dict[str, Finding] = {}

    def feed(self, line: str) -> Optional[Finding]:
        """Returns the finding when ``line`` is the first occurrence of a signature; later
        occurrences only count. A new boot (``Load weight begin.``) resets the phase."""
        self.line_no += 1
        line = line.rstrip("\n")
        new_phase = phase_change(line)
        if new_phase is not None:
            self.phase = new_phase
        for sig in catalogue():
            if any(m.hits(line, self.phase) for m in sig.matches):
                f = self.findings.get(sig.id)
                if f is not None:
                    f.count += 1
                    f.line_nos.append(self.line_no)
                    return None
                f = Finding(sig, self.line_no, line.strip(), self.phase, render_fix(sig, self.values),
                            line_nos=[self.line_no])
                self.findings[sig.id] = f
                return f
        return None


def triage_lines(lines: Iterable[str], plan: "DeploymentPlan | None" = None,
                 profile: Optional[str] = None) -> list[Finding]:
    t = Triage(plan, profile)
    for line in lines:
        t.feed(line)
    return sorted(t.findings.values(), key=lambda f: f.line_no)


def split_lines(chunks: Iterable[str]) -> Iterator[str]:
    """Modal log entries are chunks of output, not lines: re-split them."""
    buf = ""
    for c in chunks:
        buf += c
        *done, buf = buf.split("\n")
        yield from done
    if buf:
        yield buf


def set_options(fix: str) -> list[tuple[str, str]]:
    """The ``--set key=value`` pairs of a fix text (tests apply them to the profile)."""
    out = []
    for m in re.finditer(r"--set ([\w.-]+)=([^\s,;()]+)", fix):
        out.append((m.group(1), m.group(2)))
    return out
