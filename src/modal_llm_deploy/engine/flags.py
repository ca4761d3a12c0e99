"""SGLang's launch-server flags as data, and the instant check of ``engine.flags`` against it.

Why data and not the parser: users set flags in a profile or with ``--set engine.flags.x=…``
on a laptop that has no SGLang (2.3 GB, CUDA wheels). A typo, an abbreviation (``tp`` is
argparse's unique prefix of ``--tp-size``: it would silently override the plan's TP), a
deprecated flag or a bad choice must be refused there, in milliseconds. So each supported
SGLang version ships a data file, ``modal_llm_deploy/data/sglang/v<version>.py`` (``v0_5_23.py``),
generated from that version's real parser by ``python -m modal_llm_deploy.engine.gen_flags
generate``; a test regenerates it with the real parser and fails if the shipped file differs.

Why a ``.py`` holding JSON text and not a ``.json`` file: profiles are validated in the Modal
containers too (the plugin builds them at import), and Modal's ``add_local_python_source``
mounts only Python files by default (``modal.file_pattern_matcher.NON_PYTHON_FILES``), so a
``.json`` next to the code would be missing there. A module is in every wheel, every mount and
every editable install without packaging rules.

What the file holds, per option of ``ServerArgs.add_cli_args`` (sglang ``srt/server_args.py``)
plus ``CompileArgs.add_cli_args`` (``sglang/compile_deep_gemm.py``): every option string
(aliases, the ``--no-`` form of ``BooleanOptionalAction``), dest, nargs, choices, type, default,
which of the two modules accept it, and deprecation. SGLang 0.5.23 marks a deprecated flag in
two ways (both read by the generator): an action class from
``srt/arg_groups/argparse_actions.py`` (``Deprecated*Action``, with ``new_flag=`` naming the
replacement), or a help text that starts with "Deprecated" / "(Deprecated…" (e.g.
``--enable-flashinfer-allreduce-fusion``: "(Deprecated: use
--flashinfer-allreduce-fusion-backend=auto)"). Deprecated *values* are marked by a comment in
``srt/arg_groups/choices.py`` (``"nsa",  # Deprecated alias for "dsa"``).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

DATA_PACKAGE = "modal_llm_deploy.data.sglang"
FORMAT = 1

# Runs inside the parser interpreter (see sglang_check.parser_env_python). Prints one JSON line.
_GENERATOR_BODY = r'''
import glob, math, os, re, sys
import sglang
from sglang.srt.server_args import ServerArgs

HELP_DEPRECATED = re.compile(
    r"^\s*\(?\s*deprecated\b[\s.:,;)-]*(?:use\s+(?P<rep>.+?)(?:\s+instead\b.*|\)(?:\s.*)?|\.)?\s*$)?",
    re.I | re.S,
)
ADDRESS = re.compile(r" at 0x[0-9a-f]+")

def type_name(t):
    if t is None:
        return None
    if t in (int, float, str):
        return t.__name__
    name = getattr(t, "__name__", type(t).__name__)
    return "json" if name == "loads" else name

def jsonable(v):
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else repr(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted((jsonable(x) for x in v), key=lambda x: (str(type(x)), str(x)))
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    value = getattr(v, "value", None)  # enums
    if isinstance(value, (str, int)):
        return value
    return ADDRESS.sub("", repr(v))

def deprecated_choices():
    """``"nsa",  # Deprecated alias for "dsa"`` comments in the arg_groups sources."""
    root = os.path.dirname(importlib.util.find_spec("sglang.srt.arg_groups").origin)
    pat = re.compile(r'^\s*"([^"]+)",\s*#\s*Deprecated alias for "([^"]+)"')
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True)):
        for line in open(path, encoding="utf-8"):
            m = pat.match(line)
            if m:
                found[m.group(1)] = m.group(2)
    return found

def describe(action, parser_name):
    longs = [o[2:] for o in action.option_strings if o.startswith("--")]
    negation = None
    if isinstance(action, argparse.BooleanOptionalAction):
        negs = [o for o in longs if o.startswith("no-") and o[3:] in longs]
        negation = negs[0] if negs else None
        longs = [o for o in longs if o != negation]
    d = {
        "aliases": longs[1:],
        "dest": action.dest,
        "nargs": action.nargs,
        "type": type_name(action.type),
        "default": jsonable(action.default),
        "action": type(action).__name__,
        "parsers": [parser_name],
    }
    if action.choices is not None:
        d["choices"] = jsonable(list(action.choices) if not isinstance(action.choices, (set, frozenset)) else action.choices)
    if negation:
        d["negation"] = negation
    cls = type(action).__name__
    if cls.startswith("Deprecated"):
        d["deprecated"] = {"marker": cls, "replacement": getattr(action, "new_flag", None)}
    elif action.help:
        m = HELP_DEPRECATED.match(action.help)
        if m:
            rep = m.group("rep")
            d["deprecated"] = {"marker": "help text", "replacement": rep.strip().rstrip(".") if rep else None}
    return longs[0], d

options = {}
alias_of = deprecated_choices()
for parser_name, add in (("launch_server", [ServerArgs.add_cli_args]),
                         ("compile_deep_gemm", [ServerArgs.add_cli_args, compile_args_class().add_cli_args])):
    p = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for f in add:
        f(p)
    for a in p._actions:
        name, d = describe(a, parser_name)
        if name in options:
            if parser_name not in options[name]["parsers"]:
                options[name]["parsers"].append(parser_name)
            continue
        if "choices" in d:
            dep = {c: alias_of[c] for c in d["choices"] if isinstance(c, str) and c in alias_of and alias_of[c] in d["choices"]}
            if dep:
                d["deprecated_choices"] = dep
        options[name] = d
for d in options.values():
    d["parsers"].sort()
print(json.dumps({"sglang_version": sglang.__version__, "options": options}))
'''

SOURCES = [
    "sglang/srt/server_args.py: ServerArgs.add_cli_args (sglang.launch_server)",
    "sglang/compile_deep_gemm.py: CompileArgs.add_cli_args (sglang.compile_deep_gemm)",
    "sglang/srt/arg_groups/argparse_actions.py: Deprecated*Action (deprecated flags, new_flag=)",
    "help texts starting with 'Deprecated' (deprecated flags)",
    "sglang/srt/arg_groups/choices.py: '# Deprecated alias for' comments (deprecated values)",
]


def generate(python: Path | str) -> dict[str, Any]:
    """Run the real parser in ``python`` and return the flag data (not yet written)."""
    # sglang_check (subprocess, venv) is only needed to generate the data, never to check a
    # profile: imported here so building an app does not pay for it (issue 7, import cost).
    from modal_llm_deploy.engine.check import COMPILE_ARGS_SNIPPET, run_in_parser

    raw = run_in_parser(python, COMPILE_ARGS_SNIPPET + _GENERATOR_BODY, {})
    if "fatal" in raw:
        raise RuntimeError(raw["fatal"])
    return {
        "format": FORMAT,
        "sglang_version": raw["sglang_version"],
        "generated_by": "python -m modal_llm_deploy.engine.gen_flags generate",
        "sources": SOURCES,
        "options": dict(sorted(raw["options"].items())),
    }


_HEADER = (
    '"""SGLang {version} launch-server and compile_deep_gemm flags, generated from its real parser by\n'
    "``python -m modal_llm_deploy.engine.gen_flags generate --version {version}``. Do not edit: the test\n"
    "test_shipped_flag_data_equals_the_real_parser regenerates it and fails on any difference.\n"
    "A Python module holding JSON text (see modal_llm_deploy/sglang_flags.py for why).\n"
    '"""\n\nVERSION = "{version}"\n\n'
)
_Q = "'" * 3  # the raw string's quotes


def render(data: Mapping[str, Any]) -> str:
    """Deterministic module text: JSON with sorted keys and a fixed indent (so diffs are real)."""
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=True)
    # a raw triple-quoted literal keeps every JSON escape as written; it cannot hold these
    if _Q in text or text.endswith("\\"):
        raise ValueError("flag data cannot be embedded in a raw string literal")
    return _HEADER.format(version=data["sglang_version"]) + f"JSON = r{_Q}{text}{_Q}\n"


def module_name(version: str) -> str:
    """``0.5.23`` → ``v0_5_23``; ``0.5.23.post1`` → ``v0_5_23_post1``."""
    return "v" + version.replace(".", "_")


def data_dir() -> Path:
    return Path(str(resources.files(DATA_PACKAGE)))


def supported_versions() -> list[str]:
    return sorted(p.name[1:-3].replace("_", ".") for p in resources.files(DATA_PACKAGE).iterdir()
                  if re.fullmatch(r"v\d+(_\d+)+(_post\d+)?\.py", p.name))


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    name: str
    aliases: tuple[str, ...]
    dest: str
    nargs: int | str | None
    type: str | None
    default: Any
    parsers: tuple[str, ...]
    choices: tuple[Any, ...] | None = None
    negation: str | None = None
    deprecated: Mapping[str, Any] | None = None
    deprecated_choices: Mapping[str, str] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases) + ((self.negation,) if self.negation else ())

    @property
    def takes_value(self) -> bool:
        return self.nargs != 0


class FlagTable:
    def __init__(self, data: Mapping[str, Any]):
        self.version: str = data["sglang_version"]
        self.flags: dict[str, Flag] = {}
        for name, d in data["options"].items():
            self.flags[name] = Flag(
                name=name,
                aliases=tuple(d["aliases"]),
                dest=d["dest"],
                nargs=d["nargs"],
                type=d["type"],
                default=d["default"],
                parsers=tuple(d["parsers"]),
                choices=tuple(d["choices"]) if "choices" in d else None,
                negation=d.get("negation"),
                deprecated=d.get("deprecated"),
                deprecated_choices=d.get("deprecated_choices", {}),
            )
        self.by_name: dict[str, Flag] = {n: f for f in self.flags.values() for n in f.names}
        self.by_dest: dict[str, list[Flag]] = {}
        for f in self.flags.values():
            self.by_dest.setdefault(f.dest, []).append(f)

    def names_of_dest(self, dest: str) -> set[str]:
        """Every spelling that sets ``dest`` (aliases and ``--no-`` forms included)."""
        return {n for f in self.by_dest.get(dest, []) for n in f.names}


class UnsupportedVersion(ValueError):
    pass


@lru_cache(maxsize=None)
def table(version: str) -> FlagTable:
    if version not in supported_versions():
        have = ", ".join(supported_versions()) or "none"
        raise UnsupportedVersion(
            f"engine.sglang_version={version}: this library has no flag data for SGLang {version} "
            f"(it has: {have}); generate it with `python -m modal_llm_deploy.engine.gen_flags generate "
            f"--version {version}` (writes modal_llm_deploy/data/sglang/{module_name(version)}.py), "
            "or pin a supported version"
        )
    mod = importlib.import_module(f"{DATA_PACKAGE}.{module_name(version)}")
    return FlagTable(json.loads(mod.JSON))


# --- the check -------------------------------------------------------------------------------


def suggest(version: str, name: str) -> str | None:
    """The flag of SGLang ``version`` that ``name`` most likely means, or None.

    First the name as SGLang's command line spells it: no leading dashes, words joined by
    ``-`` (the option strings of srt/server_args.py ``ServerArgs.add_cli_args``, e.g.
    ``--mem-fraction-static``, whose argparse dest is ``mem_fraction_static``: the spelling a
    Python user types); then the closest name of the table."""
    import difflib  # only on an unknown flag

    t = table(version)
    spelled = name.strip().lstrip("-").replace("_", "-").lower()
    if spelled in t.by_name:
        return spelled
    close = difflib.get_close_matches(spelled, list(t.by_name), n=1, cutoff=0.75)
    return close[0] if close else None


_HUMAN_INT = re.compile(r"^\d+(\.\d+)?[kMGT]$|^\d+(Ki|Mi|Gi|Ti)?$")


def _type_ok(kind: str | None, v: Any) -> str | None:
    """None if ``v`` converts like argparse's ``type=`` would; else what was expected."""
    if isinstance(v, bool):
        return "a value, not true/false" if kind not in (None, "str", "nullable_str") else None
    if kind == "int":
        ok = isinstance(v, int) or (isinstance(v, str) and re.fullmatch(r"[+-]?\d+", v.strip()))
        return None if ok else "a whole number"
    if kind == "float":
        if isinstance(v, (int, float)):
            return None
        try:
            float(str(v))
            return None
        except ValueError:
            return "a number"
    if kind == "human_readable_int":  # sglang srt/utils/common.py: 16384, '16k', '32Ki'
        return None if isinstance(v, int) or (isinstance(v, str) and _HUMAN_INT.match(v.strip())) else \
            "a whole number (SI/IEC suffixes like 16k or 32Ki allowed)"
    return None


def _show(v: Any) -> str:
    """A value as the user wrote it in TOML/--set (true, not Python's True)."""
    return json.dumps(v) if isinstance(v, (bool, list)) or v is None else repr(v)


def _arity_problem(f: Flag, v: Any) -> str | None:
    n = f.nargs
    if n == 0:
        if not isinstance(v, bool):
            return f"--{f.name} is a switch: write true (or false to leave it out)"
        return None
    if v is True:
        if n in ("?", "*"):
            return None  # a bare --flag is valid for optional values
        return f"--{f.name} takes a value, not a bare switch (true)"
    if isinstance(v, list):
        if n in ("*", "+") or (isinstance(n, int) and n == len(v)):
            if n == "+" and not v:
                return f"--{f.name} needs at least one value"
            return None
        if isinstance(n, int):
            return f"--{f.name} takes exactly {n} values, got {len(v)}"
        return f"--{f.name} takes one value, not a list"
    if isinstance(n, int) and n > 1:
        return f"--{f.name} takes a list of {n} values"
    return None


def check_flags(version: str, flags: Mapping[str, Any], owned: Mapping[str, str]) -> None:
    """Raise ValueError (one line, naming ``engine.flags.<name>``) for the first bad flag.

    ``owned`` maps a flag name to the profile field that owns it; every alias of the same dest
    is refused too (``tp``/``tp-size``/``tensor-parallel-size`` all set ``tp_size``).
    """
    t = table(version)
    owner_of_dest: dict[str, tuple[str, str]] = {}
    for name, owner in owned.items():
        f = t.by_name.get(name)
        if f is not None:
            owner_of_dest.setdefault(f.dest, (f.name, owner))
    for name, value in flags.items():
        where = f"engine.flags.{name}"
        f = t.by_name.get(name)
        if f is None:
            if name in owned:  # owned but unknown to this version: still not a user flag
                raise ValueError(f"{where}: set by {owned[name]}, not engine.flags")
            longer = sorted(n for n in t.by_name if n.startswith(name))
            if longer:
                full = t.by_name[longer[0]]
                if len({t.by_name[n].dest for n in longer}) > 1:
                    raise ValueError(
                        f"{where}: ambiguous abbreviation of "
                        f"{', '.join('--' + n for n in longer[:4])}: write the full name"
                    )
                if full.dest in owner_of_dest:
                    raise ValueError(
                        f"{where}: abbreviation of --{owner_of_dest[full.dest][0]}; "
                        f"{owner_of_dest[full.dest][1]} owns it: set that instead"
                    )
                raise ValueError(
                    f"{where}: abbreviation of --{full.name}: write the full name "
                    f"(engine.flags.{full.name}); abbreviations break when SGLang adds a flag"
                )
            close = suggest(version, name)
            hint = f"did you mean {close}?" if close else (
                f"see `python -m sglang.launch_server --help` for SGLang {t.version}")
            raise ValueError(f"{where}: SGLang {t.version} has no flag --{name}; {hint}")
        if f.dest in owner_of_dest:
            canon, owner = owner_of_dest[f.dest]
            same = "" if name == canon else f" (same option as --{canon})"
            raise ValueError(f"{where}{same}: {owner} owns it: set that instead, not engine.flags")
        if "launch_server" not in f.parsers:
            raise ValueError(
                f"{where}: only sglang.compile_deep_gemm knows --{name}, the server would reject it"
            )
        if f.deprecated:
            rep = f.deprecated.get("replacement")
            raise ValueError(
                f"{where}: --{name} is deprecated in SGLang {t.version}"
                + (f"; use {rep} instead" if rep else "; remove it")
            )
        if value is False or value is None:
            if f.nargs == 0 and f.default is True and f.negation:
                raise ValueError(
                    f"{where}=false leaves SGLang's default (on) in place; "
                    f"set engine.flags.{f.negation}=true to turn it off"
                )
            continue
        if (why := _arity_problem(f, value)) is not None:
            raise ValueError(f"{where}={_show(value)}: {why}")
        if value is True or f.nargs == 0:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item in f.deprecated_choices:
                raise ValueError(
                    f"{where}={item!r} is a deprecated alias in SGLang {t.version}; "
                    f"write {f.deprecated_choices[item]!r}"
                )
            if f.choices is not None and str(item) not in {str(c) for c in f.choices}:
                shown = ", ".join(str(c) for c in f.choices if c not in f.deprecated_choices)
                raise ValueError(f"{where}={item!r}: not one of {shown}")
            if (expected := _type_ok(f.type, item)) is not None:
                raise ValueError(f"{where}={item!r}: expected {expected}")


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(
        prog="python -m modal_llm_deploy.engine.gen_flags",
        description="Generate or verify the shipped SGLang flag data from the real parser.",
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    for cmd, help_ in (("generate", "write v<version>.py"), ("check", "exit 1 if the shipped file differs")):
        p = sub.add_parser(cmd, help=help_)
        p.add_argument("--version", required=True, help="SGLang release, e.g. 0.5.23")
        p.add_argument("--python", help="interpreter with that sglang installed (default: a private "
                       "venv under --parsers, created on first use: ~45 s, 2.3 GB)")
        p.add_argument("--parsers", default=".cache/sglang-parsers", help="where private parser venvs live")
        p.add_argument("--out", help="output directory (default: the package's data directory)")
    a = ap.parse_args(argv)
    from modal_llm_deploy.engine.check import parser_env_python

    py = a.python or parser_env_python(a.version, Path(a.parsers))
    data = generate(py)
    if data["sglang_version"] != a.version:
        print(f"error: {py} has sglang {data['sglang_version']}, not {a.version}", file=sys.stderr)
        return 2
    dest = Path(a.out or data_dir()) / f"{module_name(a.version)}.py"
    text = render(data)
    if a.cmd == "check":
        same = dest.is_file() and dest.read_text(encoding="utf-8") == text
        print(f"{dest}: {'up to date' if same else 'DIFFERS from the real parser: regenerate it'}")
        return 0 if same else 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    print(f"wrote {dest} ({len(data['options'])} options)")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through tests via main()
    raise SystemExit(main())
