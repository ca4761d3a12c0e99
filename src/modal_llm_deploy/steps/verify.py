"""Is everything in place to serve? Weights complete, kernels compiled for *this* profile.

Quick mode (default) reads metadata only: the download step's manifest and completion marker,
the safetensors index, ``config.json``, and one ``stat`` per file — never a shard's bytes — so it
takes well under a second for a ~750 GB, ~140-shard checkpoint. Deep mode adds the sha256 of
every manifest file that has one, hashed in parallel (threads: hashlib releases the GIL while it
hashes a large buffer).

Every problem is one line that names the exact command that fixes it. The caller (CLI, serve,
compile) decides what a problem means for its exit code; this module only reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from modal_llm_deploy.base.layout import (
    CompletionMarker,
    KernelExpectation,
    KernelMarker,
    Manifest,
    complete_path,
    download_state_path,
    kernel_dir,
    lock_path,
    manifest_path,
    pending_update,
    read_json,
)
from modal_llm_deploy.steps.log import log

INDEX_NAME = "model.safetensors.index.json"
CONFIG_NAME = "config.json"
# Any one of these is a usable tokenizer (HF fast tokenizer, sentencepiece, tiktoken, BPE vocab).
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "tiktoken.model", "vocab.json", "spiece.model")
MAX_LISTED = 5  # more defects of one kind than this are reported as one line
HASH_CHUNK = 8 << 20  # 8 MiB reads: large enough that hashlib drops the GIL and syscalls are rare
GB = 1e9


# --- public types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixes:
    """The exact commands shown to the user, e.g.
    ``modal run examples/glm51_deploy.py::download_model``, rendered by the caller with the
    printer (plan/commands.py: ``plan.commands`` or ``local_command``); steps never format one."""

    download: str
    compile: str
    repair: str
    """Re-hashes the weights against the manifest and re-fetches what differs (the fix for a
    corrupt file): the download command with ``--repair`` (runtime.download_model and the local
    ``download`` command both take it)."""

    @property
    def repair_command(self) -> str:
        return self.repair


@dataclass
class Problem:
    """One defect. ``kind`` is ``weights.*`` or ``kernel.*``."""

    kind: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.message} → run: {self.fix}"

    @property
    def is_weights(self) -> bool:
        return self.kind.startswith("weights.")

    @property
    def is_kernel(self) -> bool:
        return self.kind.startswith("kernel.")


@dataclass
class VerifyReport:
    ok: bool
    problems: list[Problem]
    warnings: list[Problem]
    revision: str | None  # the revision found on the volume (manifest), else the one asked for
    repo_id: str | None = None
    weights_dir: str | None = None
    shards: int = 0  # safetensors shards named by the index (or in the manifest)
    files: int = 0  # files in the manifest
    total_bytes: int = 0  # manifest total (what the complete download weighs)
    kernel_key: str | None = None
    kernel_marker: KernelMarker | None = None  # the matching marker, when present
    deep: bool = False
    hashed_files: int = 0
    hashed_bytes: int = 0
    duration_s: float = 0.0

    @property
    def weight_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.is_weights]

    @property
    def kernel_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.is_kernel]

    def summary_lines(self) -> list[str]:
        mode = f"deep: sha256 of {self.hashed_files} files" if self.deep else "quick: sizes only"
        if self.repo_id is None:  # no manifest: say what is (not) there instead of "? @ ?"
            lines = [f"weights: no download found in {self.weights_dir or 'the weights directory'}"]
        else:
            rev = (self.revision or "?")[:12]
            lines = [
                f"weights: {self.repo_id} @ {rev}: {self.shards} shards, {self.files} files, "
                f"{self.total_bytes / GB:.2f} GB ({mode})"
            ]
        if self.kernel_key is not None:
            if self.kernel_marker is not None:
                m = self.kernel_marker
                built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(m.built_at))
                state = f"compiled on {m.gpu_name} ({m.arch}) at {built} in {m.duration_s:.0f} s"
            else:
                state = "NOT compiled"
            lines.append(f"kernels: {self.kernel_key}: {state}")
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        lines.append(f"verify: {verdict} in {self.duration_s:.2f} s")
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines

    def log(self) -> None:
        for line in self.summary_lines():
            log(line)


# --- helpers -------------------------------------------------------------------------------


def _is_hex(v: str) -> bool:
    return len(v) >= 7 and all(c in "0123456789abcdef" for c in v.lower())


def _rev_matches(wanted: str, have: str) -> bool:
    """A pinned revision matches the manifest's exactly, or as a commit-hash prefix (≥ 7 hex)."""
    if wanted == have:
        return True
    w = wanted.lower()
    return len(w) >= 7 and all(c in "0123456789abcdef" for c in w) and have.lower().startswith(w)


def _stat_sizes(paths: list[Path]) -> list[int | None]:
    """``st_size`` of each path (None if absent or not a regular file). Parallel, because on a
    network volume every stat is a round trip."""

    def one(p: Path) -> int | None:
        try:
            st = os.stat(p)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            return None
        return st.st_size if (st.st_mode & 0o170000) == 0o100000 else None

    if len(paths) <= 16:
        return [one(p) for p in paths]
    with ThreadPoolExecutor(max_workers=min(32, len(paths))) as ex:
        return list(ex.map(one, paths))


def _group(kind: str, items: list[str], one: str, many: str, fix: str) -> list[Problem]:
    """One problem per item, or one line for all of them when there are many."""
    if len(items) <= MAX_LISTED:
        return [Problem(kind, one.format(item=i), fix) for i in items]
    shown = ", ".join(items[:MAX_LISTED])
    return [Problem(kind, many.format(n=len(items), items=f"{shown}, … and {len(items) - MAX_LISTED} more"), fix)]


class _Progress:
    def __init__(self, total_bytes: int, total_files: int):
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.done_bytes = 0
        self.done_files = 0
        self.t0 = time.monotonic()
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.done_bytes += n

    def file_done(self) -> None:
        with self._lock:
            self.done_files += 1

    def line(self) -> str:
        el = max(time.monotonic() - self.t0, 1e-9)
        rate = self.done_bytes / el
        pct = 100.0 * self.done_bytes / self.total_bytes if self.total_bytes else 100.0
        left = (self.total_bytes - self.done_bytes) / rate if rate > 0 else float("inf")
        eta = f"{left:.0f} s" if left != float("inf") else "?"
        return (
            f"sha256: {self.done_bytes / GB:.1f}/{self.total_bytes / GB:.1f} GB ({pct:.0f}%), "
            f"{self.done_files}/{self.total_files} files, {rate / 1e6:.0f} MB/s, ETA {eta}"
        )


def sha256_file(path: Path, progress: _Progress | None = None, chunk: int = HASH_CHUNK) -> str:
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        try:
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
        except (AttributeError, OSError):
            pass
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            if progress is not None:
                progress.add(n)
    return h.hexdigest()


def effective_cpus() -> int:
    """CPUs this process may really use: ``os.cpu_count()`` reports the host's, but a container
    (Modal's ``cpu=4``) is limited by its affinity mask and/or cgroup quota."""
    n = os.cpu_count() or 1
    try:
        n = min(n, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            n = min(n, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return n


def default_workers() -> int:
    """Hashing is CPU-bound once the data is local: one thread per usable core (2..32)."""
    return max(2, min(32, effective_cpus()))


# --- weights -------------------------------------------------------------------------------


def verify_weights(
    weights_dir: Path,
    *,
    revision: str | None,
    fixes: Fixes,
    deep: bool = False,
    workers: int | None = None,
    progress_interval_s: float = 10.0,
    log_summary: bool = False,
) -> VerifyReport:
    """Check the downloaded checkpoint. Returns a report; never raises for a defect."""
    t0 = time.monotonic()
    wd = Path(weights_dir)
    fix = fixes.download
    problems: list[Problem] = []
    warnings: list[Problem] = []
    report = VerifyReport(ok=False, problems=problems, warnings=warnings, revision=revision, deep=deep,
                          weights_dir=str(wd))
    # A branch/tag (``main``) is checked against nothing: the download records which commit it was,
    # and the callers pin the plan to that record (pinning.resolve_pinned_plan) before verifying.
    if revision is not None and not _is_hex(revision):
        revision = None

    if not wd.is_dir():
        problems.append(Problem("weights.not_downloaded",
                                f"weights directory {wd} does not exist: nothing has been downloaded there yet", fix))
        return _finish(report, t0, log_summary)

    manifest = _check_manifest(wd, revision, fix, report)
    _check_marker(wd, revision, manifest, fix, report)
    shards = _check_index(wd, manifest, fix, report)
    sizes, by_path, bad_size = _check_sizes(wd, manifest, shards, fix, report)
    _check_config_and_tokenizer(wd, sizes, by_path, fix, report)
    if deep and manifest is not None:
        _check_hashes(wd, manifest, sizes, bad_size, fixes, workers, progress_interval_s, report)
    return _finish(report, t0, log_summary)


def _check_manifest(wd: Path, revision: str | None, fix: str, report: VerifyReport) -> Manifest | None:
    """Step 1: the manifest loads, and its revision is the pinned one. Fills the report's totals."""
    # 1. Manifest: the list of every file of the pinned revision, with sizes (and sha256).
    problems = report.problems
    manifest: Manifest | None = None
    try:
        manifest = Manifest.load(wd)
    except FileNotFoundError:
        problems.append(Problem("weights.manifest_missing", f"no download manifest at {manifest_path(wd)}", fix))
    except (OSError, ValueError, KeyError, TypeError) as e:
        problems.append(
            Problem("weights.manifest_invalid", f"unreadable download manifest {manifest_path(wd)} ({type(e).__name__})", fix)
        )
    if manifest is not None:
        report.repo_id = manifest.repo_id
        report.revision = manifest.revision
        report.files = len(manifest.files)
        report.total_bytes = manifest.total_bytes
        if revision and not _rev_matches(revision, manifest.revision):
            problems.append(
                Problem(
                    "weights.revision_mismatch",
                    f"weights on the volume are revision {manifest.revision[:12]} but the profile pins {revision[:12]}",
                    fix,
                )
            )
    return manifest


def _check_marker(wd: Path, revision: str | None, manifest: Manifest | None, fix: str, report: VerifyReport) -> None:
    """Step 2: the completion marker exists and agrees with the manifest (or the pin); notes an update."""
    # 2. Completion marker: written last by the download step.
    problems = report.problems
    try:
        marker = CompletionMarker.load(wd)
    except FileNotFoundError:
        marker = None
        lock = " (a download.lock is present: a download is running or was interrupted)" if lock_path(wd).exists() else ""
        interrupted = pending_update(wd)
        problems.append(
            Problem("weights.not_complete",
                    f"download not complete: {interrupted}" if interrupted else
                    f"download not complete: no completion marker {complete_path(wd)}{lock}", fix)
        )
    except (OSError, ValueError, KeyError, TypeError) as e:
        marker = None
        problems.append(
            Problem("weights.not_complete", f"unreadable completion marker {complete_path(wd)} ({type(e).__name__})", fix)
        )
    if marker is not None and manifest is not None:
        if (marker.revision, marker.files, marker.bytes) != (manifest.revision, len(manifest.files), manifest.total_bytes):
            problems.append(
                Problem(
                    "weights.marker_mismatch",
                    f"completion marker (rev {marker.revision[:12]}, {marker.files} files, {marker.bytes} bytes) does not "
                    f"match the manifest (rev {manifest.revision[:12]}, {len(manifest.files)} files, "
                    f"{manifest.total_bytes} bytes)",
                    fix,
                )
            )
    elif marker is not None and revision and not _rev_matches(revision, marker.revision):
        problems.append(
            Problem(
                "weights.revision_mismatch",
                f"weights on the volume are revision {marker.revision[:12]} but the profile pins {revision[:12]}",
                fix,
            )
        )

    if marker is not None:
        updating = _update_in_progress(wd, marker.revision)
        if updating:
            report.warnings.append(Problem("weights.update_in_progress", updating, fix))


def _check_index(wd: Path, manifest: Manifest | None, fix: str, report: VerifyReport) -> list[str]:
    """Step 3: the shards the model needs, from the safetensors index (else the manifest)."""
    # 3. Safetensors index: which shards the model needs.
    problems = report.problems
    shards: list[str] = []
    index_file = wd / INDEX_NAME
    if index_file.is_file():
        try:
            with open(index_file) as fh:
                weight_map = json.load(fh)["weight_map"]
            shards = sorted(set(weight_map.values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
            problems.append(Problem("weights.index_invalid", f"unreadable {INDEX_NAME} ({type(e).__name__})", fix))
    elif manifest is not None:
        shards = sorted(f.path for f in manifest.files if f.path.endswith(".safetensors"))
        if not shards:
            problems.append(Problem("weights.index_missing", f"no {INDEX_NAME} and no *.safetensors in the manifest", fix))
        elif len(shards) > 1:
            problems.append(Problem("weights.index_missing", f"{INDEX_NAME} missing ({len(shards)} shards in the manifest)", fix))
    report.shards = len(shards)
    return shards


def _check_sizes(
    wd: Path, manifest: Manifest | None, shards: list[str], fix: str, report: VerifyReport
) -> tuple[dict[str, int | None], dict, set[str]]:
    """Step 4: every manifest file and index shard is present at its size. Returns (sizes, by_path, bad_size)."""
    # 4. One stat per file: the manifest's files and the index's shards.
    by_path = {f.path: f for f in manifest.files} if manifest is not None else {}
    names = list(dict.fromkeys([*by_path, *shards, CONFIG_NAME, *TOKENIZER_FILES]))
    sizes = dict(zip(names, _stat_sizes([wd / n for n in names])))
    shard_set = set(shards)

    missing_shards: list[str] = []
    missing_files: list[str] = []
    wrong_size: list[str] = []
    bad_size: set[str] = set()
    for path, entry in by_path.items():
        have = sizes[path]
        if have is None:
            if path == CONFIG_NAME or path in TOKENIZER_FILES:
                continue  # reported below with a specific message
            (missing_shards if path in shard_set or path.endswith(".safetensors") else missing_files).append(path)
        elif have != entry.size:
            what = "truncated" if have < entry.size else "larger than expected"
            wrong_size.append(f"{path} is {have} bytes, manifest says {entry.size} ({what})")
            bad_size.add(path)
    not_in_manifest = [s for s in shards if manifest is not None and s not in by_path]
    for s in shards:
        if s not in by_path and sizes[s] is None:
            missing_shards.append(s)
    problems = report.problems
    problems += _group(
        "weights.shard_missing", missing_shards, "shard {item} is missing", "{n} shards are missing: {items}", fix
    )
    problems += _group(
        "weights.file_missing", missing_files, "file {item} is missing", "{n} files are missing: {items}", fix
    )
    problems += _group(
        "weights.size_mismatch", wrong_size, "{item}", "{n} files have the wrong size: {items}", fix
    )
    problems += _group(
        "weights.shard_not_in_manifest",
        not_in_manifest,
        f"{INDEX_NAME} names shard {{item}} but the download manifest does not list it",
        f"{INDEX_NAME} names {{n}} shards the download manifest does not list: {{items}}",
        fix,
    )
    return sizes, by_path, bad_size


def _check_config_and_tokenizer(wd: Path, sizes: dict[str, int | None], by_path: dict, fix: str,
                                report: VerifyReport) -> None:
    """Step 5: config.json is there and parses, and some tokenizer file is there."""
    # 5. config.json and a tokenizer: SGLang needs both before it touches a shard.
    problems = report.problems
    if sizes[CONFIG_NAME] is None:
        problems.append(Problem("weights.config_missing", f"{CONFIG_NAME} is missing in {wd}", fix))
    else:
        try:
            with open(wd / CONFIG_NAME) as fh:
                json.load(fh)
        except (OSError, ValueError) as e:
            problems.append(Problem("weights.config_invalid", f"{CONFIG_NAME} is not valid JSON ({type(e).__name__})", fix))
    present_tok = [t for t in TOKENIZER_FILES if sizes[t]]
    missing_tok = [t for t in TOKENIZER_FILES if t in by_path and sizes[t] is None]
    if missing_tok:
        problems.append(Problem("weights.tokenizer_missing", f"tokenizer file {', '.join(missing_tok)} is missing", fix))
    elif not present_tok:
        problems.append(
            Problem("weights.tokenizer_missing", f"no tokenizer file ({' / '.join(TOKENIZER_FILES)}) in {wd}", fix)
        )


def _check_hashes(wd: Path, manifest: Manifest, sizes: dict[str, int | None], bad_size: set[str], fixes: Fixes,
                  workers: int | None, progress_interval_s: float, report: VerifyReport) -> None:
    """Step 6 (deep only): sha256 of every present, right-sized manifest file that has a hash."""
    # 6. Deep: sha256 of every file the manifest has a hash for (and whose size is right).
    todo = [
        e
        for e in manifest.files
        if e.sha256 and sizes.get(e.path) is not None and e.path not in bad_size
    ]
    no_hash = sum(1 for e in manifest.files if not e.sha256)
    report.problems += _deep_hash(wd, todo, fixes.download, workers or default_workers(), progress_interval_s, report,
                                  repair=fixes.repair_command)
    if no_hash:
        log(f"sha256: {no_hash} small file(s) have no hash in the manifest (checked by size only)")


def _update_in_progress(wd: Path, have: str) -> str | None:
    try:
        state = read_json(download_state_path(wd))
    except (OSError, ValueError):
        return None
    if isinstance(state, dict) and state.get("replacing") == have and state.get("commit") not in (None, have):
        return (f"an update to commit {str(state['commit'])[:12]} is being downloaded (or was interrupted); commit "
                f"{have[:12]} stays complete and in use until it finishes")
    return None


def _deep_hash(wd, todo, fix, workers, progress_interval_s, report: VerifyReport, repair: str = "") -> list[Problem]:
    todo = sorted(todo, key=lambda e: -e.size)  # big first: better balance across workers
    prog = _Progress(sum(e.size for e in todo), len(todo))
    stop = threading.Event()
    log(f"sha256: hashing {len(todo)} files, {prog.total_bytes / GB:.1f} GB with {workers} workers")

    def reporter() -> None:
        while not stop.wait(progress_interval_s):
            log(prog.line())

    def one(entry):
        try:
            digest = sha256_file(wd / entry.path, prog)
        except OSError as e:
            return entry, None, e
        finally:
            prog.file_done()
        return entry, digest, None

    rep = threading.Thread(target=reporter, name="sha256-progress", daemon=True)
    rep.start()
    corrupted: list[str] = []
    unreadable: list[str] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as ex:
            for entry, digest, err in ex.map(one, todo):
                if err is not None:
                    unreadable.append(f"{entry.path} ({err.strerror or type(err).__name__})")
                elif digest != entry.sha256.lower():
                    corrupted.append(entry.path)
    finally:
        stop.set()
        rep.join()
    el = max(time.monotonic() - prog.t0, 1e-9)
    log(f"sha256: {len(todo)} files, {prog.done_bytes / GB:.2f} GB in {el:.1f} s ({prog.done_bytes / el / 1e6:.0f} MB/s)")
    report.hashed_files = len(todo)
    report.hashed_bytes = prog.done_bytes
    out = _group(
        "weights.checksum_mismatch",
        corrupted,
        "{item} is corrupted (sha256 differs from the manifest): the repair download re-hashes every file and "
        "fetches this one again",
        "{n} files are corrupted (sha256 differs from the manifest): {items}; the repair download re-hashes every "
        "file and fetches them again",
        repair,
    )
    out += _group("weights.unreadable", unreadable, "cannot read {item}", "{n} files cannot be read: {items}", fix)
    return out


def _finish(report: VerifyReport, t0: float, log_summary: bool) -> VerifyReport:
    report.ok = not report.problems
    report.duration_s = time.monotonic() - t0
    if log_summary:
        report.log()
    return report


# --- kernels -------------------------------------------------------------------------------


def check_kernels(
    cache_root: Path | None, kernel: KernelExpectation, fixes: Fixes
) -> tuple[list[Problem], list[Problem], KernelMarker | None]:
    """(problems, warnings, matching marker). Metadata only."""
    fix = fixes.compile
    want = f"{kernel.arch} / SGLang {kernel.sglang_version} (key {kernel.key})"
    if cache_root is None:
        return [Problem("kernel.cache_missing", f"no kernel cache directory given for key {kernel.key}", fix)], [], None
    root = Path(cache_root)
    kdir = kernel_dir(root, kernel.key)
    marker_file = kdir / kernel.marker_name
    if marker_file.is_file():
        try:
            m = KernelMarker.load(marker_file)
        except (OSError, ValueError, KeyError, TypeError) as e:
            return [Problem("kernel.marker_invalid", f"unreadable kernel marker {marker_file} ({type(e).__name__})", fix)], [], None
        if m.arch != kernel.arch:
            kind = "kernel.arch_mismatch"
        elif m.sglang_version != kernel.sglang_version:
            kind = "kernel.version_mismatch"
        elif m.key != kernel.key:
            kind = "kernel.key_mismatch"
        elif kernel.argv_hash and m.argv_hash and m.argv_hash != kernel.argv_hash:
            return [
                Problem(
                    "kernel.args_mismatch",
                    f"kernel marker {marker_file} was compiled for other SGLang arguments (argv hash "
                    f"{m.argv_hash}, this profile's is {kernel.argv_hash}): a kernel-shaping flag changed",
                    fix,
                )
            ], [], None
        else:
            warnings = []
            dg = kdir / "deep_gemm"
            if not _nonempty_dir(dg):
                warnings.append(
                    Problem("kernel.cache_empty", f"kernel marker present but {dg} is missing or empty", fix)
                )
            return [], warnings, m
        return [
            Problem(
                kind,
                f"kernel marker {marker_file} was built for {m.arch} / SGLang {m.sglang_version} (key {m.key}), "
                f"not this profile's {want}: kernels are per GPU architecture and SGLang version",
                fix,
            )
        ], [], None

    others = _other_kernel_keys(root, kernel)
    same_args_prefix = kernel.key.rsplit("-", 1)[0] + "-" if kernel.argv_hash else None
    other_args = [o for o in others if same_args_prefix and o.startswith(same_args_prefix)]
    if other_args:
        # Same arch, SGLang version, revision and parallelism: only the argument hash differs.
        msg = (
            f"kernels found for other SGLang arguments ({', '.join(other_args)}) but not for this profile's "
            f"key {kernel.key} (argv hash {kernel.argv_hash}): a kernel-shaping flag changed since that compile, "
            "so SGLang would JIT-compile in every cold container"
        )
        return [Problem("kernel.other_args", msg, fix)], [], None
    if others:
        msg = (
            f"found kernels for {', '.join(others)} but not for this profile's key {kernel.key} "
            f"({kernel.arch}, SGLang {kernel.sglang_version})"
        )
        return [Problem("kernel.other_keys", msg, fix)], [], None
    if _nonempty_dir(kdir):
        msg = f"kernel cache {kdir} has no marker {kernel.marker_name}: a compile did not finish"
    else:
        msg = f"no DeepGEMM kernels compiled for key {kernel.key} (no {marker_file})"
    return [Problem("kernel.missing", msg, fix)], [], None


def _nonempty_dir(d: Path) -> bool:
    try:
        with os.scandir(d) as it:
            return next(it, None) is not None
    except OSError:
        return False


def _other_kernel_keys(root: Path, kernel: KernelExpectation, limit: int = 500) -> list[str]:
    found: list[str] = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)[:limit]
    except OSError:
        return found
    for e in entries:
        # dot names are never keys (the local CLI's .work directory lives here)
        if e.name == kernel.key or e.name.startswith(".") or not e.is_dir():
            continue
        mf = Path(e.path) / kernel.marker_name
        if mf.is_file():
            try:
                m = KernelMarker.load(mf)
                found.append(f"{e.name} ({m.arch}, SGLang {m.sglang_version})")
            except (OSError, ValueError, KeyError, TypeError):
                found.append(e.name)
    return found


# --- both ----------------------------------------------------------------------------------


def verify_setup(
    weights_dir: Path,
    cache_root: Path | None,
    *,
    revision: str | None,
    kernel: KernelExpectation | None,
    fixes: Fixes,
    deep: bool = False,
    workers: int | None = None,
    kernel_required: bool = True,
    progress_interval_s: float = 10.0,
    log_summary: bool = True,
) -> VerifyReport:
    """Weights (quick or deep) plus the kernel cache for this profile's key.

    ``kernel=None`` means the profile does not pre-compile kernels (nothing to check).
    ``kernel_required=False`` reports kernel problems as warnings (serving still works, it just
    JIT-compiles on first use).
    """
    t0 = time.monotonic()
    report = verify_weights(
        weights_dir,
        revision=revision,
        fixes=fixes,
        deep=deep,
        workers=workers,
        progress_interval_s=progress_interval_s,
        log_summary=False,
    )
    if kernel is not None:
        report.kernel_key = kernel.key
        kprob, kwarn, marker = check_kernels(cache_root, kernel, fixes)
        report.kernel_marker = marker
        report.warnings += kwarn
        if kernel_required:
            report.problems += kprob
        else:
            report.warnings += kprob
    return _finish(report, t0, log_summary)


__all__ = [
    "Fixes",
    "KernelExpectation",
    "Problem",
    "VerifyReport",
    "check_kernels",
    "sha256_file",
    "verify_setup",
    "verify_weights",
]
