"""Write the docs tables that come from code between their markers, or check them (``--check``).

* docs/steps.md ``<!-- triage-table -->``: the triage catalogue (``data/triage_signatures.json``):
  each signature's title, the strings that recognise it with their source files, and its fix
  as printed without a profile (placeholders such as ``<MEM_DOWN>``, commands from
  ``plan/commands.py``).

``tests/test_one_source.py`` runs ``--check``: a catalogue change without a docs run fails.
    python tests/gen_docs_tables.py          # rewrite
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def triage_table() -> str:
    from modal_llm_deploy.engine.phases import PHASE_NAMES
    from modal_llm_deploy.operate.triage import catalogue, fix_values, render_fix

    values = fix_values(None)
    rows = ["| signature | recognised by (package, file) | fix (printed with the profile's values) |", "|---|---|---|"]
    for sig in catalogue():
        phases = [p for m in sig.matches if m.phases is not None for p in m.phases]
        when = " / ".join(dict.fromkeys(PHASE_NAMES[p] for p in phases)) if phases else "any time"
        title = sig.title.format(when=when)
        by = "; ".join(
            " + ".join(f"`{s.strip()}`" for s in m.all) + f" ({m.package} `{m.file}`"
            + (f", {' / '.join(dict.fromkeys(PHASE_NAMES[p] for p in m.phases))}" if m.phases is not None else "") + ")"
            for m in sig.matches)
        fix, commands = render_fix(sig, values)
        rows.append(f"| `{sig.id}`: {_cell(title)} | {_cell(by)} | {_cell(fix)}"
                    + "".join(f"<br>`{_cell(c)}`" for c in commands) + " |")
    return "\n".join(rows) + "\n"


TABLES = {"docs/steps.md": {"triage-table": triage_table}}


def render(path: str, text: str) -> str:
    for name, fn in TABLES[path].items():
        pat = re.compile(rf"(<!-- {name} -->\n)(.*?)(<!-- /{name} -->)", re.S)
        if not pat.search(text):
            raise SystemExit(f"{path}: no <!-- {name} --> … <!-- /{name} --> markers")
        text = pat.sub(lambda m: m.group(1) + fn() + m.group(3), text)
    return text


def main(argv: list[str]) -> int:
    stale = []
    for path in TABLES:
        f = REPO / path
        old = f.read_text()
        new = render(path, old)
        if new != old:
            stale.append(path)
            if "--check" not in argv:
                f.write_text(new)
    if "--check" in argv and stale:
        print("stale (run python tests/gen_docs_tables.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
