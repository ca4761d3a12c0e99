"""verify: every defect is detected, reported on one line with the exact fix command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "standin" / "lib"))

from standin_trees import (  # noqa: E402
    FIXES,
    KERNEL,
    KEY_SM90,
    KEY_SM100,
    REVISION,
    make_tree,
    write_kernel_marker,
)

from modal_llm_deploy.base.layout import complete_path, lock_path, manifest_path  # noqa: E402
from modal_llm_deploy.steps.verify import Problem, verify_setup, verify_weights  # noqa: E402

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path / "models" / "GLM-5.1-FP8", n_shards=6, shard_size=96 * 1024)


@pytest.fixture
def cache_root(tmp_path):
    root = tmp_path / "kernel-cache"
    root.mkdir()
    return root


def run(tree, cache_root, **kw):
    kw.setdefault("revision", REVISION)
    kw.setdefault("kernel", KERNEL)
    kw.setdefault("fixes", FIXES)
    return verify_setup(tree.weights_dir, cache_root, **kw)


def kinds(report) -> list[str]:
    return [p.kind for p in report.problems]


def assert_one_line_with_fix(problem: Problem, fix: str) -> None:
    s = str(problem)
    assert "\n" not in s
    assert s.endswith(f" → run: {fix}")


# --- clean tree ----------------------------------------------------------------------------


def test_clean_tree_passes_quick_and_deep(tree, cache_root, capsys):
    write_kernel_marker(cache_root)
    rep = run(tree, cache_root)
    assert rep.ok, rep.problems
    assert rep.problems == [] and rep.warnings == []
    assert rep.shards == 6 and rep.files == len(tree.manifest.files)
    assert rep.total_bytes == tree.manifest.total_bytes
    assert rep.revision == REVISION and rep.kernel_key == KEY_SM100
    assert rep.kernel_marker is not None and rep.kernel_marker.arch == "sm100"
    out = capsys.readouterr().out
    assert "6 shards" in out and REVISION[:12] in out and KEY_SM100 in out and "verify: OK" in out

    deep = run(tree, cache_root, deep=True, workers=3, progress_interval_s=0.01)
    assert deep.ok, deep.problems
    assert deep.hashed_files == 6 and deep.hashed_bytes == 6 * 96 * 1024
    assert "sha256:" in capsys.readouterr().out  # progress / final throughput lines


def test_revision_prefix_matches(tree, cache_root):
    write_kernel_marker(cache_root)
    assert run(tree, cache_root, revision=REVISION[:12]).ok
    assert run(tree, cache_root, revision=None).ok


# --- weights defects -----------------------------------------------------------------------


def test_missing_completion_marker(tree, cache_root):
    write_kernel_marker(cache_root)
    complete_path(tree.weights_dir).unlink()
    lock_path(tree.weights_dir).write_text("{}")
    rep = run(tree, cache_root)
    assert not rep.ok and kinds(rep) == ["weights.not_complete"]
    assert "download.lock" in rep.problems[0].message
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_missing_manifest(tree, cache_root):
    write_kernel_marker(cache_root)
    manifest_path(tree.weights_dir).unlink()
    rep = run(tree, cache_root)
    assert not rep.ok and "weights.manifest_missing" in kinds(rep)
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_revision_mismatch(tree, cache_root):
    write_kernel_marker(cache_root)
    rep = run(tree, cache_root, revision="fedcba9876543210fedcba9876543210fedcba98")
    assert kinds(rep) == ["weights.revision_mismatch"]
    assert "fedcba987654" in rep.problems[0].message and REVISION[:12] in rep.problems[0].message


def test_missing_shard(tree, cache_root):
    write_kernel_marker(cache_root)
    (tree.weights_dir / tree.shards[2]).unlink()
    rep = run(tree, cache_root)
    assert kinds(rep) == ["weights.shard_missing"]
    assert tree.shards[2] in rep.problems[0].message
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_many_missing_shards_are_one_line(tmp_path, cache_root):
    t = make_tree(tmp_path / "w", n_shards=12, shard_size=1024)
    for s in t.shards[:9]:
        (t.weights_dir / s).unlink()
    rep = run(t, cache_root, kernel=None)
    assert kinds(rep) == ["weights.shard_missing"]
    assert rep.problems[0].message.startswith("9 shards are missing") and "4 more" in rep.problems[0].message


def test_index_names_shard_missing_from_manifest(tree, cache_root):
    write_kernel_marker(cache_root)
    idx = tree.weights_dir / "model.safetensors.index.json"
    d = json.loads(idx.read_text())
    d["weight_map"]["lm_head.weight"] = "model-99999-of-99999.safetensors"
    idx.write_text(json.dumps(d))  # size now differs from the manifest, too
    rep = run(tree, cache_root)
    assert "weights.shard_missing" in kinds(rep)
    assert "weights.shard_not_in_manifest" in kinds(rep)
    assert "weights.size_mismatch" in kinds(rep)


def test_truncated_shard(tree, cache_root):
    write_kernel_marker(cache_root)
    with open(tree.weights_dir / tree.shards[0], "r+b") as fh:
        fh.truncate(1000)
    rep = run(tree, cache_root)
    assert kinds(rep) == ["weights.size_mismatch"]
    msg = rep.problems[0].message
    assert tree.shards[0] in msg and "truncated" in msg and "1000 bytes" in msg
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_corrupted_bytes_found_by_deep_only(tree, cache_root):
    write_kernel_marker(cache_root)
    p = tree.weights_dir / tree.shards[4]
    with open(p, "r+b") as fh:  # same size, one byte flipped in the middle
        fh.seek(50_000)
        b = fh.read(1)
        fh.seek(50_000)
        fh.write(bytes([b[0] ^ 0xFF]))
    assert run(tree, cache_root).ok  # quick mode reads no shard bytes
    rep = run(tree, cache_root, deep=True, workers=4)
    assert kinds(rep) == ["weights.checksum_mismatch"]
    assert tree.shards[4] in rep.problems[0].message and "repair" in rep.problems[0].message
    # the fix is the repair download (re-hashes and re-fetches), not the plain download that
    # would trust the sizes and say "already complete"
    assert_one_line_with_fix(rep.problems[0], FIXES.download + " --repair")
    assert rep.problems[0].fix == FIXES.repair_command


def test_quick_mode_reads_no_shard_bytes(tree, cache_root, monkeypatch):
    """Quick mode must stat shards, never open them."""
    write_kernel_marker(cache_root)
    import builtins

    real_open = builtins.open
    opened = []

    def spy(file, *a, **k):
        opened.append(str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    assert run(tree, cache_root).ok
    assert not [f for f in opened if f.endswith(".safetensors")]


def test_missing_config(tree, cache_root):
    write_kernel_marker(cache_root)
    (tree.weights_dir / "config.json").unlink()
    rep = run(tree, cache_root)
    assert kinds(rep) == ["weights.config_missing"]
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_missing_tokenizer(tree, cache_root):
    write_kernel_marker(cache_root)
    (tree.weights_dir / "tokenizer.json").unlink()
    rep = run(tree, cache_root)
    assert kinds(rep) == ["weights.tokenizer_missing"]
    assert "tokenizer.json" in rep.problems[0].message
    assert_one_line_with_fix(rep.problems[0], FIXES.download)


def test_weights_dir_missing(tmp_path, cache_root):
    rep = verify_weights(tmp_path / "nope", revision=REVISION, fixes=FIXES)
    assert not rep.ok and kinds(rep) == ["weights.not_downloaded"]
    assert "does not exist" in rep.problems[0].message and "nothing has been downloaded" in rep.problems[0].message
    summary = rep.summary_lines()[0]
    assert summary == f"weights: no download found in {tmp_path / 'nope'}" and "?" not in summary


# --- kernel defects ------------------------------------------------------------------------


def test_kernel_marker_missing(tree, cache_root):
    rep = run(tree, cache_root)
    assert kinds(rep) == ["kernel.missing"]
    assert KEY_SM100 in rep.problems[0].message
    assert_one_line_with_fix(rep.problems[0], FIXES.compile)


def test_partial_kernel_cache_without_marker(tree, cache_root):
    (cache_root / KEY_SM100 / "deep_gemm").mkdir(parents=True)
    rep = run(tree, cache_root)
    assert kinds(rep) == ["kernel.missing"] and "did not finish" in rep.problems[0].message


def test_kernel_marker_of_another_arch(tree, cache_root):
    # an sm90 marker copied under this profile's sm100 key
    write_kernel_marker(cache_root, KEY_SM100, arch="sm90", marker_key=KEY_SM90, gpu_name="NVIDIA H200")
    rep = run(tree, cache_root)
    assert kinds(rep) == ["kernel.arch_mismatch"]
    msg = rep.problems[0].message
    assert "sm90" in msg and "sm100" in msg
    assert_one_line_with_fix(rep.problems[0], FIXES.compile)


def test_kernel_marker_of_another_sglang_version(tree, cache_root):
    write_kernel_marker(cache_root, KEY_SM100, sglang_version="0.5.22")
    rep = run(tree, cache_root)
    assert kinds(rep) == ["kernel.version_mismatch"]
    assert "0.5.22" in rep.problems[0].message and "0.5.23" in rep.problems[0].message


def test_kernel_marker_with_another_key(tree, cache_root):
    write_kernel_marker(cache_root, KEY_SM100, marker_key="sm100-sglang0.5.23-other-model")
    assert kinds(run(tree, cache_root)) == ["kernel.key_mismatch"]


def test_markers_only_for_other_keys(tree, cache_root):
    write_kernel_marker(cache_root, KEY_SM90, arch="sm90", gpu_name="NVIDIA H200")
    rep = run(tree, cache_root)
    assert kinds(rep) == ["kernel.other_keys"]
    msg = rep.problems[0].message
    assert msg.startswith(f"found kernels for {KEY_SM90}") and f"not for this profile's key {KEY_SM100}" in msg
    assert_one_line_with_fix(rep.problems[0], FIXES.compile)


def test_unreadable_kernel_marker(tree, cache_root):
    p = write_kernel_marker(cache_root)
    p.write_text("{not json")
    assert kinds(run(tree, cache_root)) == ["kernel.marker_invalid"]


def test_kernel_not_required_turns_problems_into_warnings(tree, cache_root):
    rep = run(tree, cache_root, kernel_required=False)
    assert rep.ok and rep.problems == []
    assert [w.kind for w in rep.warnings] == ["kernel.missing"]


def test_no_kernel_expectation_skips_kernel_checks(tree):
    rep = verify_setup(tree.weights_dir, None, revision=REVISION, kernel=None, fixes=FIXES)
    assert rep.ok and rep.kernel_key is None


def test_defects_combine(tree, cache_root):
    (tree.weights_dir / "config.json").unlink()
    os.truncate(tree.weights_dir / tree.shards[1], 10)
    rep = run(tree, cache_root)
    assert sorted(kinds(rep)) == ["kernel.missing", "weights.config_missing", "weights.size_mismatch"]
    assert len(rep.weight_problems) == 2 and len(rep.kernel_problems) == 1
