"""The profile against what the repo holds: ``architectures[0]`` against
``engine.architecture``, the index's total size against ``model.expected_size_gb`` (and the
memory fit recomputed from the real size), the pinned SGLang's checkpoint-shape rules
(engine/checkpoint_rules.py), and the known-bad table evaluated with the real architecture."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from modal_llm_deploy.engine import checkpoint_rules, known_bad
from modal_llm_deploy.operate.preflight.hub import CONFIG, INDEX, parsed
from modal_llm_deploy.operate.preflight.rows import Row, fail, info, ok, warn
from modal_llm_deploy.plan.commands import cli_command
from modal_llm_deploy.profile.model import Profile
from modal_llm_deploy.profile.overrides import format_validation_error

# |real − expected| / real above this is a wrong claim: the size drives the disk, time and
# memory-fit estimates. 10 % allows rounding ("750 GB") without letting a 2× error through.
SIZE_TOLERANCE = 0.10


def real_size_bytes(probe: dict[str, Any]) -> tuple[int | None, str]:
    index = parsed(probe, INDEX)
    total = (index or {}).get("metadata", {}).get("total_size") if isinstance(index, dict) else None
    if isinstance(total, (int, float)) and total > 0:
        return int(total), f"{INDEX} metadata.total_size"
    if probe.get("safetensors_bytes"):
        return int(probe["safetensors_bytes"]), "the repo's *.safetensors file sizes"
    return None, ""


def architecture_row(profile: Profile, config: dict) -> tuple[Row, str | None]:
    archs = config.get("architectures")
    real = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    said = profile.engine.architecture
    if real is None:
        return warn("config", "architecture", f"{CONFIG} names no architectures[0]"), None
    if said is None:
        return warn("config", "architecture", f"repo: {real}; the profile states none (known-bad entries then match "
                                               "on the repo name)",
                    cli_command("preflight", profile, changes={"engine.architecture": real})), real
    if said != real:
        return fail("config", "architecture", f"profile says {said}, {CONFIG} says {real}",
                    cli_command("preflight", profile, changes={"engine.architecture": real})), real
    return ok("config", "architecture", f"{real} (as the profile says)"), real


def size_rows(profile: Profile, probe: dict[str, Any]) -> list[Row]:
    real, source = real_size_bytes(probe)
    if real is None:
        return [warn("config", "weights size", "the repo states no size (no index, no file sizes): not checked")]
    real_gb = real / 1e9
    said = profile.model.expected_size_gb
    rows: list[Row] = []
    off = abs(real_gb - said) / real_gb
    fixed = round(real_gb, 1)
    if off > SIZE_TOLERANCE:
        rows.append(fail("config", "weights size", f"{real_gb:.1f} GB by {source}; the profile says {said:g} GB "
                         f"({off:.0%} off, tolerance {SIZE_TOLERANCE:.0%})",
                         cli_command("preflight", profile, changes={"model.expected_size_gb": fixed})))
    else:
        rows.append(ok("config", "weights size", f"{real_gb:.1f} GB by {source} (profile: {said:g} GB)"))
    # Memory fit (profile/topology.py check) with the real size: re-validate the whole profile.
    data = profile.model_dump(mode="json")
    data["model"]["expected_size_gb"] = real_gb
    try:
        again = Profile.model_validate(data)
    except ValidationError as exc:
        rows.append(fail("config", "memory fit (real size)", format_validation_error(exc),
                         "more GPUs (hardware.nodes with engine.tensor_parallel_size) or a larger hardware.gpu, "
                         f"then: {cli_command('preflight', profile)}"))
    else:
        t = again.topology
        rows.append(ok("config", "memory fit (real size)", f"{t.weight_share_gb_per_gpu:.1f} GB of weights per GPU, "
                       f"{t.kv_headroom_gb_per_gpu:.1f} GB left for the KV cache on {profile.hardware.gpu}"))
    return rows


def _ep_fix(profile: Profile, lay: checkpoint_rules.Layout, config: dict) -> int | None:
    """The smallest expert-parallel size (a divisor of TP) under which every rule passes."""
    for ep in range(2, lay.tp + 1):
        if lay.tp % ep:
            continue
        trial = checkpoint_rules.Layout(**{**lay.__dict__, "moe_ep": ep})
        if all(f.ok for f in checkpoint_rules.evaluate(config, profile.engine.architecture, trial)):
            return ep
    return None


def shape_rows(profile: Profile, config: dict, architecture: str | None) -> list[Row]:
    e, hw = profile.engine, profile.hardware
    lay = checkpoint_rules.layout_of(e.flags, e.env, e.tensor_parallel_size, e.expert_parallel_size, hw.gpu_type.sm)
    findings = checkpoint_rules.evaluate(config, architecture or e.architecture, lay)
    if not findings:
        return [ok("config", "SGLang shape rules", "none apply (no block quantization, no DSA attention)")]
    ep = None
    if any(not f.ok for f in findings):
        ep = _ep_fix(profile, lay, config)
    fix = (cli_command("preflight", profile, changes={"engine.expert_parallel_size": ep}) if ep else
           f"change the parallel layout (engine.tensor_parallel_size / expert_parallel_size / flags), then: "
           f"{cli_command('preflight', profile)}")
    rows = []
    for f in findings:
        where = f"SGLang {e.sglang_version} {f.source}"
        if f.ok and not f.certain:
            rows.append(info("config", f.rule, f"{f.detail} [{where}]"))
        elif f.ok:
            rows.append(ok("config", f.rule, f"{f.detail} [{where}]"))
        elif f.certain:
            rows.append(fail("config", f.rule, f"SGLang refuses: \"{f.detail}\" [{where}]", fix))
        else:
            rows.append(warn("config", f.rule, f"SGLang may refuse: \"{f.detail}\" [{where}]", fix))
    return rows


def known_bad_row(profile: Profile, architecture: str | None) -> Row:
    e, hw = profile.engine, profile.hardware
    hit = known_bad.find(sglang_version=e.sglang_version, sm=hw.gpu_type.sm, architecture=architecture,
                         repo_id=profile.model.repo_id, flags=e.flags)
    if hit is None:
        return ok("config", "known-bad combinations", f"none match {architecture or profile.model.repo_id} on "
                                                       f"{hw.gpu} with SGLang {e.sglang_version}")
    entry, what = hit
    return fail("config", "known-bad combinations", f"{what}: {entry.effect} [{entry.id}; source: {entry.source}]",
                f"{entry.instead}; then: {cli_command('preflight', profile)}")


def config_rows(profile: Profile, probe: dict[str, Any]) -> list[Row]:
    """Every profile-vs-repo row; nothing when the repo could not be read (its row says why)."""
    if not probe.get("ok"):
        return []
    config = parsed(probe, CONFIG)
    if not isinstance(config, dict):
        return []
    arch_row, real_arch = architecture_row(profile, config)
    return [arch_row, *size_rows(profile, probe), *shape_rows(profile, config, real_arch),
            known_bad_row(profile, real_arch or profile.engine.architecture)]
