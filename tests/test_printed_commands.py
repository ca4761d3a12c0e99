"""Every command the tool prints comes from the one printer (plan/commands.py), and each one,
run as printed, acts on the same profile and overrides.

Three proofs, each shown failing on a bypass:

* **source**: an AST scan of the package finds no string outside the printer that formats a
  ``modal run|deploy|secret|setup`` or ``modal-llm-deploy <command>`` command (docstrings aside);
  a copy of the package with one bypass added is caught;
* **output**: with ``MODAL_LLM_DEPLOY_RECORD_COMMANDS`` set, the printer records every command it
  renders; every command found in what the CLI printed must be one of them, whole (a printer
  that appends an option of its own is caught too);
* **effect**: the commands collected from ``plan``, ``plan --json``'s ``commands``, setup's
  "next", verify's fix lines, smoke's causes and the cold-start advice, for glm51_fp8 WITH
  overrides (another app name, other secret names, other autoscaling), are run as printed
  (``bash -c``) against the local control plane with the real ``modal`` client
  (tests/modalbox) or the fake hub, and what Modal records (the plan each function ships, the
  app name, the secrets created) is the plan of the same overrides.

``modal setup`` needs a browser: checked for shape and that the pinned modal CLI has it. The
secret commands read their values from the shell (``KEY="${KEY:?}"``): run against the control
plane, which keeps only key names, and refused by bash when the variable is unset.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modal_llm_deploy import build_plan, load_profile
from modal_llm_deploy.base.envvars import PLAN_ENV, RECORD_COMMANDS_ENV, SET_ENV
from modal_llm_deploy.plan import commands as printer

from modalbox.box import BIN, REPO, box  # noqa: F401  (fixture)
from modalbox.compare import compare_plan, sent_app
from test_modalbox_run import calls_of

from hubserver import FakeRepo, HubServer
from registryserver import Registry
from test_preflight import GLM_REPO, GLM_STANDIN_CONFIG, IMAGE_NAME, IMAGE_TAG, repo_files

pytestmark = pytest.mark.timeout(600)

SRC = Path(printer.__file__).resolve().parents[1]  # src/modal_llm_deploy
PRINTER = SRC / "plan" / "commands.py"
PROFILE = "glm51_fp8"
# Overrides a dropped override would betray: another app, secrets the box does not know yet,
# other autoscaling (min 1: the idle month figure shows), a value with a space (shell quoting).
# `setup` runs preflight first (issue 16): the far sides it checks are stand-ins here, the Hub
# (HF_ENDPOINT, in `env`) and the image registry (an engine.image override, carried by every
# printed command like any other).
_HUB_REPO = FakeRepo(GLM_REPO)
_HUB_REPO.add_commit(repo_files(GLM_STANDIN_CONFIG, 750_000_000_000))
HUB = HubServer([_HUB_REPO]).start()
REGISTRY = Registry().start()
REGISTRY.add(IMAGE_NAME, IMAGE_TAG)
SETS = ("app_name=glm-printed", "secrets.hf_token_secret=printed-hf", "serving.api_key_secret=printed-key",
        "serving.max_containers=5", "serving.min_containers=1", "description=printed commands",
        f"engine.image={REGISTRY.host}/{IMAGE_NAME}:{IMAGE_TAG}")
SET_ARGS = [a for s in SETS for a in ("--set", s)]

# --- what a command looks like ------------------------------------------------------------------

SUBCOMMANDS = ("profiles", "plan", "revision", "download", "compile", "verify", "serve", "setup", "deploy", "url",
               "scale", "triage", "logs", "cost", "smoke", "bench", "eval", "preflight")
COMMAND = re.compile(rf"(?:{SET_ENV}=|source \S+/activate\b|\bmodal (?:run|deploy|secret|setup)\b|"
                     rf"modal-llm-deploy (?:{'|'.join(SUBCOMMANDS)})\b)")

# Strings outside the printer that look like commands but are allowed: none.
ALLOWED: dict[str, set[str]] = {}


def test_the_cli_subcommands_are_the_ones_the_scan_knows():
    from modal_llm_deploy.cli import app

    names = {c.name or c.callback.__name__.replace("_cmd", "") for c in app.registered_commands}
    assert names == set(SUBCOMMANDS)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str):
            out.add(id(n.value))  # module/class/function docstrings and attribute docstrings
    return out


def _owner(tree: ast.AST) -> dict[int, str]:
    """id(node) → the top-level function/class/assignment that holds it."""
    owner: dict[int, str] = {}
    for top in getattr(tree, "body", []):
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = top.name
        elif isinstance(top, ast.Assign) and isinstance(top.targets[0], ast.Name):
            name = top.targets[0].id
        else:
            name = "<module>"
        for n in ast.walk(top):
            owner[id(n)] = name
    return owner


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else
                       ("modal-llm-deploy" if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Name)
                        and v.value.id == "CLI" else "{}") for v in node.values)
    return None


def formatted_commands(root: Path) -> dict[str, list[str]]:
    """``"path:owner" → [string, …]``: strings outside the printer that format a command."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if path.resolve() == (root / "plan" / "commands.py").resolve():
            continue
        tree = ast.parse(path.read_text())
        docs, owner = _docstrings(tree), _owner(tree)
        # an f-string's constant parts are nodes of their own: the f-string is read whole instead
        parts = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
        for node in ast.walk(tree):
            if id(node) in docs or id(node) in parts:
                continue
            text = _text(node)
            if text and COMMAND.search(text.replace("{}", "X")):
                key = f"{path.relative_to(root).as_posix()}:{owner.get(id(node), '<module>')}"
                found.setdefault(key, []).append(text)
    return {k: sorted(set(v)) for k, v in found.items()}


def test_no_module_but_the_printer_formats_a_command():
    found = formatted_commands(SRC)
    bypasses = {k: [t for t in v if t not in ALLOWED.get(k, ())] for k, v in found.items()}
    bypasses = {k: v for k, v in bypasses.items() if v}
    assert not bypasses, "format commands in plan/commands.py (the printer), not here:\n" + "\n".join(
        f"{k}: {v}" for k, v in bypasses.items())


def test_a_bypass_in_the_source_is_caught(tmp_path):
    """The scan can fail: a copy of the package whose `deploy` prints its own next command."""
    copy = tmp_path / "modal_llm_deploy"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    mod = copy / "cli" / "modal_cmds.py"
    mod.write_text(mod.read_text() + '\n\ndef _next(p):\n    return f"modal-llm-deploy smoke {p.profile}"\n')
    found = formatted_commands(copy)
    assert found.get("cli/modal_cmds.py:_next") == ["modal-llm-deploy smoke {}"], found


# --- output: every printed command came from the printer, whole ---------------------------------


def commands_in(text: str, recorded: set[str]) -> tuple[list[str], list[str]]:
    """(commands found in ``text`` that the printer rendered, the places that are not one).

    A command starts at a COMMAND match; the longest recorded command starting there must be
    followed by the end of the line, punctuation or prose — never by more arguments (an option,
    a quoted word), which would mean someone appended to a printed command."""
    ok, bad = [], []
    for line in text.splitlines():
        pos = 0
        while (m := COMMAND.search(line, pos)) is not None:
            start = m.start()
            best = max((c for c in recorded if line.startswith(c, start)), key=len, default=None)
            rest = line[start + len(best):] if best else ""
            if best is None or re.match(r"\s+(-|'|\"|\$)", rest):
                bad.append(line[start:start + 160])
                pos = m.end()
            else:
                ok.append(best)
                pos = start + len(best)
    return ok, bad


def test_an_appended_or_foreign_command_is_caught():
    rec = {"modal-llm-deploy scale glm51_fp8 --set app_name=x", "modal deploy d.py"}
    ok, bad = commands_in("Warm it first (modal-llm-deploy scale glm51_fp8 --set app_name=x, then smoke)\n"
                          "run: modal deploy d.py", rec)
    assert ok == ["modal-llm-deploy scale glm51_fp8 --set app_name=x", "modal deploy d.py"] and bad == []
    _, bad = commands_in("Warm it first (modal-llm-deploy scale glm51_fp8 --set app_name=x --min 1)", rec)
    assert bad, "an option appended outside the printer"
    _, bad = commands_in("next: modal-llm-deploy deploy glm51_fp8", rec)
    assert bad, "a command the printer never rendered"


def recorded(path: Path) -> set[str]:
    return {json.loads(line) for line in path.read_text().splitlines()} if path.exists() else set()


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("printed") / "commands.jsonl"


@pytest.fixture(scope="module")
def env(record) -> dict[str, str]:
    """A user's shell: the venv's commands on PATH, the printer's record on."""
    return {"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", RECORD_COMMANDS_ENV: str(record),
            "HF_ENDPOINT": HUB.endpoint, "HF_HUB_DISABLE_XET": "1"}


def cli(*args: str, env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", SET_ENV)}
    return subprocess.run([str(BIN / "modal-llm-deploy"), *args], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def plan_json(env) -> dict:
    r = cli("plan", PROFILE, *SET_ARGS, "--json", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def plan_text(env) -> str:
    r = cli("plan", PROFILE, *SET_ARGS, env=env)  # piped, COLUMNS unset
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_plan_prints_only_printer_commands_with_the_overrides(plan_text, plan_json, record):
    rec = recorded(record)
    found, bad = commands_in(plan_text, rec)
    assert not bad, bad
    # piped with COLUMNS unset: 80 columns, but for whole command lines (one logical line each)
    wide = [ln for ln in plan_text.splitlines() if len(ln) > 80 and ln.strip() not in rec]
    assert not wide, "\n".join(wide)
    c = plan_json["commands"]
    assert set(c.values()) <= rec, set(c.values()) - rec  # plan --json's commands too
    nxt = plan_text[plan_text.index("next"):]
    first = [ln.strip() for ln in nxt.splitlines() if ln.startswith("  ") and COMMAND.search(ln)]
    # from a fresh machine: the venv, Modal's login, the profile's two secrets, then setup, deploy
    assert first[0] == printer.activate_venv() and first[1:] == [
        c["modal_setup"], c["hf_secret"], c["api_key_secret"], c["setup_cli"], c["deploy_cli"], c["setup"], c["deploy"]]
    for key in ("setup_cli", "deploy_cli", "plan_cli", "logs_cli", "logs_triage_cli", "scale_cli", "smoke_cli"):
        assert all(f"--set {shlex.quote(s)}" in c[key] for s in SETS), (key, c[key])
    for key in ("download", "compile", "verify", "repair", "setup", "deploy"):
        assert c[key].startswith(f"{SET_ENV}=") and "app_name=glm-printed" in c[key], (key, c[key])
    # the idle month figure: one source, plan/cost.py
    from modal_llm_deploy.plan.cost import HOURS_PER_MONTH

    idle = plan_json["cost"]["idle_usd_per_hour"]
    assert f"${idle:.2f}/h idle (${idle * HOURS_PER_MONTH:,.0f}/month)" in " ".join(plan_text.split())


@pytest.mark.parametrize("name", ["glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2"])
def test_piped_plan_fits_80_columns_but_commands(name, env, record):
    """Piped with COLUMNS unset: 80 columns. Only a command line may be longer (one logical
    line, so it runs when pasted); it must be a whole command the printer rendered."""
    r = cli("plan", name, "--set", "serving.min_containers=0", env=env)
    assert r.returncode == 0, r.stderr
    assert "$0.00/h idle, up to" in " ".join(r.stdout.split())  # no month figure for nothing kept warm
    rec = recorded(record)
    long = [ln for ln in r.stdout.splitlines() if len(ln) > 80]
    not_commands = [ln for ln in long if ln.strip() not in rec]
    assert not not_commands, "\n".join(not_commands)


def test_modal_setup_shape(plan_json):
    assert plan_json["commands"]["modal_setup"] == "modal setup"
    r = subprocess.run([str(BIN / "modal"), "setup", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "Bootstrap Modal's configuration" in r.stdout, r.stdout + r.stderr


# --- effect: run as printed against the local control plane -------------------------------------


def shell(box, cmd: str, env: dict[str, str], **kw):
    return box.run(["bash", "-c", cmd], env=env, **kw)


def shipped_plans(box, res) -> list[dict]:
    """The plan each function of the app carries (MODAL_LLM_DEPLOY_PLAN in its env)."""
    return [json.loads(u.env[PLAN_ENV]) for u in sent_app(box.cp, res.calls).units.values()]


def test_the_path_from_secrets_to_deploy_runs_as_printed(box, plan_json, plan_text, env, record):
    c = plan_json["commands"]
    # Before the secrets exist, the deploy stops at Modal's lookup of one, in one line that ends
    # with the printer's command creating it.
    res = shell(box, c["deploy_cli"], env)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stdout + res.stderr
    found, bad = commands_in(res.stderr, recorded(record))
    assert not bad and len(found) == 1 and found[0] in (c["hf_secret"], c["api_key_secret"]), res.stderr
    assert res.stderr.rstrip().endswith(found[0]), res.stderr
    # The secret commands: refused by bash while the variable is unset, nothing sent...
    unset = {**env, "HF_TOKEN": "", "API_KEY": ""}
    for key in ("hf_secret", "api_key_secret"):
        res = shell(box, c[key], unset)
        assert res.returncode != 0 and not res.of("SecretGetOrCreate"), res.stderr
    # ...and with them exported, the profile's secret names are created with the right keys.
    for key in ("hf_secret", "api_key_secret"):
        res = shell(box, c[key], env)
        assert res.returncode == 0, res.stdout + res.stderr
    assert box.cp.secret_keys["printed-hf"] == ["HF_TOKEN"] and box.cp.secret_keys["printed-key"] == ["API_KEY"]

    # setup (CLI): download → compile → verify, each function shipping this plan
    box.cp.outcomes.clear()
    res = shell(box, c["setup_cli"], env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [n for n, _, _ in calls_of(box, res)] == ["download_model", "compile_deepgemm", "verify_setup"]
    assert shipped_plans(box, res) and all(p == plan_json for p in shipped_plans(box, res))
    # its "next" is a printer command: the deploy of the same overrides
    found, bad = commands_in(res.stdout + res.stderr, recorded(record))
    assert not bad and found == [c["deploy_cli"]], (found, bad)

    # setup (deploy script, `modal run`): the same pipeline, the same plan; its "next" too
    res = shell(box, c["setup"], env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [n for n, _, _ in calls_of(box, res)] == ["download_model", "compile_deepgemm", "verify_setup"]
    assert all(p == plan_json for p in shipped_plans(box, res))
    assert c["deploy"] in res.stdout, res.stdout

    # deploy, both forms: what Modal records is this plan, field by field, under its app name
    for key in ("deploy_cli", "deploy"):
        res = shell(box, c[key], env)
        assert res.returncode == 0, res.stdout + res.stderr
        assert compare_plan(plan_json, sent_app(box.cp, res.calls)) == []
        assert [p.name for p in res.of("AppPublish")] == ["glm-printed"]
        found, bad = commands_in(res.stdout + res.stderr, recorded(record))
        assert not bad, bad


@pytest.mark.parametrize("key,function,kwargs", [
    ("download", "download_model", {}), ("repair", "download_model", {"repair": True}),
    ("compile", "compile_deepgemm", {}), ("verify", "verify_setup", {}),
])
def test_each_step_runs_as_printed(box, plan_json, env, key, function, kwargs):
    box.cp.outcomes.clear()
    res = shell(box, plan_json["commands"][key], env)
    assert res.returncode == 0, res.stdout + res.stderr
    ((name, _, kw),) = calls_of(box, res)
    assert name == function and all(kw.get(k) == v for k, v in kwargs.items()), (name, kw)
    assert all(p == plan_json for p in shipped_plans(box, res))


def _until_call(box, cmd: str, env: dict[str, str], method: str, timeout: float = 60.0):
    """Run a command that would wait (logs follow, smoke waits for /health) until it sent
    ``method``; stop it then. The requests it made."""
    mark = box.cp.recorder.mark()
    proc = subprocess.Popen(["bash", "-c", cmd], cwd=REPO, env={**box.env, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(c.method == method for c in box.cp.recorder.since(mark)):
                break
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        out, err = proc.communicate(timeout=30)
    return [c for c in box.cp.recorder.since(mark) if c.method == method], out + err


def test_logs_smoke_bench_and_scale_act_on_the_overridden_app(box, plan_json, env, record):
    c = plan_json["commands"]
    if "glm-printed" not in box.cp.apps:  # run alone: the first steps and the deploy, as printed
        for key in ("hf_secret", "api_key_secret", "deploy_cli"):
            shell(box, c[key], env)
    assert "glm-printed" in box.cp.apps
    for key in ("logs_cli", "logs_triage_cli"):
        calls, out = _until_call(box, c[key], env, "AppGetLogs")  # App.lookup(name), then its logs
        assert calls and {x.request.app_id for x in calls} == {box.cp.apps["glm-printed"]}, (key, out)
    calls, out = _until_call(box, c["smoke_cli"], {**env, "API_KEY": "k"}, "FunctionGet")
    assert calls and calls[0].request.app_name == "glm-printed", out
    # bench, with no container up, refuses in one line whose fix is the scale command with --min
    res = shell(box, c["bench_cli"], env)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stdout + res.stderr
    found, bad = commands_in(res.stderr, recorded(record))
    assert not bad and found == [printer.extend(c["scale_cli"], "--min", "1")], (found, bad, res.stderr)
    res = shell(box, found[0], env)
    assert res.returncode == 0, res.stdout + res.stderr
    (upd,) = res.of("FunctionUpdateSchedulingParams")
    server = box.cp.app_objects[box.cp.apps["glm-printed"]][plan_json["server"]["unit"]]
    assert upd.function_id == server and upd.settings.min_containers == 1
    from modal_llm_deploy.plan.cost import HOURS_PER_MONTH  # the month of `cost`, one source

    usd = plan_json["cost"]["server_usd_per_hour"]
    assert f"idle cost now ${usd:.2f}/h (${usd * HOURS_PER_MONTH:,.0f}/month)" in res.stdout, res.stdout


def test_plan_cli_prints_the_same_plan(plan_json, plan_text, env):
    r = subprocess.run(["bash", "-c", plan_json["commands"]["plan_cli"]], cwd="/", capture_output=True, text=True,
                       env={**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", SET_ENV)}, **env},
                       timeout=180)
    assert r.returncode == 0 and r.stdout == plan_text, r.stderr


# --- effect: local fix lines, smoke causes, cold-start advice -------------------------------------


def test_verify_fix_line_runs_as_printed_against_the_fake_hub(tmp_path, hub_server, hub_repo, hub_files, env, record):
    sets = [f"model.repo_id={hub_repo.repo_id}", f"model.revision={hub_repo.refs['main']}", "model.allow_patterns=none",
            "app_name=glm-printed"]
    args = [a for s in sets for a in ("--set", s)]
    hub = {**env, "HF_ENDPOINT": hub_server.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1",
           "HF_HOME": str(tmp_path / "hf"), "HOME": str(tmp_path)}
    w, cdir = tmp_path / "weights", tmp_path / "cache"
    w.mkdir()
    r = cli("verify", PROFILE, "--weights-dir", str(w), "--cache-dir", str(cdir), *args, env=hub)
    assert r.returncode == 1, r.stdout + r.stderr
    found, bad = commands_in(r.stdout + r.stderr, recorded(record))
    assert found and not bad, (found, bad, r.stderr)
    (download,) = {f for f in found if " download " in f}
    r = subprocess.run(["bash", "-c", download], cwd=tmp_path, env={**os.environ, **hub}, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    for name, data in hub_files.items():
        assert (w / "GLM-tiny-FP8" / name).read_bytes() == data, name


def test_smoke_causes_and_cold_start_advice_are_printer_commands():
    from modal_llm_deploy.engine.phases import ColdStartPlan
    from modal_llm_deploy.operate.smoke import SmokeTarget, wait_healthy
    from test_phases import Clock, _boot

    plan = build_plan(load_profile(PROFILE, dict(s.split("=", 1) for s in SETS)))
    t = SmokeTarget.from_plan(plan, "http://127.0.0.1:9")
    t.startup_budget_s = 0.1
    check = wait_healthy(t, poll_s=0.05)
    found, bad = commands_in(check.cause, set(printer.printed()))
    assert found == [plan.commands["logs_triage_cli"]] and not bad, check.cause

    warnings = _boot(Clock()).over_budget(ColdStartPlan.for_profile(400, 100), plan.commands["logs_triage_cli"])
    found = [f for w in warnings for f in commands_in(w, set(printer.printed()))[0]]
    assert found == [plan.commands["logs_triage_cli"]], warnings  # the 'ready' advice
    assert not [b for w in warnings for b in commands_in(w, set(printer.printed()))[1]]


def test_a_bypass_in_the_output_is_caught(tmp_path):
    """The output check can fail: `plan` with an override, run with its "next" printer replaced by
    one that formats its own deploy command (and so drops the override), prints a command the
    printer never rendered. (A bypass that renders exactly what the printer would is the source
    scan's to catch.)"""
    record = tmp_path / "commands.jsonl"
    code = ("import sys; from modal_llm_deploy.cli import app, local\n"
            "local.print_next = lambda p: local.out.print('next: modal-llm-deploy deploy ' + p.profile)\n"
            "sys.argv = ['modal-llm-deploy', 'plan', 'glm51_fp8', '--set', 'app_name=glm-bypass']; app()\n")
    r = subprocess.run([sys.executable, "-c", code], env={**os.environ, RECORD_COMMANDS_ENV: str(record)},
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "modal-llm-deploy deploy glm51_fp8 --set app_name=glm-bypass" in recorded(record)  # what the printer gave
    _, bad = commands_in(r.stdout, recorded(record))
    assert bad == ["modal-llm-deploy deploy glm51_fp8"], bad


# --- the README's deploy steps are the printer's ----------------------------------------------------


def readme_deploy_steps() -> list[str]:
    text = (REPO / "README.md").read_text()
    m = re.search(r"<!-- deploy-steps -->\s*```bash\n(.*?)```\s*<!-- /deploy-steps -->", text, re.S)
    assert m, "README.md: the deploy-steps block is missing"
    lines = [re.split(r"\s{2,}#", ln)[0].strip() for ln in m.group(1).splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def test_readme_deploy_steps_start_from_a_fresh_machine_with_the_printers_commands():
    steps = readme_deploy_steps()
    # the try-it command installed into .venv: nothing runs before it is active, no bare pip
    assert steps[0] == "source .venv/bin/activate", steps
    assert not [s for s in steps if s.split()[0] in ("pip", "pip3")], steps
    c = build_plan(load_profile(PROFILE)).commands
    want = [c[k] for k in ("modal_setup", "hf_secret", "api_key_secret", "download", "compile", "verify", "setup",
                           "deploy")]
    assert [s for s in steps if s in want] == want, (steps, want)  # the printer's, in the printed order
    exports = [s.split("=")[0].split()[1] for s in steps if s.startswith("export ")]
    assert exports == ["HF_TOKEN", "API_KEY"]  # what the secret commands read, set before them
    venv = REPO / ".venv"
    if (venv / "bin" / "activate").exists():  # the README's venv is the one running these tests
        r = subprocess.run(["bash", "-c", f"{steps[0]} && command -v modal modal-llm-deploy"], cwd=REPO,
                           env={"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")},
                           capture_output=True, text=True, timeout=60)
        assert r.stdout.split() == [str(venv / "bin" / "modal"), str(venv / "bin" / "modal-llm-deploy")], r


def test_docs_quote_the_printers_secret_fix():
    """docs/steps.md's failure table shows the runtime's line for a secret without its key."""
    fix = printer.extend(printer.secret_create("glm51-api-key", ["API_KEY"]), "--force")
    assert f"Modal secret 'glm51-api-key' has no API_KEY: {fix}`" in (REPO / "docs" / "steps.md").read_text()


def test_revision_pin_commands_deploy_the_pinned_plan(box, tmp_path, hub_server, hub_repo, env, record):
    """`revision` prints the pin joined to the overrides in effect; its deploy, run as printed,
    ships the plan pinned to the sha the fake hub resolved."""
    hub = {**env, "HF_ENDPOINT": hub_server.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(tmp_path / "hf")}
    sets = ["--set", f"model.repo_id={hub_repo.repo_id}", "--set", "app_name=glm-pinned"]
    r = cli("revision", PROFILE, *sets, env=hub)
    assert r.returncode == 0, r.stderr
    found, bad = commands_in(r.stdout, recorded(record))
    assert not bad, bad
    sha = hub_repo.refs["main"]
    (deploy,) = [f for f in found if f.startswith("modal-llm-deploy deploy ")]
    res = shell(box, deploy, env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [p.name for p in res.of("AppPublish")] == ["glm-pinned"]
    plans = shipped_plans(box, res)
    assert plans and {(p["weights"]["repo_id"], p["weights"]["revision"]) for p in plans} == {(hub_repo.repo_id, sha)}


def test_cost_note_names_this_deployments_bench(plan_json, env, record):
    r = cli("cost", PROFILE, *SET_ARGS, env=env)
    assert r.returncode == 0, r.stderr
    found, bad = commands_in(r.stdout, recorded(record))
    assert not bad and found == [printer.extend(plan_json["commands"]["bench_cli"], "--save", "bench.jsonl")], (found, bad)


def test_fix_commands_add_a_fix_to_the_overrides_in_effect_and_are_recorded():
    """The API triage's fix lines use: the change joins the overrides in effect in both forms,
    a bad change is refused like --set, and without a profile the names stay generic."""
    from modal_llm_deploy.profile.overrides import OverrideError
    from pydantic import ValidationError

    prof = load_profile(PROFILE, {"app_name": "glm-fix"})
    c = printer.fix_commands(prof, {"engine.flags.mem-fraction-static": 0.85})
    assert c["deploy"] == (f"{SET_ENV}='app_name=glm-fix engine.flags.mem-fraction-static=0.85' "
                           "modal deploy examples/glm51_deploy.py")
    assert c["deploy_cli"] == ("modal-llm-deploy deploy glm51_fp8 --set app_name=glm-fix "
                               "--set engine.flags.mem-fraction-static=0.85")
    assert set(c.values()) <= printer.printed()
    with pytest.raises((OverrideError, ValidationError)):
        printer.fix_commands(prof, {"engine.flags.mem-fraction-static": "lots"})
    g = printer.fix_commands(None, {"model.revision": "<COMMIT_SHA>"}, name="<PROFILE>")
    assert g["plan_cli"] == "modal-llm-deploy plan <PROFILE> --set 'model.revision=<COMMIT_SHA>'"
    assert g["deploy"] == f"{printer.env_prefix({'model.revision': '<COMMIT_SHA>'})}modal deploy <deploy script>"


@pytest.mark.parametrize("name", ["glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2"])
def test_every_plan_command_is_one_shell_command_that_reads_its_overrides_back(name):
    """Each command of plan.commands is valid bash on its own, and the overrides it carries are
    what the shell hands the program: --set items through the CLI's parser, the env prefix
    through MODAL_LLM_DEPLOY_SET's."""
    from modal_llm_deploy.profile.overrides import parse_set_env, parse_set_options

    ov = {"description": "it's $HOME `x` \"q\"", "serving.max_containers": 6, "model.allow_patterns": ["*.json"]}
    prof = load_profile(name, ov)
    # bash runs each command with `modal` / `modal-llm-deploy` replaced by a function that
    # prints what it got: the variable and the arguments, as the real program would see them
    stub = "printf '%s\\0' \"${MODAL_LLM_DEPLOY_SET-}\" \"$@\""
    for key, cmd in build_plan(prof).commands.items():
        if key in printer.FIRST_STEPS:
            assert "--set" not in cmd and SET_ENV not in cmd  # modal setup / secret create: no overrides
            continue
        r = subprocess.run(["bash", "-c", f"modal() {{ {stub}; }}; modal-llm-deploy() {{ {stub}; }}; {cmd}"],
                           capture_output=True, text=True)
        assert r.returncode == 0, (key, cmd, r.stderr)
        env_value, *argv = r.stdout.split("\0")[:-1]
        if "modal-llm-deploy " in cmd:
            sets = [argv[i + 1] for i, w in enumerate(argv) if w == "--set"]
            assert parse_set_options(sets) == ov and not env_value, (key, cmd)
        else:
            assert parse_set_env(env_value) == ov and "--set" not in argv, (key, cmd)
