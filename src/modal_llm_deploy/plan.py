"""Profile → DeploymentPlan: pure data, JSON-serialisable, no Modal import.

The plan is everything the Modal app will be, written down: images, every container unit with
its GPU, volumes, secret *names* and env, the server's autoscaling, the exact SGLang argv of
the server and of the kernel compile run, the kernel-cache key, and a cost estimate. Tests and
``modal-llm-deploy plan`` read it; ``modal_app.build_app`` only renders it.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .commands import plan_commands
from .envvars import PLAN_ENV
from .hardware import gpu_usd_per_hour, prices
from .profile import FlagValue, Profile
from .schedules import KeepWarmPlan, keep_warm_plan  # issue 9: keep-warm windows
from .topology import TopologyPlan, derive as derive_topology
from .steps.caches import SGLANG_CACHES, WORK_DIR, argv_hash, cache_env, cache_path, kernel_args
from .steps.layout import is_commit_sha
from .steps.phases import ColdStartPlan  # issue 9: cold-start phase budgets

PLAN_VERSION = 1
LIBRARY = "modal_llm_deploy"
DISTRIBUTION = "modal-llm-deploy"

# The env var that carries the profile's plan (as JSON) into every container: the container-side
# code imports the library, not the user's deploy script, so the configuration must travel as
# data. The plan, not the raw profile: the container runs exactly what `plan` showed.
# (PLAN_ENV is defined in envvars.py, imported above.)

# The kernel key's revision part when the profile names a ref (e.g. ``main``) instead of a
# commit: the sha is only known once the download step resolved it; ``pinned_to`` fills it in.
REVISION_PLACEHOLDER = "{revision}"

# The compile run starts a throwaway SGLang server inside its container; it must not collide
# with anything else and never carries an API key (its readiness poll sends none).
COMPILE_PORT = 30000

# Distributions our container-side code imports, by image. The SGLang image already ships
# pydantic and huggingface-hub (sglang depends on both); reinstalling them there could move
# versions under SGLang, so we add only what it lacks.
DOWNLOAD_IMAGE_DEPS = ("pydantic", "pluggy", "huggingface-hub", "hf-xet")
SGLANG_IMAGE_DEPS = ("pluggy",)
SGLANG_IMAGE_PROVIDES = ("pydantic", "huggingface-hub")

Role = Literal["download", "compile", "verify", "serve", "bench", "keep_warm"]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class ImagePlan(_Data):
    name: str
    base: Literal["debian_slim", "registry"]
    ref: str | None = None  # registry tag
    python_version: str | None = None  # debian_slim
    clear_entrypoint: bool = False
    pip: list[str]  # requirement strings installed with uv
    provided_by_base: list[str] = []  # distributions the base image already has
    env: dict[str, str] = {}
    local_python_sources: list[str]  # import names added with add_local_python_source


class VolumeMount(_Data):
    volume: str
    path: str
    read_only: bool


class SchedulePlan(_Data):
    """``modal.Cron(cron, timezone=timezone)`` (modal 1.6 schedule.py: an IANA timezone)."""

    cron: str
    timezone: str


class UnitPlan(_Data):
    name: str  # Modal function/server name
    role: Role
    image: str  # key into DeploymentPlan.images
    gpu: str | None  # Modal GPU string ("B200:8") or None = CPU only
    cpu: float | None = None
    memory_mib: int | None = None
    volumes: list[VolumeMount]
    secrets: list[str]  # Modal secret NAMES; values never appear in a plan
    env: dict[str, str]
    # Modal's function timeout. None for the server: `@app.server` has no timeout option
    # (modal 1.6 app.py App.server signature); a server runs until Modal scales it down.
    timeout_s: int | None
    retries: int = 0
    max_containers: int | None = None  # 1 for setup steps: never two writers on one volume
    schedule: SchedulePlan | None = None  # a scheduled function (keep-warm)
    region: str | None = None  # Modal `region=` of a function (the server's is ServerPlan.compute_region)
    # Multi-node (topology.py): modal.clustered(size=cluster_size, rdma=rdma) on this unit; None
    # = one container. The compile unit is clustered too: compile_deep_gemm starts the same
    # multi-node server (sglang 0.5.23 compile_deep_gemm.py, node_rank branches).
    cluster_size: int | None = None
    rdma: bool = False


class ServerPlan(_Data):
    unit: str
    port: int
    served_name: str
    auth: Literal["api_key", "public"]
    api_key_secret: str | None
    api_key_env: str
    modal_proxy_auth: bool
    # the Modal secret with a proxy token for the bench unit (on its `secrets`); None: bench refuses
    proxy_auth_secret: str | None = None
    min_containers: int
    max_containers: int
    buffer_containers: int
    scaledown_window_s: int
    max_concurrency: int
    target_concurrency: float
    startup_timeout_s: int
    startup_estimate_s: int
    exit_grace_period_s: int
    routing_region: str
    compute_region: str | None
    health_path: str = "/health"
    metrics_path: str = "/metrics"


class WeightsPlan(_Data):
    repo_id: str
    revision: str  # the profile's ref (branch/tag) or commit sha; a pinned copy holds the recorded sha
    pinned: bool  # revision is a commit sha; False: the first download resolves and records it
    volume: str
    dir: str  # absolute path inside the containers
    allow_patterns: list[str] | None
    expected_size_bytes: int
    token_env: str  # variable of the Hugging Face secret that holds the token
    max_workers: int
    attempts: int
    backoff_s: list[float]


class CacheLocationPlan(_Data):
    name: str
    env: str  # the variable SGLang (or the library it redirects) reads
    path: str  # absolute, under KernelCachePlan.work_dir
    holds: str
    source: str  # where the pinned SGLang reads it


class KernelCachePlan(_Data):
    enabled: bool  # DeepGEMM pre-compiled by the compile unit (kernel_cache.deepgemm)
    arch: str
    # sm100-sglang0.5.23-glm-5.1-fp8-rev<12 hex>-tp8-ep1-<argv hash>; "rev{revision}" while the
    # profile names a ref (see DeploymentPlan.pinned_to).
    key: str
    key_template: str  # key with the literal {revision} placeholder: what pinned_to fills
    volume: str
    mount: str  # the volume's mount path in the containers
    dir: str  # mount/key: the published tree + marker
    marker_name: str
    marker_path: str
    argv_hash: str  # over kernel_args (compile argv minus host/port/timeout/model path/name) + engine env
    kernel_args: list[str]
    # ONE fixed absolute path where compile and serve run SGLang's caches (steps/caches.py).
    work_dir: str
    caches: list[CacheLocationPlan]
    env: dict[str, str]  # every cache variable → its path under work_dir (compile and serve)
    compile_timeout_s: int
    allow_cold_jit: bool  # a server without a marker for its key may start (and JIT-compile)
    cold_jit_estimate_s: int  # added to the server's startup estimate when allowed

    @property
    def revision_pinned(self) -> bool:
        return REVISION_PLACEHOLDER not in self.key


class CostPlan(_Data):
    gpu: str
    gpu_usd_per_hour: float
    server_usd_per_hour: float  # one container: GPUs + requested CPU cores (memory not priced)
    idle_usd_per_hour: float  # min_containers always on
    max_usd_per_hour: float  # all max_containers busy
    cluster_usd_per_hour: float = 0.0  # one replica: server_usd_per_hour × hardware.nodes
    compile_once_usd: float  # a cold compile, worst case
    download_once_usd: float  # CPU container, rough
    region_multiplier: float
    note: str


class DeploymentPlan(_Data):
    plan_version: int = PLAN_VERSION
    profile: str
    plugin: str | None
    plugin_module: str | None
    description: str
    app_name: str
    sglang_version: str
    gpu_arch: str
    images: dict[str, ImagePlan]
    units: list[UnitPlan]
    server: ServerPlan
    sglang_argv: list[str]
    compile_argv: list[str] | None
    weights: WeightsPlan
    kernel_cache: KernelCachePlan
    topology: TopologyPlan  # nodes × GPUs, parallelism, memory fit, per-rank args (topology.py)
    cost: CostPlan
    commands: dict[str, str]
    plan_env: str = PLAN_ENV
    keep_warm: KeepWarmPlan | None = None  # issue 9: scheduled min_containers (None = no windows)
    cold_start: ColdStartPlan | None = None  # issue 9: budget per cold-start phase

    def unit(self, name_or_role: str) -> UnitPlan:
        for u in self.units:
            if name_or_role in (u.name, u.role):
                return u
        raise KeyError(name_or_role)

    def pinned_to(self, sha: str) -> "DeploymentPlan":
        """This plan with the model revision resolved to the commit ``sha``.

        ``weights.revision`` becomes ``sha`` and the kernel-cache fields that carry the key are
        re-derived from ``key_template`` (not a string replace over the whole plan), so fields
        added later cannot be rewritten by accident. A plan already pinned to another commit is
        refused: its kernels were keyed for that commit.
        """
        if not is_commit_sha(sha):
            raise ValueError(f"pinned_to({sha!r}): expected a full 40-hex commit sha")
        kc = self.kernel_cache
        if kc.revision_pinned and kc.key != kernel_cache_fields(kc.key_template, kc.mount, kc.marker_name, sha)["key"]:
            raise ValueError(
                f"plan's kernel key {kc.key} is pinned to another revision than {sha[:12]}; rebuild the plan"
            )
        return self.model_copy(update={
            "weights": self.weights.model_copy(update={"revision": sha, "pinned": True}),
            "kernel_cache": kc.model_copy(update=kernel_cache_fields(kc.key_template, kc.mount, kc.marker_name, sha)),
        })


# --- SGLang argv -------------------------------------------------------------------------------


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
    the Modal secret, never here."""
    return [profile.engine.python, "-m", "sglang.launch_server"] + _engine_args(
        profile, "0.0.0.0", profile.serving.port
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


def kernel_cache_fields(key_template: str, mount: str, marker_name: str, sha: str | None) -> dict[str, str]:
    """The kernel-cache fields that carry the key, from the template and (maybe) the sha."""
    key = key_template.replace(REVISION_PLACEHOLDER, sha[:12]) if sha and is_commit_sha(sha) else key_template
    kdir = f"{mount}/{key}"
    return {"key": key, "dir": kdir, "marker_path": f"{kdir}/{marker_name}"}


# --- images ------------------------------------------------------------------------------------


def runtime_requirements(names: tuple[str, ...]) -> list[str]:
    """Requirement strings for ``names``, taken from this library's own installed metadata, so
    the images get the same version ranges pyproject.toml declares (one source of truth)."""
    by_name = _declared_requirements()
    missing = [n for n in names if n not in by_name]
    if missing:
        raise RuntimeError(f"{DISTRIBUTION} metadata does not declare {missing}")
    return [by_name[n] for n in names]


@functools.cache  # METADATA parsed once per process, not once per image (benchmarks/bench_import.py)
def _declared_requirements() -> dict[str, str]:
    try:
        reqs = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError as exc:  # running from a bare source tree
        raise RuntimeError(f"{DISTRIBUTION} is not installed: pip install -e . first") from exc
    by_name: dict[str, str] = {}
    for r in reqs:
        if ";" in r:
            continue  # extras / markers: not runtime
        m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?(.*)$", r.strip())
        if m:
            by_name[m.group(1).lower().replace("_", "-")] = r.strip().replace(" ", "")
    return by_name


def _images(profile: Profile, plugin_module: str | None) -> dict[str, ImagePlan]:
    sources = [LIBRARY] + ([plugin_module.split(".")[0]] if plugin_module else [])
    return {
        # CPU-only steps (download, verify): small, fast to build, no CUDA.
        "download": ImagePlan(
            name="download",
            base="debian_slim",
            python_version="3.12",
            pip=runtime_requirements(DOWNLOAD_IMAGE_DEPS),
            # Let the Xet client use every core and all bandwidth for a 750 GB pull.
            env={"HF_XET_HIGH_PERFORMANCE": "1"},
            local_python_sources=sources,
        ),
        # GPU steps (compile, serve): the SGLang release the flags were proven against.
        "sglang": ImagePlan(
            name="sglang",
            base="registry",
            ref=profile.engine.image,
            clear_entrypoint=True,  # the image's entrypoint would start its own shell/server
            pip=runtime_requirements(SGLANG_IMAGE_DEPS),
            provided_by_base=list(SGLANG_IMAGE_PROVIDES),
            env={},
            local_python_sources=sources,
        ),
    }


# --- the plan ----------------------------------------------------------------------------------


def per_container_usd(p: Profile) -> float:
    """One server container per hour: GPUs + requested CPU cores, times the region multiplier
    (data/prices.json; a GPU without a recorded price counts 0 and the plan's cost note says so)."""
    mult = 1.5 if p.serving.compute_region else 1.0
    cpu_usd = (p.hardware.cpu or 0) * prices()["cpu_core_usd_per_hour"]
    return round(((gpu_usd_per_hour(p.hardware.gpu) or 0.0) * p.hardware.count + cpu_usd) * mult, 2)


def _operate_units(p: Profile, weights_ro: VolumeMount, api_secret: list[str], offline: dict[str, str],
                   per_container: float) -> list[UnitPlan]:
    """The operate side (issue 9) as plan units, so Modal gets exactly what the plan shows:
    the in-region benchmark (always) and the keep-warm cron (only with warm windows)."""
    from .bench import BENCH_MOUNT, BENCH_VOLUME_SUFFIX

    s = p.serving
    units = [
        UnitPlan(
            name="bench",
            role="bench",
            # SGLang's own benchmark runs on the SGLang image; CPU only, in the server's region,
            # tokenizer from the weights volume, the server's API-key secret (and, with Modal proxy
            # auth, the proxy-token secret: runtime.bench sends it as Modal-Key/Modal-Secret),
            # results to a volume.
            image="sglang",
            gpu=None,
            cpu=4.0,
            volumes=[weights_ro,
                     VolumeMount(volume=p.app_name + BENCH_VOLUME_SUFFIX, path=BENCH_MOUNT, read_only=False)],
            secrets=list(api_secret) + ([s.proxy_auth_secret] if s.proxy_auth_secret else []),
            env=dict(offline),
            timeout_s=3600,
            region=s.compute_region,
        )
    ]
    kw = keep_warm_plan(s.warm_windows, s.min_containers, s.scaledown_window_s, per_container)
    if kw is not None:
        units.append(
            UnitPlan(
                name=kw.function,
                role="keep_warm",
                image="download",  # a small CPU image: it only calls Modal's autoscaler API
                gpu=None,
                cpu=0.25,
                volumes=[],
                secrets=[],
                env={},
                timeout_s=120,
                schedule=SchedulePlan(cron=kw.cron, timezone=kw.timezone),
            )
        )
    return units


def build_plan(
    profile: Profile,
    *,
    plugin: str | None = None,
    plugin_module: str | None = None,
    cache_work_dir: str = WORK_DIR,
) -> DeploymentPlan:
    """``cache_work_dir``: where compile and serve run SGLang's caches. The container default
    is fixed; the local CLI passes a path derived from --cache-dir (steps.caches.local_work_dir)."""
    if plugin is None and plugin_module is None:
        from .plugins import registry

        reg = registry().get(profile.name)
        if reg is not None:
            plugin, plugin_module = reg.plugin, reg.module

    p, s, st = profile, profile.serving, profile.storage
    topo = derive_topology(p)
    wdir = weights_dir(p)
    key_template = kernel_key(p, REVISION_PLACEHOLDER)
    key_fields = kernel_cache_fields(key_template, st.cache_mount, p.kernel_cache.marker_name, p.model.revision)
    sglang_cache_env = cache_env(cache_work_dir)
    # Model load + fixed start-up, without the cold-JIT allowance (the compile run pays its own).
    load_s = p.startup_estimate_s - p.cold_jit_estimate_s
    commands = plan_commands(p)  # printed commands carry the overrides in effect (commands.py)

    weights_rw = VolumeMount(volume=st.weights_volume, path=st.weights_mount, read_only=False)
    weights_ro = VolumeMount(volume=st.weights_volume, path=st.weights_mount, read_only=True)
    cache_rw = VolumeMount(volume=st.cache_volume, path=st.cache_mount, read_only=False)
    cache_ro = VolumeMount(volume=st.cache_volume, path=st.cache_mount, read_only=True)
    hf_secret = [p.secrets.hf_token_secret] if p.secrets.hf_token_secret else []
    offline = {"HF_HUB_OFFLINE": "1"}  # weights come from the volume; never reach the hub

    units = [
        UnitPlan(
            name="download_model",
            role="download",
            image="download",
            gpu=None,
            cpu=p.download.cpu,
            memory_mib=p.download.memory_mib,
            volumes=[weights_rw],
            secrets=hf_secret,
            env={"HF_XET_HIGH_PERFORMANCE": "1"},
            timeout_s=p.download.timeout_s,
            max_containers=1,
        ),
        UnitPlan(
            name="verify_setup",
            role="verify",
            image="download",
            gpu=None,
            cpu=4.0,
            memory_mib=4096,
            volumes=[weights_ro, cache_ro],
            secrets=[],
            env=dict(offline),
            timeout_s=3600,  # deep mode hashes 750 GB
        ),
    ]
    if p.kernel_cache.deepgemm:
        units.insert(
            1,
            UnitPlan(
                name="compile_deepgemm",
                role="compile",
                image="sglang",
                gpu=p.hardware.modal_gpu,
                cpu=p.hardware.cpu,
                memory_mib=p.hardware.memory_mib,
                volumes=[weights_ro, cache_rw],
                secrets=[],  # no API key: compile's readiness poll sends none
                env={**offline, **sglang_cache_env, **p.engine.env},
                # model load + compile, plus a margin for copying the tree, the marker and commit
                timeout_s=p.kernel_cache.compile_timeout_s + load_s + 300,
                # one compile run at a time; a multi-node one is one cluster of `nodes` containers
                max_containers=topo.nodes,
                cluster_size=topo.cluster_size,
                rdma=topo.rdma,
            ),
        )
    api_secret = [s.api_key_secret] if s.api_key_secret else []
    units.append(
        UnitPlan(
            name="server",
            role="serve",
            image="sglang",
            gpu=p.hardware.modal_gpu,
            cpu=p.hardware.cpu,
            memory_mib=p.hardware.memory_mib,
            # Read-only: Modal commits every writable mount in the background and at container
            # exit, so anything SGLang JIT-compiled (or half-wrote) would be published to every
            # container. The server restores its key directory to the fixed work directory at
            # start instead (DeepGEMM takes lock files in its cache dir even when warm).
            volumes=[weights_ro, cache_ro],
            secrets=api_secret,
            env={**offline, **sglang_cache_env, **p.engine.env},
            timeout_s=None,  # @app.server has no timeout (modal 1.6 app.py): runs until scaled down
            cluster_size=topo.cluster_size,
            rdma=topo.rdma,
        )
    )

    units += _operate_units(p, weights_ro, api_secret, offline, per_container_usd(p))

    server = ServerPlan(
        unit="server",
        port=s.port,
        served_name=p.model.served_name,
        auth="public" if s.public else "api_key",
        api_key_secret=s.api_key_secret,
        api_key_env=s.api_key_env,
        modal_proxy_auth=s.modal_proxy_auth,
        proxy_auth_secret=s.proxy_auth_secret,
        min_containers=s.min_containers,
        max_containers=s.max_containers,
        buffer_containers=s.buffer_containers,
        scaledown_window_s=s.scaledown_window_s,
        max_concurrency=p.max_concurrency,
        target_concurrency=p.target_concurrency,
        startup_timeout_s=s.startup_timeout_s,
        startup_estimate_s=p.startup_estimate_s,
        exit_grace_period_s=s.exit_grace_period_s,
        routing_region=s.routing_region,
        compute_region=s.compute_region,
    )

    gpu_usd = gpu_usd_per_hour(p.hardware.gpu)
    mult = 1.5 if s.compute_region else 1.0
    per_container = per_container_usd(p)
    compile_hours = (load_s + 1800) / 3600
    # ~300 MB/s sustained from the hub into a volume (750 GB in ~40 minutes).
    download_hours = p.model.expected_size_gb / 0.3 / 3600
    cost = CostPlan(
        gpu=p.hardware.modal_gpu,
        gpu_usd_per_hour=gpu_usd or 0.0,
        server_usd_per_hour=per_container,
        idle_usd_per_hour=round(per_container * s.min_containers, 2),
        max_usd_per_hour=round(per_container * s.max_containers, 2),
        cluster_usd_per_hour=round(per_container * topo.nodes, 2),
        # a multi-node compile runs on the whole cluster
        compile_once_usd=round(per_container * topo.nodes * compile_hours, 2) if p.kernel_cache.deepgemm else 0.0,
        download_once_usd=round(p.download.cpu * prices()["cpu_core_usd_per_hour"] * download_hours * mult, 2),
        region_multiplier=mult,
        note=("Modal list prices 2026: GPUs and requested CPU cores, memory not included; "
              "non-preemptible would be 3×." if gpu_usd is not None else
              f"NO PRICE recorded for {p.hardware.gpu_type.name} in data/prices.json: GPU time is counted as $0 "
              "here; add its price with its source to get real figures."),
    )

    return DeploymentPlan(
        profile=p.name,
        plugin=plugin,
        plugin_module=plugin_module,
        description=p.description,
        app_name=p.app_name,
        sglang_version=p.engine.sglang_version,
        gpu_arch=p.hardware.arch,
        images=_images(p, plugin_module),
        units=units,
        server=server,
        sglang_argv=sglang_argv(p),
        compile_argv=compile_argv(p) if p.kernel_cache.deepgemm else None,
        weights=WeightsPlan(
            repo_id=p.model.repo_id,
            revision=p.model.revision,
            pinned=p.model.pinned,
            volume=st.weights_volume,
            dir=wdir,
            allow_patterns=list(p.model.allow_patterns) if p.model.allow_patterns else None,
            expected_size_bytes=int(p.model.expected_size_gb * 1e9),
            token_env=p.secrets.hf_token_env,
            max_workers=p.download.max_workers,
            attempts=p.download.attempts,
            backoff_s=list(p.download.backoff_s),
        ),
        kernel_cache=KernelCachePlan(
            enabled=p.kernel_cache.deepgemm,
            arch=p.hardware.arch,
            key_template=key_template,
            volume=st.cache_volume,
            mount=st.cache_mount,
            marker_name=p.kernel_cache.marker_name,
            argv_hash=kernel_argv_hash(p),
            kernel_args=kernel_args(compile_argv(p)),
            work_dir=cache_work_dir,
            caches=[
                CacheLocationPlan(name=c.name, env=c.env, path=cache_path(cache_work_dir, c), holds=c.holds,
                                  source=c.source)
                for c in SGLANG_CACHES
            ],
            env=sglang_cache_env,
            compile_timeout_s=p.kernel_cache.compile_timeout_s,
            allow_cold_jit=p.kernel_cache.allow_cold_jit,
            cold_jit_estimate_s=p.cold_jit_estimate_s,
            **key_fields,
        ),
        topology=topo,
        cost=cost,
        commands=commands,
        keep_warm=keep_warm_plan(s.warm_windows, s.min_containers, s.scaledown_window_s, per_container),  # its unit: _operate_units
        cold_start=ColdStartPlan.for_profile(p.weight_load_estimate_s, p.startup_estimate_s - p.weight_load_estimate_s),
    )
