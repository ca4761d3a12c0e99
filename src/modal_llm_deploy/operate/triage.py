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
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from modal_llm_deploy.engine.phases import PHASE_NAMES, batch_phase, phase_change

if TYPE_CHECKING:
    from modal_llm_deploy.profile.model import Profile

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
    fix: str  # prose template; placeholders from fix_values()
    excerpt: tuple[str, ...]  # a log excerpt made from the strings, triaged by the tests
    # Fixes that change profile fields: alternatives, each {dotted key: value template}. Their
    # commands come from the one printer (plan/commands.py fix_commands), overrides included.
    changes: tuple[dict[str, str], ...] = ()
    then: str = "deploy"  # what the changed values are for: "deploy" or "download"


@dataclass
class Finding:
    signature: Signature
    line_no: int  # first occurrence, 1-based
    line: str
    phase: Optional[str]
    fix: str
    commands: list[str] = field(default_factory=list)  # printed one per line, as pasted
    count: int = 1
    line_nos: list[int] = field(default_factory=list)

    @property
    def when(self) -> str:
        return PHASE_NAMES.get(self.phase, self.phase or "")

    @property
    def title(self) -> str:
        """The signature's title; ``{when}`` in it is the phase the line was seen in."""
        return self.signature.title.format(when=self.when)

    def as_dict(self) -> dict:
        s = self.signature
        return {"id": s.id, "title": self.title, "line": self.line_no, "count": self.count, "when": self.when,
                "text": self.line, "cause": s.cause, "fix": self.fix, "commands": self.commands}


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
        sigs.append(Signature(s["id"], s["title"], matches, s["cause"], s["fix"], tuple(s["excerpt"]),
                              tuple(s.get("changes", ())), s.get("then", "deploy")))
    return tuple(sigs)


# --- fixes filled in from the profile ------------------------------------------------------------


def _argv_value(argv: list[str], flag: str) -> Optional[str]:
    for i, a in enumerate(argv[:-1]):
        if a == flag:
            return argv[i + 1]
    return None


def _flag_value(argv: list[str], version: str, flag: str) -> Any:
    """The value the plan's argv gives ``--flag``, else the pinned SGLang's own default (the flag
    data generated from its parser, engine/flags.py; e.g. ``--watchdog-timeout`` 300 in 0.5.23,
    ``srt/arg_groups/fields/device.py``)."""
    from modal_llm_deploy.engine.flags import table

    given = _argv_value(argv, "--" + flag)
    return given if given is not None else table(version).flags[flag].default


def fix_values(profile: "Profile | None", name: Optional[str] = None) -> dict[str, str]:
    """Placeholder → text for the fix templates. Without a profile (offline triage of a file
    with no ``--profile``) the placeholders stay readable (``<MEM_DOWN>``) instead of guessing
    numbers."""
    from modal_llm_deploy.plan.commands import cli_usage, secret_create

    if profile is None:
        from modal_llm_deploy.plan.commands import fix_commands

        generic = {k: f"<{k.upper()}>" for k in (
            "mem", "mem_up", "mem_down", "mrr", "mrr_down", "watchdog_up", "startup_up", "hf_secret", "hf_env",
            "api_secret", "api_env", "repo")}
        cmds = fix_commands(None, {}, name=name or "<PROFILE>")  # the printer, with no profile to fill in
        return {**generic, "profile": name or "<PROFILE>",
                "profiles_cli": cli_usage("profiles"),
                "cost_cli": cli_usage("cost", name or "<PROFILE>", "--cold-starts", "N"),
                "hf_secret_cmd": secret_create("<HF_SECRET>", ["<HF_ENV>"], force=True),
                "api_secret_cmd": secret_create("<API_SECRET>", ["<API_ENV>"], force=True),
                **{k: cmds[k] for k in ("download", "compile", "verify", "deploy", "logs_cli")}}
    from modal_llm_deploy.plan.build import build_plan

    plan = build_plan(profile)
    argv = plan.sglang_argv
    version = profile.engine.sglang_version
    mem_given = _flag_value(argv, version, "mem-fraction-static")  # SGLang's default: None (sized at start)
    mem = float(mem_given) if mem_given is not None else None
    mrr = _flag_value(argv, version, "max-running-requests")
    wd = int(float(_flag_value(argv, version, "watchdog-timeout")))
    hf = plan.unit("download").secrets
    return {
        "profile": plan.profile,
        "mem": f"{mem:.2f}" if mem is not None else "SGLang's own choice",
        # Small steps: 0.03 of 180 GB is ~5 GB per GPU, about one CUDA-graph capture's worth.
        # Unset, SGLang sizes it at start: the fixes name a value the user must choose.
        "mem_up": f"{min(0.95, mem + 0.03):.2f}" if mem is not None else "<MEM_UP>",
        "mem_down": f"{max(0.5, mem - 0.03):.2f}" if mem is not None else "<MEM_DOWN>",
        "mrr": str(mrr) if mrr is not None else "unset",
        "mrr_down": str(max(1, int(mrr) * 3 // 4)) if mrr else "<fewer>",
        "watchdog_up": str(wd * 2),
        "startup_up": str(min(3600, plan.server.startup_timeout_s * 3 // 2)),
        "hf_secret": hf[0] if hf else "huggingface-secret",
        "hf_env": plan.weights.token_env,
        "api_secret": plan.server.api_key_secret or "<secret>",
        "api_env": plan.server.api_key_env,
        "repo": plan.weights.repo_id,
        "profiles_cli": cli_usage("profiles"),
        "cost_cli": cli_usage("cost", plan.profile, "--cold-starts", "N"),
        # the printer's secret lines: the value comes from the user's shell, never printed
        "hf_secret_cmd": secret_create(hf[0] if hf else "huggingface-secret", [plan.weights.token_env], force=True),
        "api_secret_cmd": secret_create(plan.server.api_key_secret or "<secret>", [plan.server.api_key_env], force=True),
        **{k: plan.commands[k] for k in ("download", "compile", "verify", "deploy", "logs_cli")},
    }


def fix_changes(sig: Signature, values: dict[str, str]) -> list[dict[str, Any]]:
    """The signature's alternative profile changes with the plan's numbers filled in, as
    ``--set`` reads them (``"0.85"`` → 0.85)."""
    from modal_llm_deploy.profile.overrides import parse_value

    return [{k: parse_value(v.format(**values)) for k, v in alt.items()} for alt in sig.changes]


def render_fix(sig: Signature, values: dict[str, str], profile: "Profile | None" = None) -> tuple[str, list[str]]:
    """The fix's prose and its commands, one per line: for each alternative change, the deploy
    that carries it (``MODAL_LLM_DEPLOY_SET=… modal deploy …``) and the CLI form."""
    from modal_llm_deploy.plan.commands import fix_commands

    keys = ("deploy", "deploy_cli") if sig.then == "deploy" else (sig.then,)
    commands: list[str] = []
    for change in fix_changes(sig, values):
        # a value the user must choose ("<COMMIT_SHA>") cannot be validated yet
        chosen = any(isinstance(v, str) and v.startswith("<") for v in change.values())
        cmds = fix_commands(profile, change, validate=profile is not None and not chosen, name=values["profile"])
        commands += [cmds[k] for k in keys]
    return sig.fix.format(**values), commands


# --- scanning ------------------------------------------------------------------------------------


class Triage:
    """Feed lines one at a time (``feed``) for streaming, or use ``triage_lines``."""

    def __init__(self, profile: "Profile | None" = None, name: Optional[str] = None):
        self.profile = profile
        self.values = fix_values(profile, name)
        self.phase: Optional[str] = None
        self.line_no = 0
        self.findings: dict[str, Finding] = {}

    def feed(self, line: str) -> Optional[Finding]:
        """Returns the finding when ``line`` is the first occurrence of a signature; later
        occurrences only count. The phase follows the log's own order: SGLang's boot lines
        (``Load weight begin.`` starts a new boot) and its batch lines (decoding began)."""
        self.line_no += 1
        line = line.rstrip("\n")
        new_phase = phase_change(line) or batch_phase(line)
        if new_phase is not None:
            self.phase = new_phase
        for sig in catalogue():
            if any(m.hits(line, self.phase) for m in sig.matches):
                f = self.findings.get(sig.id)
                if f is not None:
                    f.count += 1
                    f.line_nos.append(self.line_no)
                    return None
                fix, commands = render_fix(sig, self.values, self.profile)
                f = Finding(sig, self.line_no, line.strip(), self.phase, fix, commands, line_nos=[self.line_no])
                self.findings[sig.id] = f
                return f
        return None


def triage_lines(lines: Iterable[str], profile: "Profile | None" = None,
                 name: Optional[str] = None) -> list[Finding]:
    t = Triage(profile, name)
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

