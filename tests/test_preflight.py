"""`modal-llm-deploy preflight` end to end (issue 16), with real clients against local stand-ins:
``huggingface_hub`` against the fake hub (tests/hubserver.py), the real ``modal`` client against
the local control plane (tests/modalbox/), and urllib against a local image registry
(tests/registryserver.py). Every ✗ row is reached here; where its printed fix can run here it is
run as printed and the next preflight passes.

The GLM-5.1 repo on the fake hub is a stand-in: its config carries the architecture SGLang
dispatches on and block-quantization settings, with stand-in sizes (not GLM-5.1's published
config), and its index claims 750 GB while the shards are a few bytes (preflight never reads
weights). The Qwen3-235B-A22B-FP8 config carries that model's public values
(tests/test_checkpoint_rules.py says where each comes from).
"""

from __future__ import annotations

import json
import shlex
import time

import pytest

from hubserver import FakeRepo, HubServer
from modalbox.box import SENTINEL, box  # noqa: F401  (fixture)
from modalbox.control_plane import Outcome
from registryserver import Registry
from test_checkpoint_rules import QWEN3_235B_FP8

from modal_llm_deploy.base.layout import COMPLETE_NAME, STATE_DIR
from modal_llm_deploy.operate.preflight.hub import hub_probe
from modal_llm_deploy.plan.build import build_plan
from modal_llm_deploy.profile.loader import load_profile

BUNDLED = ("glm51_fp8", "glm51_fp8_h200", "glm51_fp8_h100x2")
GLM_REPO, QWEN_REPO = "zai-org/GLM-5.1-FP8", "Qwen/Qwen3-235B-A22B-FP8"
IMAGE_NAME, IMAGE_TAG = "lmsysorg/sglang", "v0.5.23-cu130"
GLM_STANDIN_CONFIG = {  # stand-in values (see the module docstring)
    "architectures": ["GlmMoeDsaForCausalLM"], "hidden_size": 6144, "num_attention_heads": 64,
    "kv_lora_rank": 512, "index_topk": 2048, "moe_intermediate_size": 2048, "n_routed_experts": 256,
    "first_k_dense_replace": 3, "intermediate_size": 12288,
    "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]},
}


def repo_files(config: dict, total_size: int, *, template: bool = True) -> dict[str, bytes]:
    files = {"model-00001-of-00001.safetensors": b"\0" * 64,
             "config.json": json.dumps(config).encode(),
             "model.safetensors.index.json": json.dumps({"metadata": {"total_size": total_size},
                                                         "weight_map": {"w": "model-00001-of-00001.safetensors"}}).encode(),
             "tokenizer_config.json": json.dumps({"model_max_length": 202752}).encode()}
    if template:
        files["chat_template.jinja"] = b"{% for m in messages %}{{ m.content }}{% endfor %}"
    return files


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    glm, qwen = FakeRepo(GLM_REPO), FakeRepo(QWEN_REPO)
    glm.add_commit(repo_files(GLM_STANDIN_CONFIG, 750_000_000_000))
    qwen.add_commit(repo_files(QWEN3_235B_FP8, 236_000_000_000))
    hub = HubServer([glm, qwen]).start()
    reg = Registry().start()
    reg.add(IMAGE_NAME, IMAGE_TAG)
    home = tmp_path_factory.mktemp("hf-home")
    env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HOME": str(home),
           "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
    yield hub, reg, env
    hub.stop()
    reg.stop()


def image_set(reg: Registry, tag: str = IMAGE_TAG, name: str = IMAGE_NAME) -> list[str]:
    return ["--set", f"engine.image={reg.host}/{name}:{tag}"]


def preflight(box, sides, profile: str, *extra: str, env: dict | None = None):
    hub, reg, hub_env = sides
    args = list(extra) if any(a.startswith("engine.image=") for a in extra) else [*image_set(reg), *extra]
    t0 = time.monotonic()
    res = box.mld("preflight", profile, *args, env={**hub_env, **(env or {})})
    res.seconds = time.monotonic() - t0
    assert res.seconds < 30, f"preflight took {res.seconds:.1f} s"
    assert "Traceback" not in res.stderr, res.stderr
    assert SENTINEL not in res.stdout + res.stderr  # the HF token is never printed
    return res


def row(res, name: str) -> str:
    lines = res.stdout.splitlines()
    for i, line in enumerate(lines):
        if line.strip()[2:].startswith(f"{name}:"):
            fix = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].strip().startswith("fix: ") else ""
            return line.strip() + ("\n" + fix if fix else "")
    raise AssertionError(f"no row {name!r} in:\n{res.stdout}")


def fix_of(res, name: str) -> list[str]:
    r = row(res, name)
    assert r.startswith("✗") and "\nfix: " in r, r
    fix = r.split("\nfix: ", 1)[1]
    start = min(i for i in (fix.find("modal-llm-deploy "), fix.find("modal secret ")) if i >= 0)
    return shlex.split(fix[start:])  # the command after the fix's words


def run_fix(box, sides, argv: list[str]):
    """Run a printed `modal-llm-deploy preflight …` fix as printed."""
    assert argv[:2] == ["modal-llm-deploy", "preflight"], argv
    return preflight(box, sides, argv[2], *argv[3:])


def put_complete(box, profile: str, sha: str, kernels: bool) -> None:
    prof = load_profile(profile)
    plan = build_plan(prof).pinned_to(sha)
    box.cp.put_volume_file(prof.storage.weights_volume, f"{prof.model.dir_name}/{STATE_DIR}/{COMPLETE_NAME}",
                           json.dumps({"repo_id": prof.model.repo_id, "revision": sha, "files": 5, "bytes": 1,
                                       "completed_at": 0.0, "format_version": 1, "ref": "main"}).encode())
    if kernels:
        kc = plan.kernel_cache
        box.cp.put_volume_file(kc.volume, kc.marker_path[len(kc.mount):], b"{}")


@pytest.mark.parametrize("profile", BUNDLED)
def test_bundled_profiles_all_green_against_the_stand_ins(box, sides, profile):
    hub = sides[0]
    sha = hub.repos[GLM_REPO].refs["main"]
    res = preflight(box, sides, profile)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "✗" not in res.stdout and "preflight: all " in res.stdout
    assert f"main → {sha}" in row(res, "revision")
    assert "[read locally with $HF_TOKEN]" in row(res, f"access to {GLM_REPO}")
    assert "workspace 'modalbox'" in row(res, "token")
    assert "GlmMoeDsaForCausalLM (as the profile says)" in row(res, "architecture")
    assert "750.0 GB" in row(res, "weights size")
    assert "pin it as " in row(res, "registry image") and "@sha256:" in row(res, "registry image")
    # no weights read: only the small files went over the wire
    assert not [r for r in hub.requests(kind="cdn")]
    # volumes: with both markers, setup has nothing left to do; without, it says what will run
    put_complete(box, profile, sha, kernels=True)
    res = preflight(box, sides, profile)
    assert f"complete for commit {sha}" in row(res, f"weights volume {load_profile(profile).storage.weights_volume}")
    assert "compile_deepgemm will skip" in row(res, "kernels")


def test_volumes_without_markers_say_which_steps_run_and_cost(box, sides):
    res = preflight(box, sides, "glm51_fp8", "--set", "storage.weights_volume=fresh-weights",
                    "--set", "storage.cache_volume=fresh-cache")
    assert res.returncode == 0, res.stdout
    assert "does not exist yet: setup creates it and download_model fetches ~750 GB (~$" in row(res, "weights volume fresh-weights")
    assert "compile_deepgemm runs (~$" in row(res, "kernels")
    box.cp.put_volume_file("fresh-weights", "unrelated.txt", b"x")  # volume exists, no marker
    res = preflight(box, sides, "glm51_fp8", "--set", "storage.weights_volume=fresh-weights",
                    "--set", "storage.cache_volume=fresh-cache")
    assert "no complete download" in row(res, "weights volume fresh-weights")


def test_qwen3_235b_fp8_tp8_refused_with_sglangs_reason_then_passes_with_ep(box, sides):
    qwen = ["--set", f"model.repo_id={QWEN_REPO}", "--set", "engine.architecture=Qwen3MoeForCausalLM",
            "--set", "model.expected_size_gb=236", "--set", "engine.flags.dsa-prefill-backend=none",
            "--set", "engine.flags.dsa-decode-backend=none", "--set", "storage.weights_volume=qwen-weights"]
    hopper = preflight(box, sides, "glm51_fp8_h200", *qwen)
    assert hopper.returncode == 1
    assert ("SGLang refuses: \"The output_size of gate's and up's weight = 192 is not divisible by weight "
            "quantization block_n = 128.\"") in row(hopper, "MoE weights per rank")
    assert "(moe_intermediate_size=1536 / moe_tp_size=8) % weight_block_size_n=128 == 0" in row(hopper, "quantized MoE split")
    assert "error: preflight of glm51_fp8_h200: 2 checks failed" in hopper.stderr
    # Blackwell with its flashinfer_trtllm runner: 192 rounds up to 256, the second check still refuses
    blackwell = preflight(box, sides, "glm51_fp8", *qwen)
    assert blackwell.returncode == 1
    assert row(blackwell, "MoE weights per rank").startswith("✓")
    assert row(blackwell, "quantized MoE split").startswith("✗")
    # the printed fix (an expert-parallel size that divides) passes when run as printed
    fixed = run_fix(box, sides, fix_of(blackwell, "quantized MoE split"))
    assert "engine.expert_parallel_size=2" in " ".join(fix_of(blackwell, "quantized MoE split"))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert row(fixed, "quantized MoE split").startswith("✓")


@pytest.mark.parametrize("case", ["gated", "refused", "not_found", "no_permission"])
def test_hub_access_failures_in_words(box, sides, case):
    hub = sides[0]
    repo_id = f"fake-org/{case}-FP8"
    repo = FakeRepo(repo_id, gated=case == "gated")
    repo.add_commit(repo_files(GLM_STANDIN_CONFIG, 750_000_000_000))
    if case != "not_found":
        hub.add_repo(repo)
    extra = ["--set", f"model.repo_id={repo_id}"]
    try:
        if case == "refused":
            hub.valid_tokens = {"some-other-token"}
        if case == "no_permission":
            from hubserver import Fault
            hub.add_fault(Fault(where="api", path="", status=403, times=None, error_message="Forbidden"))
        res = preflight(box, sides, "glm51_fp8", *extra)
    finally:
        hub.valid_tokens = None
        hub.clear_faults()
    assert res.returncode == 1
    r = row(res, f"access to {repo_id}")
    expected = {"gated": "is gated and this token's account has not been granted access (HTTP 403)",
                "refused": "the Hub refused the token (HTTP 401)",
                "not_found": "was not found (HTTP 404)",
                "no_permission": "the token has no permission to read"}[case]
    assert r.startswith("✗") and expected in r, r
    if case == "not_found":  # the fix names the field; with a real repo id it passes
        argv = fix_of(res, f"access to {repo_id}")
        assert "model.repo_id=<owner/name>" in argv
        argv = [a.replace("<owner/name>", GLM_REPO) for a in argv if a != f"model.repo_id={repo_id}"]
        assert run_fix(box, sides, argv).returncode == 0


def test_config_that_disagrees_and_an_index_of_another_size(box, sides):
    hub = sides[0]
    odd = FakeRepo("fake-org/Odd-FP8")
    odd.add_commit(repo_files({**GLM_STANDIN_CONFIG, "architectures": ["DeepseekV32ForCausalLM"]}, 300_000_000_000))
    hub.add_repo(odd)
    res = preflight(box, sides, "glm51_fp8", "--set", "model.repo_id=fake-org/Odd-FP8",
                    "--set", "storage.weights_volume=odd-weights")
    assert res.returncode == 1
    assert "profile says GlmMoeDsaForCausalLM, config.json says DeepseekV32ForCausalLM" in row(res, "architecture")
    assert "300.0 GB by model.safetensors.index.json metadata.total_size; the profile says 750 GB" in row(res, "weights size")
    argv = fix_of(res, "weights size")
    assert "model.expected_size_gb=300.0" in argv
    argv = fix_of(res, "architecture")
    fixed = run_fix(box, sides, argv + ["--set", "model.expected_size_gb=300.0"])
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_moved_ref_against_the_recorded_commit(box, sides):
    hub = sides[0]
    repo = FakeRepo("fake-org/Moving-FP8")
    old = repo.add_commit(repo_files(GLM_STANDIN_CONFIG, 750_000_000_000))
    new = repo.add_commit(repo_files({**GLM_STANDIN_CONFIG, "rev": 2}, 750_000_000_000))
    hub.add_repo(repo)
    box.cp.put_volume_file("moving-weights", f"Moving-FP8/{STATE_DIR}/{COMPLETE_NAME}",
                           json.dumps({"repo_id": "fake-org/Moving-FP8", "revision": old}).encode())
    res = preflight(box, sides, "glm51_fp8", "--set", "model.repo_id=fake-org/Moving-FP8",
                    "--set", "storage.weights_volume=moving-weights")
    assert res.returncode == 1
    assert f"holds commit {old[:12]}, but 'main' now resolves to {new[:12]}" in row(res, "weights volume moving-weights")
    fixed = run_fix(box, sides, fix_of(res, "weights volume moving-weights"))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert f"complete for commit {old}" in row(fixed, "weights volume moving-weights")


def test_missing_secret_fix_runs_as_printed_with_the_real_modal_cli(box, sides):
    res = preflight(box, sides, "glm51_fp8", "--set", "serving.api_key_secret=preflight-new-key")
    assert res.returncode == 1
    assert "no secret named 'preflight-new-key' in workspace 'modalbox'" in row(res, "secret preflight-new-key")
    argv = fix_of(res, "secret preflight-new-key")
    # the printer's secret line reads the value from the user's shell: API_KEY="${API_KEY:?}"
    assert argv[:4] == ["modal", "secret", "create", "preflight-new-key"] and argv[4] == "API_KEY=${API_KEY:?}"
    argv[4] = "API_KEY=k-preflight"  # what bash makes of it with API_KEY exported
    created = box.modal(*argv[1:])
    assert created.returncode == 0, created.stdout + created.stderr
    assert preflight(box, sides, "glm51_fp8", "--set", "serving.api_key_secret=preflight-new-key").returncode == 0


def test_a_token_modal_refuses(box, sides):
    box.cp.refused_tokens.add("ak-modalbox")
    try:
        res = preflight(box, sides, "glm51_fp8")
    finally:
        box.cp.refused_tokens.discard("ak-modalbox")
    assert res.returncode == 1
    r = row(res, "token")
    assert r.startswith("✗") and "modalbox: token refused" in r and r.endswith("fix: modal token new"), r
    # without a working token nothing else on Modal is asked (no volume rows)
    assert "volumes:" not in res.stdout


@pytest.mark.parametrize("case", ["absent", "token", "private", "arm_only"])
def test_registry_image(box, sides, case):
    reg = Registry(require_token=case in ("token", "private")).start()
    try:
        from registryserver import index_body
        if case == "arm_only":
            reg.add(IMAGE_NAME, IMAGE_TAG, index_body(platforms=(("linux", "arm64"),)))
        elif case != "absent":
            digest = reg.add(IMAGE_NAME, IMAGE_TAG)
        if case == "private":
            reg.private.add(IMAGE_NAME)
        res = preflight(box, sides, "glm51_fp8", *image_set(reg))
    finally:
        reg.stop()
    r = row(res, "registry image")
    if case == "token":  # an anonymous pull token, as Docker Hub asks for one
        assert res.returncode == 0 and f"pin it as {reg.host}/{IMAGE_NAME}@{digest}" in r, r
        assert [p for m, p, bearer in reg.requests if p == "/token"] and any(b for _, _, b in reg.requests)
        return
    assert res.returncode == 1 and r.startswith("✗"), r
    assert {"absent": f"the registry has no tag '{IMAGE_TAG}'", "private": "refused an anonymous pull token",
            "arm_only": "exists but not for linux/amd64 (platforms: linux/arm64)"}[case] in r


def test_no_local_token_reads_the_hub_in_a_cpu_modal_function(box, sides):
    """No HF token here: the check runs as the preflight_hub unit with the profile's HF secret.
    Its body is run by the test as the plain function against the fake hub, and that answer is
    what the control plane returns for the call."""
    hub = sides[0]
    box.cp.outcomes["preflight_hub"] = Outcome(value=hub_probe(GLM_REPO, "main", "token-in-the-secret",
                                                               endpoint=hub.endpoint))
    res = preflight(box, sides, "glm51_fp8", env={"HF_TOKEN": "", "HUGGING_FACE_HUB_TOKEN": ""})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "[read in a CPU Modal function with the secret 'huggingface-secret']" in row(res, f"access to {GLM_REPO}")
    created = [c.request.function for c in res.calls if c.method == "FunctionCreate"]
    (fn,) = [f for f in created if f.function_name == "preflight_hub"]
    assert fn.resources.gpu_config.count == 0 and fn.resources.milli_cpu == 1000
    assert [c for c in box.cp.calls if c.function_name == "preflight_hub"]
    assert not [f for f in created if f.function_name != "preflight_hub"]  # no SGLang image, no GPU unit


def test_setup_stops_at_a_failed_preflight_before_download_model(box, sides):
    hub, reg, env = sides
    before = len(box.cp.calls)
    res = box.mld("setup", "glm51_fp8", *image_set(reg), "--set", "serving.api_key_secret=missing-for-setup", env=env)
    assert res.returncode == 1
    assert "✗ secret missing-for-setup" in res.stdout
    assert "error: preflight of glm51_fp8: 1 check failed (secret missing-for-setup)" in res.stderr
    assert [c.function_name for c in box.cp.calls[before:]] == []  # download_model never called
    assert "FunctionMap" not in res.methods()


def test_no_network_fails_fast(box, sides):
    hub, reg, env = sides
    t0 = time.monotonic()
    res = box.mld("preflight", "glm51_fp8", "--set", "engine.image=127.0.0.1:9/x/y:z",
                  env={**env, "HF_ENDPOINT": "http://127.0.0.1:9", "MODAL_SERVER_URL": "http://127.0.0.1:9"})
    assert time.monotonic() - t0 < 15
    assert res.returncode == 1 and "preflight needs the network" in res.stdout, res.stdout


def test_no_modal_token_json_rows_and_the_docs_table(box, sides, repo):
    res = preflight(box, sides, "glm51_fp8", "--json", env={"MODAL_TOKEN_ID": "", "MODAL_TOKEN_SECRET": ""})
    assert res.returncode == 1
    rows = json.loads(res.stdout)
    (token,) = [r for r in rows if r["name"] == "token"]
    assert token["status"] == "fail" and "Token missing" in token["found"] and token["fix"] == "modal token new"
    assert not [r for r in rows if r["family"] == "volumes"]  # nothing asked of Modal without a token
    # every row a healthy run prints is in docs/preflight.md's table (names with their variable part)
    ok = json.loads(preflight(box, sides, "glm51_fp8", "--json").stdout)
    doc = (repo / "docs" / "preflight.md").read_text()
    table = [line for line in doc.splitlines() if line.startswith("| ")]
    generic = {"secret": "secret NAME", "access to": "access to REPO", "weights volume": "weights volume"}
    for r in ok:
        name = next((v for k, v in generic.items() if r["name"].startswith(k)), r["name"])
        if r["family"] == "config" and name not in ("architecture", "weights size", "memory fit (real size)",
                                                    "known-bad combinations"):
            name = "SGLang shape rules"  # one row per rule that applies
        assert any(f"| {r['family']} |" in line and name in line for line in table), (r["family"], name)


def test_a_small_file_the_hub_fails_to_serve_is_a_row(box, sides):
    from hubserver import Fault

    hub = sides[0]
    hub.add_fault(Fault(where="resolve", path="config.json", status=500, times=None))
    try:
        res = preflight(box, sides, "glm51_fp8")
    finally:
        hub.clear_faults()
    assert res.returncode == 1
    assert "config.json: the Hub answered HTTP 500" in row(res, f"access to {GLM_REPO}")


def test_revision_not_found_memory_fit_known_bad_and_a_volume_of_another_repo(box, sides):
    hub = sides[0]
    res = preflight(box, sides, "glm51_fp8", "--set", "model.revision=no-such-branch")
    assert res.returncode == 1
    assert "revision 'no-such-branch' does not exist in" in row(res, f"access to {GLM_REPO}")
    assert "model.revision=<branch, tag or 40-hex sha>" in fix_of(res, f"access to {GLM_REPO}")
    # an index of 1.4 TB against 8×H200: the real size does not fit, whatever the profile claimed
    big = FakeRepo("fake-org/Big-FP8")
    big.add_commit(repo_files(GLM_STANDIN_CONFIG, 1_400_000_000_000))
    hub.add_repo(big)
    res = preflight(box, sides, "glm51_fp8_h200", "--set", "model.repo_id=fake-org/Big-FP8",
                    "--set", "storage.weights_volume=big-weights")
    assert res.returncode == 1
    assert "memory: 1400 GB of weights over tp 8" in row(res, "memory fit (real size)")
    # known-bad evaluated with the architecture the repo holds, not the one the profile claims
    # (none here, and a repo name no known-bad glob matches): an FP8 KV cache for GLM-5
    res = preflight(box, sides, "glm51_fp8", "--set", "model.repo_id=fake-org/Big-FP8", "--set",
                    "engine.architecture=none", "--set", "engine.flags.kv-cache-dtype=fp8_e4m3",
                    "--set", "model.expected_size_gb=1400", "--set", "hardware.gpu=B300",
                    "--set", "storage.weights_volume=big-weights")
    assert "[glm5-fp8-kv-cache; source:" in row(res, "known-bad combinations")
    assert row(res, "architecture").startswith("!")  # the profile states none: the fix adds it
    # a weights volume that holds another repo's download
    box.cp.put_volume_file("shared-weights", f"GLM-5.1-FP8/{STATE_DIR}/{COMPLETE_NAME}",
                           json.dumps({"repo_id": "someone/else", "revision": "0" * 40}).encode())
    res = preflight(box, sides, "glm51_fp8", "--set", "storage.weights_volume=shared-weights")
    assert "holds someone/else, not zai-org/GLM-5.1-FP8" in row(res, "weights volume shared-weights")
    fixed = run_fix(box, sides, fix_of(res, "weights volume shared-weights"))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
