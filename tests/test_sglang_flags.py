"""engine.flags are checked where users set them, against flag data shipped in the library.

The data (src/modal_llm_deploy/data/sglang/<version>.json) is generated from the real parser;
the first test regenerates it with the real SGLang 0.5.23 parser and fails on any difference,
so the instant checks below cannot drift from what SGLang accepts.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from modal_llm_deploy import load_profile
from modal_llm_deploy.profile.overrides import apply_overrides, format_validation_error
from modal_llm_deploy.profile.model import OWNED_FLAGS, EngineSpec
from modal_llm_deploy.engine.check import check_argvs
from modal_llm_deploy.engine import flags as sglang_flags
from modal_llm_deploy.engine.flags import check_flags, render, supported_versions, table

from conftest import BUNDLED

CLI = Path(sys.executable).with_name("modal-llm-deploy")
VERSION = "0.5.23"


# --- the data is what the real parser says --------------------------------------------------


def test_shipped_flag_data_equals_the_real_parser(sglang_parser, tmp_path):
    py = sglang_parser(VERSION)
    shipped = (sglang_flags.data_dir() / "v0_5_23.py").read_text(encoding="utf-8")
    assert render(sglang_flags.generate(py)) == shipped, (
        "the shipped flag data differs from SGLang's parser: run "
        f"python -m modal_llm_deploy.engine.gen_flags generate --version {VERSION} --python {py}"
    )
    # ...and the command-line entry point agrees (check mode exits 0, writes nothing)
    assert sglang_flags.main(["check", "--version", VERSION, "--python", str(py)]) == 0
    out = tmp_path / "gen"
    assert sglang_flags.main(["generate", "--version", VERSION, "--python", str(py), "--out", str(out)]) == 0
    assert (out / "v0_5_23.py").read_text(encoding="utf-8") == shipped


def test_check_mode_detects_a_drifted_file(sglang_parser, tmp_path):
    py = sglang_parser(VERSION)
    from modal_llm_deploy.data.sglang import v0_5_23

    data = json.loads(v0_5_23.JSON)
    del data["options"]["tp-size"]
    (tmp_path / "v0_5_23.py").write_text(render(data))
    assert sglang_flags.main(["check", "--version", VERSION, "--python", str(py), "--out", str(tmp_path)]) == 1


def test_data_records_what_the_source_marks():
    t = table(VERSION)
    assert "tp" not in t.by_name  # only argparse's prefix matching makes --tp work
    tp = t.by_name["tensor-parallel-size"]
    assert tp.name == "tp-size" and "tensor-parallel-size" in tp.aliases and tp.type == "int"
    assert t.flags["ep-size"].aliases == ("expert-parallel-size", "ep")
    # deprecation: by action class (new_flag=) and by help text
    assert t.flags["enable-dp-attention"].deprecated["marker"] == "DeprecatedStoreTrueAction"
    fusion = t.flags["enable-flashinfer-allreduce-fusion"].deprecated
    assert fusion == {"marker": "help text", "replacement": "--flashinfer-allreduce-fusion-backend=auto"}
    assert "deprecated" not in (t.flags["smg-grpc-mode"].deprecated or {})  # "Replaces the deprecated ..."
    assert t.flags["attention-backend"].deprecated_choices["nsa"] == "dsa"
    assert "flashmla_kv" in t.flags["dsa-decode-backend"].choices
    assert t.flags["timeout"].parsers == ("compile_deep_gemm",)
    assert t.flags["enable-tf32-matmul"].negation == "no-enable-tf32-matmul"


def test_every_bundled_profile_pins_a_version_with_data():
    assert VERSION in supported_versions()
    for name in BUNDLED:
        assert load_profile(name).engine.sglang_version in supported_versions()


def test_data_reaches_the_containers_and_the_wheel():
    """Profiles are validated in the Modal containers too (the plugin builds them at import).
    Modal's add_local_python_source mounts Python files only: the data is a module, so Modal's
    own mount code (the one the images use) carries it, and so does any wheel."""
    from modal.file_pattern_matcher import NON_PYTHON_FILES
    from modal.mount import _MountedPythonModule

    remote = {str(r) for _, r in _MountedPythonModule("modal_llm_deploy", "/root", NON_PYTHON_FILES).get_files_to_upload()}
    assert "/root/modal_llm_deploy/data/sglang/v0_5_23.py" in remote
    assert "/root/modal_llm_deploy/data/sglang/__init__.py" in remote
    assert importlib.util.find_spec(f"{sglang_flags.DATA_PACKAGE}.v0_5_23") is not None


def test_module_names_round_trip():
    assert sglang_flags.module_name("0.5.23") == "v0_5_23"
    assert sglang_flags.module_name("0.5.23.post1") == "v0_5_23_post1"


# --- the checks -------------------------------------------------------------------------------


def refuse(flags: dict, *fragments: str) -> str:
    with pytest.raises(ValueError) as info:
        check_flags(VERSION, flags, OWNED_FLAGS)
    msg = str(info.value)
    assert "\n" not in msg
    for f in fragments:
        assert f in msg, msg
    return msg


@pytest.mark.parametrize(
    "flags,fragments",
    [
        ({"tp": 4}, ["engine.flags.tp:", "abbreviation of --tp-size", "engine.tensor_parallel_size owns it"]),
        ({"api": "x"}, ["engine.flags.api:", "abbreviation of --api-key", "serving.api_key_secret"]),
        ({"max-runing-requests": 4}, ["engine.flags.max-runing-requests:", "no flag", "did you mean max-running-requests?"]),
        ({"mem-fractoin-static": 0.8}, ["did you mean mem-fraction-static?"]),
        ({"cuda-graph-max-bs": 8}, ["ambiguous abbreviation", "--cuda-graph-max-bs-decode", "--cuda-graph-max-bs-prefill"]),
        ({"max-running": 4}, ["abbreviation of --max-running-requests", "write the full name"]),
        ({"enable-flashinfer-allreduce-fusion": True}, ["deprecated", "--flashinfer-allreduce-fusion-backend=auto"]),
        ({"enable-dp-attention": True}, ["deprecated", "--attn-dp-size"]),
        ({"disable-cuda-graph": True}, ["deprecated", "--cuda-graph-backend-{decode,prefill}=disabled"]),
        ({"kv-cache-dtype": "fp9"}, ["engine.flags.kv-cache-dtype='fp9'", "not one of", "bf16", "fp8_e4m3"]),
        ({"attention-backend": "nsa"}, ["deprecated alias", "'dsa'"]),
        ({"dsa-triton-union": 3}, ["not one of 0, 2, 4"]),
        ({"enable-metrics": 3}, ["is a switch", "write true"]),
        ({"tool-call-parser": True}, ["=true", "takes a value"]),
        ({"watchdog-timeout": [1, 2]}, ["not a list"]),
        ({"mem-fraction-static": "lots"}, ["expected a number"]),
        ({"speculative-num-steps": 2.5}, ["expected a whole number"]),
        ({"max-prefill-tokens": "many"}, ["whole number"]),
        ({"timeout": 10}, ["kernel_cache.compile_timeout_s"]),
        # false only omits a flag: for a switch that is on by default that changes nothing
        ({"dllm-fdfo": False}, ["=false", "default (on)", "engine.flags.no-dllm-fdfo=true"]),
    ],
)
def test_bad_flags_are_one_line_errors(flags, fragments):
    refuse(flags, *fragments)


@pytest.mark.parametrize("owned", sorted(OWNED_FLAGS))
def test_every_alias_of_an_owned_option_is_refused(owned):
    """The alias sets come from the data (by dest), not from a hand list."""
    t = table(VERSION)
    names = t.names_of_dest(t.by_name[owned].dest)
    assert owned in names
    for name in names:
        refuse({name: "1"}, f"engine.flags.{name}", OWNED_FLAGS[owned])


def test_derived_alias_sets_include_what_a_hand_list_missed():
    t = table(VERSION)
    assert t.names_of_dest("tp_size") == {"tp-size", "tensor-parallel-size"}
    assert t.names_of_dest("ep_size") == {"ep-size", "expert-parallel-size", "ep"}
    assert t.names_of_dest("model_path") == {"model-path", "model"}
    refuse({"ep": 8}, "same option as --ep-size", "engine.expert_parallel_size")


@pytest.mark.parametrize(
    "flags",
    [
        {"max-running-requests": 48, "mem-fraction-static": 0.88, "enable-metrics": True},
        {"max-prefill-tokens": "32k", "context-length": "200Ki"},  # SGLang's human_readable_int
        {"enable-tf32-matmul": True},
        {"no-enable-tf32-matmul": True},  # BooleanOptionalAction's negation
        {"enable-metrics": False},  # false = leave it out
        {"kv-cache-dtype": "bf16", "dsa-triton-union": 2},
        {"cuda-graph-bs-decode": [1, 2, 4, 8]},  # nargs '+'
        {"speculative-num-steps": "3"},  # a string that converts, as argparse would
    ],
)
def test_good_flags_pass(flags):
    check_flags(VERSION, flags, OWNED_FLAGS)


def test_unsupported_version_says_which_exist_and_how_to_generate():
    with pytest.raises(ValueError) as info:
        check_flags("0.5.22", {}, OWNED_FLAGS)
    msg = str(info.value)
    assert "0.5.22" in msg and VERSION in msg and "gen_flags generate --version 0.5.22" in msg


def test_engine_spec_applies_the_check():
    base = dict(sglang_version=VERSION, image="img", tensor_parallel_size=8)
    assert EngineSpec(**base, flags={"max-running-requests": 8}).flags["max-running-requests"] == 8
    with pytest.raises(ValidationError) as info:
        EngineSpec(**base, flags={"tp": 4})
    assert format_validation_error(info.value).startswith("engine.flags.tp: abbreviation of --tp-size")


def test_overrides_on_a_bundled_profile_get_the_check():
    glm = load_profile("glm51_fp8")
    with pytest.raises(ValidationError) as info:
        apply_overrides(glm, {"engine.flags.tp": 4})
    assert format_validation_error(info.value) == (
        "engine.flags.tp: abbreviation of --tp-size; engine.tensor_parallel_size owns it: set that instead"
    )


def test_what_we_refuse_the_real_parser_also_refuses_or_misreads(sglang_parser):
    """The instant check agrees with SGLang: each refused spelling is an error or an override
    of an owned value in the real parser."""
    py = sglang_parser(VERSION)
    r = check_argvs(py, {
        "typo": ["python3", "-m", "sglang.launch_server", "--max-runing-requests", "4"],
        "choice": ["python3", "-m", "sglang.launch_server", "--kv-cache-dtype", "fp9"],
        "abbrev": ["python3", "-m", "sglang.launch_server", "--tp-size", "8", "--tp", "4"],
    })
    assert not r["typo"]["ok"] and not r["choice"]["ok"]
    assert "abbreviation" in r["abbrev"]["problems"][0]


# --- done-when: the CLI, with no SGLang importable ------------------------------------------


DONE_WHEN = [
    ("engine.flags.tp=4", "abbreviation of --tp-size"),
    ("engine.flags.max-runing-requests=4", "did you mean max-running-requests"),
    ("engine.flags.api=x", "abbreviation of --api-key"),
    ("engine.flags.enable-flashinfer-allreduce-fusion=true", "deprecated"),
    ("engine.flags.kv-cache-dtype=fp9", "not one of"),
    ("engine.flags.tensor-parallel-size=4", "engine.tensor_parallel_size"),
]


def _env_without_sglang() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLD_SGLANG_PYTHON")}


def test_no_sglang_is_importable_for_the_cli():
    probe = subprocess.run([sys.executable, "-c", "import importlib.util as u; print(u.find_spec('sglang'))"],
                           env=_env_without_sglang(), capture_output=True, text=True)
    assert probe.stdout.strip() == "None", probe.stdout


@pytest.mark.parametrize("setting,fragment", DONE_WHEN)
def test_plan_refuses_with_one_line_and_exit_2(setting, fragment):
    r = subprocess.run([str(CLI), "plan", "glm51_fp8", "--set", setting], env=_env_without_sglang(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: engine.flags."), r.stderr
    assert fragment in lines[0] and "Traceback" not in r.stderr
