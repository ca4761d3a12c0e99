"""The deployment plan's data model: pure, JSON-serialisable, no Modal import.

The plan is everything the Modal app will be, written down: images, every container unit with
its GPU, volumes, secret *names* and env, the server's autoscaling, the exact SGLang argv of
the server and of the kernel compile run, the kernel-cache key, and a cost estimate. Tests and
``modal-llm-deploy plan`` read it; the Modal adapter (``modal_adapter/render.py``) only renders
it. ``plan/build.py`` builds it from a profile.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from modal_llm_deploy.base.envvars import PLAN_ENV
from modal_llm_deploy.base.layout import is_commit_sha
from modal_llm_deploy.base.serve_unit import serve_unit_problem
from modal_llm_deploy.engine.phases import ColdStartPlan
from modal_llm_deploy.plan.schedules import KeepWarmPlan
from modal_llm_deploy.profile.sections import AccuracySpec
from modal_llm_deploy.profile.topology import TopologyPlan

PLAN_VERSION = 1
LIBRARY = "modal_llm_deploy"
DISTRIBUTION = "modal-llm-deploy"

# The env var that carries the profile's plan (as JSON) into every container: the container-side
# code imports the library, not the user's deploy script, so the configuration must travel as
# data. The plan, not the raw profile: the container runs exactly what `plan` showed.
# (PLAN_ENV is defined in base/envvars.py, imported above.)

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

Role = Literal["download", "compile", "verify", "serve", "bench", "keep_warm", "eval", "preflight"]

# The in-region benchmark's results volume (``<app_name>-bench``) and where it is mounted: the
# plan's bench unit and the benchmark run (operate/bench.py) both read these.
BENCH_VOLUME_SUFFIX = "-bench"
BENCH_MOUNT = "/bench"


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
    # The SGLang image: which release its ref names (checked at plan time), or that the container
    # checks the installed sglang at start (engine/release.py). None for images without SGLang.
    release_note: str | None = None


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
    # Multi-node (profile/topology.py): modal.clustered(size=cluster_size, rdma=rdma) on this unit; None
    # = one container. The compile unit is clustered too: compile_deep_gemm starts the same
    # multi-node server (sglang 0.5.23 compile_deep_gemm.py, node_rank branches).
    cluster_size: int | None = None
    rdma: bool = False

    @model_validator(mode="after")
    def _serve_unit_has_no_silent_fields(self) -> "UnitPlan":
        # `@app.server` takes none of these (modal 1.6.4 app.py App.server: no timeout, retries,
        # region or schedule; its max and region are ServerPlan's): refused, never ignored.
        if self.role == "serve":
            problem = serve_unit_problem(self.model_dump())
            if problem:
                raise ValueError(problem)
        return self


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
    topology: TopologyPlan  # nodes × GPUs, parallelism, memory fit, per-rank args (profile/topology.py)
    cost: CostPlan
    commands: dict[str, str]
    plan_env: str = PLAN_ENV
    keep_warm: KeepWarmPlan | None = None  # issue 9: scheduled min_containers (None = no windows)
    cold_start: ColdStartPlan | None = None  # issue 9: budget per cold-start phase
    accuracy: AccuracySpec | None = None  # issue 17: the accuracy gate's tiers, as the profile states them

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


def kernel_cache_fields(key_template: str, mount: str, marker_name: str, sha: str | None) -> dict[str, str]:
    """The kernel-cache fields that carry the key, from the template and (maybe) the sha."""
    key = key_template.replace(REVISION_PLACEHOLDER, sha[:12]) if sha and is_commit_sha(sha) else key_template
    kdir = f"{mount}/{key}"
    return {"key": key, "dir": kdir, "marker_path": f"{kdir}/{marker_name}"}
