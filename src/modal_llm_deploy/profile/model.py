"""The profile: one immutable pydantic model that is the whole configuration of a deployment.

A profile says *what* to deploy (model, GPUs, SGLang flags, volumes, autoscaling). Everything
else — the plan, the Modal app, the container steps — is derived from it. Unknown fields are
rejected, each section checks its own fields (``profile/sections.py``), the rules that span
sections live here as validators, and every error names the field.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import model_validator

from modal_llm_deploy.engine import flags as sglang_flags
from modal_llm_deploy.engine import known_bad as _known_bad
from modal_llm_deploy.engine.phases import KERNEL_CACHE_RESTORE_S, VOLUME_CHECK_S, cold_start_budgets
from modal_llm_deploy.profile import topology as _topology
from modal_llm_deploy.profile.sections import (  # noqa: F401  (FlagValue and the specs: re-exported for callers)
    AccuracySpec,
    AccuracyTier,
    COLD_JIT_S,
    OWNED_FLAGS,
    STARTUP_FIXED_S,
    VOLUME_READ_GB_PER_S,
    DownloadSpec,
    EngineSpec,
    FlagValue,
    HardwareSpec,
    KernelCacheSpec,
    ModelSpec,
    SecretsSpec,
    ServingSpec,
    StorageSpec,
    _attn_dp_flag,
    _Frozen,
    _words,
)
from modal_llm_deploy.profile.topology import TopologyPlan


class Profile(_Frozen):
    name: Annotated[str, _words(r"[a-z0-9][a-z0-9_]*", "a profile name: lowercase letters, digits and '_', starting with a letter or digit")]
    description: str = ""
    app_name: Annotated[str, _words(r"[a-zA-Z0-9][\w.-]{0,63}", "a Modal app name: up to 64 letters, digits, '_', '.' or '-', starting with a letter or digit")]
    deploy_script: str = "deploy.py"
    """The user's Modal script; used in fix-it commands (``modal run <script>::download_model``)."""
    model: ModelSpec
    hardware: HardwareSpec
    engine: EngineSpec
    kernel_cache: KernelCacheSpec = KernelCacheSpec()
    storage: StorageSpec
    serving: ServingSpec
    download: DownloadSpec = DownloadSpec()
    secrets: SecretsSpec = SecretsSpec()
    accuracy: AccuracySpec = AccuracySpec()  # the accuracy gate's tiers (issue 17, docs/accuracy.md)

    # --- derived values (plain properties: the plan shows them) -----------------------------

    @property
    def max_running_requests(self) -> int | None:
        v = self.engine.flag("max-running-requests")
        return int(v) if v is not None else None

    @property
    def max_concurrency(self) -> int:
        """Modal's per-container limit (requests above it get 429).

        Never below SGLang's batch: the guide let Modal send 20 requests per container while
        SGLang was sized for 48, so the batch never filled and Modal scaled out (10-minute cold
        starts, another $50/h) at 40 % batch utilisation. A little above it: Modal counts queued
        requests too, and a short queue inside SGLang beats a 429 during the next cold start.
        """
        if self.serving.max_concurrency is not None:
            return self.serving.max_concurrency
        mrr = self.max_running_requests
        return mrr + mrr // 4 if mrr else 32

    @property
    def target_concurrency(self) -> float:
        """Scale out before the batch is full: a new container needs many minutes to load."""
        if self.serving.target_concurrency is not None:
            return self.serving.target_concurrency
        base = self.max_running_requests or self.max_concurrency
        return max(1, (base * 3) // 4)

    @property
    def weight_load_estimate_s(self) -> int:
        return int(self.model.expected_size_gb / VOLUME_READ_GB_PER_S)

    @property
    def cold_jit_estimate_s(self) -> int:
        """JIT time a server pays when it may start without compiled kernels (0 otherwise)."""
        kc = self.kernel_cache
        return COLD_JIT_S if (kc.deepgemm and kc.allow_cold_jit) else 0

    @property
    def startup_estimate_s(self) -> int:
        """THE cold-start estimate of one container, start to ready (seconds): the sum of the
        per-phase estimates (``engine/phases.py`` ``cold_start_budgets``), which are also the
        plan's per-phase budgets. The plan, ``cost``, ``bench`` and the docs all quote this."""
        return sum(cold_start_budgets(self.weight_load_estimate_s, STARTUP_FIXED_S, self.cold_jit_estimate_s).values())

    @property
    def topology(self) -> TopologyPlan:
        """Nodes × GPUs, parallelism and memory fit (``profile/topology.py``)."""
        return _topology.derive(self.model, self.hardware, self.engine)

    # --- cross-field rules ---------------------------------------------------------------------

    @model_validator(mode="after")
    def _cross_checks(self) -> "Profile":
        self._check_parallelism()
        if self.kernel_cache.deepgemm and self.hardware.gpu_type.sm < 90:
            g = self.hardware.gpu_type
            raise ValueError(
                f"kernel_cache.deepgemm=true needs SM ≥ 90 but {g.name} is {g.arch}; "
                "set kernel_cache.deepgemm=false or use H100/H200/B200"
            )
        self._check_known_bad()
        # GPUs per node, autoscaling multiples of the cluster size, memory fit (profile/topology.py);
        # after the architecture checks, so a GPU that can never run this profile says so first.
        _topology.check(self.hardware, self.serving, self.topology)
        _topology.check_layout(self.engine, self.hardware, self.topology)  # PP rules, DSA head padding (issue 14)
        self._check_concurrency()
        self._check_startup()
        if self.serving.port == 30000 and self.kernel_cache.deepgemm:
            raise ValueError("serving.port=30000 is used by the kernel compile run; pick another port")
        return self

    def _check_parallelism(self) -> None:
        """TP × PP × DP uses every GPU of every node; attention DP and EP divide TP."""
        hw, eng = self.hardware, self.engine
        _int_flag = eng.int_flag
        pp = _int_flag("pp-size", 1)
        dp = _int_flag("dp-size", 1)
        # --dp-size counts replicas of the whole tp×pp group; attention data parallelism splits
        # attention *inside* the TP group and uses no extra GPU. SGLang 0.5.23 refuses the old
        # spelling (--enable-dp-attention, deprecated; sglang_flags.check_flags) and names its
        # replacement in the flag data; we read that name from the data rather than hard-code it.
        attn_flag = _attn_dp_flag(eng.sglang_version)
        if attn_flag:
            # any spelling of it (0.5.23: also --attention-data-parallel-size, an alias)
            spellings = sglang_flags.table(eng.sglang_version).by_name[attn_flag].names
            attn_flag = next((n for n in spellings if n in eng.flags), attn_flag)
        attn_dp = _int_flag(attn_flag, 1) if attn_flag else 1
        if attn_dp > 1 and dp > 1:
            # srt/arg_groups/parallel_hook.py handle_data_parallelism: "data-parallel replicas
            # combined with attention data parallelism are not supported"
            raise ValueError(
                f"engine.flags.dp-size={dp} with engine.flags.{attn_flag}={attn_dp}: SGLang "
                f"{eng.sglang_version} does not support data-parallel replicas together with attention data "
                f"parallelism; drop one of them"
            )
        if attn_dp > 1 and eng.tensor_parallel_size % attn_dp:
            # parallel_hook.py: "tp_size must be divisible by attn_dp_size * attn_cp_size"
            raise ValueError(
                f"engine.flags.{attn_flag}={attn_dp} must divide engine.tensor_parallel_size="
                f"{eng.tensor_parallel_size} (attention DP splits the TP group)"
            )
        gpus_used = eng.tensor_parallel_size * pp * dp  # plain DP replicates the whole tp×pp group
        # Multi-node: TP × PP (× DP) spans every GPU of every node (profile/topology.py).
        if gpus_used != hw.count * hw.nodes:
            where = f"hardware.count={hw.count}" + (
                f" × hardware.nodes={hw.nodes} = {hw.count * hw.nodes}" if hw.nodes > 1 else "")
            raise ValueError(
                f"engine.tensor_parallel_size={eng.tensor_parallel_size} (× pp {pp}, dp {dp}) uses "
                f"{gpus_used} GPUs but {where}: they must match"
            )
        if eng.tensor_parallel_size % eng.expert_parallel_size:
            raise ValueError(
                f"engine.expert_parallel_size={eng.expert_parallel_size} must divide "
                f"tensor_parallel_size={eng.tensor_parallel_size}"
            )

    def _check_known_bad(self) -> None:
        eng, g = self.engine, self.hardware.gpu_type
        # Known-bad (version, GPU, model family, flags) combinations, Blackwell-only kernels
        # on Hopper among them: refused here, before any GPU time is paid (engine/known_bad.py).
        _known_bad.check(sglang_version=eng.sglang_version, sm=g.sm, gpu=g.name,
                         architecture=eng.architecture, repo_id=self.model.repo_id, flags=eng.flags)

    def _check_concurrency(self) -> None:
        """Modal's per-container limits against SGLang's batch."""
        mrr = self.max_running_requests
        if mrr is not None and self.max_concurrency < mrr:
            raise ValueError(
                f"serving.max_concurrency={self.max_concurrency} is below engine.flags."
                f"max-running-requests={mrr}: Modal would never let enough requests in to fill "
                "SGLang's batch, and would scale out paid GPU containers that run part-empty"
            )
        if mrr is not None and self.target_concurrency > mrr:
            raise ValueError(
                f"serving.target_concurrency={self.target_concurrency} exceeds engine.flags."
                f"max-running-requests={mrr}: Modal would add containers only after SGLang's "
                "batch is full and requests queue; scale out before that"
            )
        if self.target_concurrency > self.max_concurrency:
            raise ValueError(
                f"serving.target_concurrency={self.target_concurrency} exceeds the per-container "
                f"limit {self.max_concurrency}"
            )

    def _check_startup(self) -> None:
        """Modal's start-up timeout and SGLang's watchdog against the load and a cold JIT."""
        if self.serving.startup_timeout_s < self.startup_estimate_s:
            jit = self.cold_jit_estimate_s
            raise ValueError(
                f"serving.startup_timeout_s={self.serving.startup_timeout_s} is shorter than the "
                f"estimated start-up of {self.startup_estimate_s} s (about "
                f"{self.model.expected_size_gb:.0f} GB at {VOLUME_READ_GB_PER_S} GB/s + "
                f"{STARTUP_FIXED_S + VOLUME_CHECK_S + KERNEL_CACHE_RESTORE_S} s"
                + (f" + {jit} s of cold DeepGEMM JIT allowed by kernel_cache.allow_cold_jit, SGLang's "
                   "'typically 10-20 mins'" if jit else "")
                + "); raise it"
                + (" or set kernel_cache.allow_cold_jit=false and compile the kernels once" if jit else "")
                + (": Modal would kill the container mid-start and start another, in a loop" if jit else "")
            )
        # SGLang's scheduler watchdog (srt/utils/watchdog.py WatchdogRaw; armed in
        # Scheduler.init_watch_dog_memory_saver_input_blocker, *after* init_model_worker has
        # loaded the weights: srt/managers/scheduler.py) SIGQUITs the server when a running
        # forward batch makes no progress for --watchdog-timeout seconds. The weight load is
        # not watched. What it can kill is a first batch that JIT-compiles DeepGEMM kernels
        # missing from the cache (srt/layers/deep_gemm_wrapper/compile_utils.py: "typically
        # 10-20 mins"): SGLang's own compile tool raises the watchdog to its compile timeout
        # for exactly that reason (compile_deep_gemm.py compile_server_args). Such a batch
        # happens only when kernel_cache.allow_cold_jit lets a server start without kernels.
        wd = self.engine.int_flag("watchdog-timeout", 300)
        if self.cold_jit_estimate_s and wd < self.cold_jit_estimate_s:
            raise ValueError(
                f"engine.flags.watchdog-timeout={wd} is shorter than a cold DeepGEMM JIT "
                f"({self.cold_jit_estimate_s} s, SGLang's 'typically 10-20 mins') that kernel_cache.allow_cold_jit "
                f"lets a first batch run: SGLang's scheduler watchdog would kill the server mid-compile; "
                f"raise it to {self.cold_jit_estimate_s} or set kernel_cache.allow_cold_jit=false and compile the kernels once"
            )

