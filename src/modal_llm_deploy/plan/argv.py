"""The exact SGLang command lines a profile runs (server, kernel compile) and the kernel key
that names what they compile. Full flag names only; ``--api-key`` is never here (it is added
in the container from the Modal secret)."""

from __future__ import annotations

import re

from modal_llm_deploy.base.layout import is_commit_sha
from modal_llm_deploy.engine.bind import SERVE_BIND_HOST
from modal_llm_deploy.engine.caches import argv_hash
from modal_llm_deploy.plan.models import COMPILE_PORT, REVISION_PLACEHOLDER
from modal_llm_deploy.profile.model import FlagValue, Profile


def render_flags(flags: dict[str, FlagValue]) -> list[str]:
    """``{"enable-metrics": True, "mem-fraction-static": 0.88}`` → ``--enable-metrics
    --mem-fraction-static 0.88``. Full names only: argparse abbreviations break when SGLang
    adds a sibling flag."""
    argv: list[str] = []
    for name, value in flags.items():
        if value is False or value is None:
            continue
        argv.append(f"--{name}")
        if value is True:
            continue
        if isinstance(value, list):
            argv.extend(str(v) for v in value)
        else:
            argv.append(str(value))
    return argv


def weights_dir(profile: Profile) -> str:
    return f"{profile.storage.weights_mount}/{profile.model.dir_name}"


def _engine_args(profile: Profile, host: str, port: int) -> list[str]:
    m, e = profile.model, profile.engine
    args = [
        "--model-path", weights_dir(profile),
        "--served-model-name", m.served_name,
        "--host", host,
        "--port", str(port),
    ]  # fmt: skip
    if m.trust_remote_code:
        args.append("--trust-remote-code")
    args += ["--tp-size", str(e.tensor_parallel_size), "--ep-size", str(e.expert_parallel_size)]
    if profile.hardware.nodes > 1:
        # Known at plan time, so in the argv (and the kernel argv hash); --node-rank and
        # --dist-init-addr are only known in the container: topology.RankArgs.
        args += ["--nnodes", str(profile.hardware.nodes)]
    return args + render_flags(e.flags)


def sglang_argv(profile: Profile) -> list[str]:
    """The server launch argv. ``--api-key`` is appended in the container at run time from
    the Modal secret, never here. ``--host ''``: IPv4 and IPv6 on every interface, so cluster
    peers (IPv6) and Modal's side (IPv4) both reach it (engine/bind.py)."""
    return [profile.engine.python, "-m", "sglang.launch_server"] + _engine_args(
        profile, SERVE_BIND_HOST, profile.serving.port
    )


def compile_argv(profile: Profile) -> list[str]:
    """``sglang.compile_deep_gemm`` takes the server's arguments plus ``--timeout``; it starts
    a private server and polls it without a key, so no ``--api-key`` here, ever."""
    return (
        [profile.engine.python, "-m", "sglang.compile_deep_gemm"]
        + _engine_args(profile, "127.0.0.1", COMPILE_PORT)
        + ["--timeout", str(profile.kernel_cache.compile_timeout_s)]
    )


def kernel_argv_hash(profile: Profile) -> str:
    """Hash of the arguments that shape kernels: the compile argv without host, port, timeout,
    model path and served name (see ``steps.caches.NOT_KERNEL_SHAPING`` for why), plus the
    engine's extra env. The server argv gives the same hash (it differs only in those)."""
    return argv_hash(compile_argv(profile), profile.engine.env)


def kernel_key(profile: Profile, revision_sha: str | None = None) -> str:
    """Everything that makes compiled kernels invalid if it changes: GPU architecture, SGLang
    version, model revision, parallelism and a hash of the kernel-shaping arguments.

    ``revision_sha``: the commit the weights resolved to. Default: the profile's revision when
    it is a full sha, else the literal ``{revision}`` placeholder (filled by ``pinned_to``).
    """
    slug = re.sub(r"[^a-z0-9.]+", "-", profile.model.dir_name.lower()).strip("-")
    e = profile.engine
    sha = revision_sha or profile.model.revision
    rev = sha[:12] if is_commit_sha(sha) else REVISION_PLACEHOLDER
    parts = [
        profile.hardware.arch,
        f"sglang{e.sglang_version}",
        slug,
        f"rev{rev}",
        f"tp{e.tensor_parallel_size}",
        f"ep{e.expert_parallel_size}",
    ]
    for flag in ("pp-size", "dp-size"):
        v = e.flag(flag)
        if v not in (None, 1, "1"):
            parts.append(f"{flag.split('-')[0]}{v}")
    if profile.hardware.nodes > 1:
        # Kernels compiled by a 2-node TP 16 run are not a 1-node run's (also in the argv hash
        # through --nnodes; visible in the key so an operator can tell the trees apart).
        parts.append(f"nodes{profile.hardware.nodes}")
    parts.append(kernel_argv_hash(profile))
    return "-".join(parts)
