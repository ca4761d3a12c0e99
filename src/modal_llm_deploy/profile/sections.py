"""The sections of a profile (model, hardware, engine, kernel cache, storage, serving, download,
secrets), each an immutable pydantic model that checks its own fields; ``profile/model.py``
composes them into ``Profile`` and holds the rules that span sections.

The profile as a whole: one immutable pydantic model that is the whole configuration of a deployment.

A profile says *what* to deploy (model, GPUs, SGLang flags, volumes, autoscaling). Everything
else — the plan, the Modal app, the container steps — is derived from it. Unknown fields are
rejected, every cross-field rule lives here as a validator, and every error names the field.

Where does an SGLang flag come from? ``engine.flags`` holds them by their full SGLang name
(without the leading ``--``), exactly as the pinned SGLang version spells them. The only flags
not in that dict are the ones another field owns (model path, served name, host, port, trust
remote code, tensor/expert parallel size, API key); ``plan.sglang_argv`` adds those.
"""

from __future__ import annotations

import re
from typing import Annotated, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from modal_llm_deploy.base.hardware import GpuType, gpu_type
from modal_llm_deploy.base.layout import (
    is_commit_sha,  # one definition of "a full commit sha" (download, plan, profile)
)
from modal_llm_deploy.engine import flags as sglang_flags
from modal_llm_deploy.engine import known_bad as _known_bad
from modal_llm_deploy.engine.release import image_release_problem
from modal_llm_deploy.profile.windows import (
    WarmWindow,  # keep-warm windows (issue 9); pure, no Modal
)

# A list is a multi-value flag (nargs '+'/'*'/N); its items are rendered with str().
FlagValue = Union[bool, int, float, str, list[Union[int, float, str]]]

# Flags that other profile fields own, by SGLang's canonical name. Setting them in engine.flags
# would create two sources of truth (``tp=4`` next to tensor_parallel_size=8 silently serves
# TP 4 while the plan and kernel key say TP 8). Every alias of the same option is refused too:
# sglang_flags.check_flags derives them from the shipped parser data by dest (``tp-size`` →
# ``tp``, ``tensor-parallel-size``; ``ep-size`` → ``ep``, ``expert-parallel-size``; ``model-path``
# → ``model``), plus argparse abbreviations (``api`` for ``api-key``).
OWNED_FLAGS: dict[str, str] = {
    "model-path": "model.repo_id / storage.weights_mount (the plan computes the path)",
    "served-model-name": "model.served_name",
    "trust-remote-code": "model.trust_remote_code",
    "host": "serving (the server binds every interface, IPv4 and IPv6, in the container: engine/bind.py)",
    "port": "serving.port",
    "api-key": "serving.api_key_secret (the key is read from the Modal secret at run time)",
    "admin-api-key": "a Modal secret (not supported in flags: it would land in the plan)",
    "tp-size": "engine.tensor_parallel_size",
    "ep-size": "engine.expert_parallel_size",
    "revision": "model.revision",
    "timeout": "kernel_cache.compile_timeout_s",  # sglang.compile_deep_gemm's --timeout
    # Multi-node (profile/topology.py): --nnodes comes from hardware.nodes; rank and rank-0 address are
    # only known in the cluster container (modal.Cluster.from_context(), steps/cluster.py).
    "nnodes": "hardware.nodes",
    "node-rank": "the cluster container's rank (set at run time)",
    "dist-init-addr": "rank 0's cluster address (set at run time)",
}

# (flag, value) pairs whose kernels exist only on Blackwell (sm100+); the table and its sources
# live with the other known-bad combinations (engine/known_bad.py), which profile validation applies.
BLACKWELL_ONLY = _known_bad.BLACKWELL_ONLY

# Sustained read rate of a Modal Volume into GPU memory, used to estimate weight load time
# (the GLM-5.1 guide measured 5–7 minutes for ~750 GB), plus fixed time for CUDA graph capture,
# EAGLE draft set-up and warmup.
VOLUME_READ_GB_PER_S = 2.0
STARTUP_FIXED_S = 300
# A server that JIT-compiles DeepGEMM kernels itself: SGLang's own warning says "It may take a
# long time (typically 10-20 mins) if you have not run `sglang.compile_deep_gemm`"
# (sglang 0.5.23 srt/layers/deep_gemm_wrapper/compile_utils.py,
# _maybe_compile_deep_gemm_one_type_all). We budget the upper end. SGLANG_JIT_DEEPGEMM_FAST_WARMUP
# (same file, update_deep_gemm_config) compiles a sampled M list instead of every M, but SGLang
# publishes no time for it, so it does not shorten the budget.
COLD_JIT_S = 20 * 60

SECRET_LIKE = re.compile(r"(TOKEN|SECRET|PASSWORD|API_KEY|APIKEY|CREDENTIAL)", re.I)
_FLAG_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _words(regex: str, allowed: str) -> AfterValidator:
    """A pattern check whose error is a sentence saying what is allowed (pydantic's own says
    "String should match pattern '^[\\w.-]+$'", which a user cannot act on)."""
    rx = re.compile(regex)

    def check(v: str | None) -> str | None:
        if v is not None and not rx.fullmatch(v):
            raise ValueError(f"{v!r} is not allowed: use {allowed}")
        return v

    return AfterValidator(check)


_VOLUME = _words(r"[\w.-]{1,64}", "a Modal volume name: 1 to 64 letters, digits, '_', '.' or '-'")
# modal 1.6 _utils/name_utils.py is_valid_object_name (secret.py checks every name it creates with it):
# ASCII letters, digits, '-', '_', '.', at most 64 characters.
_SECRET = _words(r"[a-zA-Z0-9_.-]{1,64}", "a Modal secret name: 1 to 64 letters, digits, '_', '.' or '-'")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


_HEX_RE = re.compile(r"[0-9a-fA-F]+")
# What git (``git check-ref-format``) forbids in a ref name, which is what the Hub accepts as a
# branch or tag: control characters, space and these.
_REF_FORBIDDEN = set(" ~^:?*[\\") | {chr(c) for c in range(32)} | {chr(127)}


def check_revision(v: str) -> str:
    """A full commit sha (normalised to lower case) or a branch/tag name; errors in words."""
    v = v.strip()
    if not v:
        raise ValueError("empty: give a branch or tag (e.g. main) or a full 40-character commit sha")
    if _HEX_RE.fullmatch(v) and len(v) == 40:
        return v.lower()
    if _HEX_RE.fullmatch(v) and 7 <= len(v) < 40 and any(c.isdigit() for c in v):
        raise ValueError(
            f"{v!r} looks like a shortened commit sha ({len(v)} characters): the Hub resolves only "
            "full 40-character shas, branches and tags; give the full sha (or a branch/tag such as main)"
        )
    bad = sorted({c for c in v if c in _REF_FORBIDDEN})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(f"{v!r} contains {shown}, which a branch or tag name cannot contain")
    if v.startswith(("/", "-", ".")) or v.endswith(("/", ".", ".lock")) or ".." in v or "//" in v or "@{" in v:
        raise ValueError(
            f"{v!r} is not a valid branch or tag name (it may not start with '/', '-' or '.', end with "
            "'/', '.' or '.lock', or contain '..', '//' or '@{')"
        )
    return v


class ModelSpec(_Frozen):
    repo_id: Annotated[str, _words(r"[A-Za-z0-9][\w.-]*/[\w.-]+", "a Hugging Face repo id, owner/name: letters, digits, '_', '.' or '-' on each side of one '/', starting with a letter or digit")]
    """Hugging Face repo id, ``owner/name``."""
    revision: str = "main"
    """A branch or tag (default ``main``) or a full 40-hex commit sha. A branch or tag is
    resolved to its commit by the first download, which records that commit in the weights
    volume; from then on the recorded commit is the pin (compile, verify, serve and the kernel
    key use it) and a later download refuses if the ref moved, unless asked to update."""
    served_name: Annotated[str, _words(r"[\w.:/-]+", "a model name clients send: letters, digits, '_', '.', ':', '/' or '-', no spaces")]
    """The model name clients send (``--served-model-name``; listed by ``/v1/models``)."""
    trust_remote_code: bool = False
    allow_patterns: tuple[str, ...] | None = None
    """Files to fetch (fnmatch patterns); None fetches the whole revision."""
    expected_size_gb: Annotated[float, Field(gt=0)]
    """Approximate weight size; drives disk/time estimates and the startup-timeout check."""
    subdir: Annotated[str | None, _words(r"[\w.-]+", "one directory name: letters, digits, '_', '.' or '-' (no '/')")] = None
    """Directory inside the weights volume; default: the repo name (``GLM-5.1-FP8``)."""
    num_attention_heads: Annotated[int, Field(ge=1)] | None = None
    """The model's ``config.json`` ``num_attention_heads``, stated by the profile (it cannot be read
    offline before the download). Used by ``plan`` for the attention heads per rank and the DSA
    kernels' padding (engine/dsa_padding.py); None: not shown."""
    attention_weights_gb: Annotated[float, Field(gt=0)] | None = None
    """Size of the attention weights (all layers), needed only when a layout replicates them
    (attention DP holds them ``attn-dp-size`` times, profile/topology.py); None: such a layout is
    refused at plan time until it is set."""

    @field_validator("revision")
    @classmethod
    def _revision(cls, v: str) -> str:
        return check_revision(v)

    @property
    def pinned(self) -> bool:
        """True when ``revision`` is a commit sha (nothing to resolve at download time)."""
        return is_commit_sha(self.revision)

    @property
    def dir_name(self) -> str:
        return self.subdir or self.repo_id.split("/", 1)[1]


class HardwareSpec(_Frozen):
    gpu: str
    """Modal GPU type (``B200``, ``H200``, ``H100``, ``A100-80GB``, ``L40S``, ...)."""
    count: Annotated[int, Field(ge=1)]
    """GPUs per container (= per node)."""
    nodes: Annotated[int, Field(ge=1, le=64)] = 1
    """Containers (nodes) one server spans. > 1: a Modal cluster of that many containers and SGLang
    multi-node (``--nnodes``); see profile/topology.py. Each container then needs all GPUs of its host."""
    cpu: Annotated[float, Field(gt=0)] | None = None
    """CPU cores for GPU containers (Modal's default request is small; SGLang runs one worker
    per GPU plus tokenizer/detokenizer processes)."""
    memory_mib: Annotated[int, Field(ge=1024)] | None = None
    """Memory for GPU containers (weights stream through the page cache while loading)."""

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, v: str) -> str:
        # raises "unknown GPU type ..." and normalises the spelling; keeps a trailing "!"
        # (Modal: no automatic upgrade, e.g. H100 → H200)
        return gpu_type(v).name + ("!" if v.endswith("!") else "")

    @model_validator(mode="after")
    def _count_fits(self) -> "HardwareSpec":
        g = self.gpu_type
        if self.count > g.max_per_container:
            raise ValueError(
                f"count={self.count}: a Modal container holds at most {g.max_per_container}× {g.name}"
            )
        return self

    @property
    def gpu_type(self) -> GpuType:
        return gpu_type(self.gpu)

    @property
    def arch(self) -> str:
        return self.gpu_type.arch

    @property
    def modal_gpu(self) -> str:
        return f"{self.gpu}:{self.count}"


class EngineSpec(_Frozen):
    sglang_version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+(\.post\d+)?$")]
    """The SGLang release this profile's flags are proven against (flags drift between releases)."""
    image: str
    """Container image with that SGLang release, e.g. ``lmsysorg/sglang:v0.5.23-cu130``."""
    python: str = "python3"
    """Interpreter inside the image."""
    tensor_parallel_size: Annotated[int, Field(ge=1)]
    expert_parallel_size: Annotated[int, Field(ge=1)] = 1
    flags: dict[str, FlagValue] = Field(default_factory=dict)
    """SGLang flags by full name without ``--``. ``true`` = bare switch, ``false`` = omitted."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment for the SGLang process (never secrets: use Modal secrets)."""
    architecture: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    """The model's HF architecture (``config.json`` ``architectures[0]``, the class SGLang
    dispatches on, e.g. ``GlmMoeDsaForCausalLM``). Optional: used to match known-bad
    combinations (engine/known_bad.py); when unset they match on ``model.repo_id`` globs instead."""

    @field_validator("flags")
    @classmethod
    def _flag_names(cls, flags: dict[str, FlagValue], info: ValidationInfo) -> dict[str, FlagValue]:
        for name in flags:
            if name.startswith("-") or not _FLAG_NAME.match(name):
                # `mem_fraction_static` (argparse's dest, as Python spells it) or `--tp-size`:
                # name the flag as SGLang's command line spells it (engine/flags.py suggest).
                version = info.data.get("sglang_version")
                try:
                    close = sglang_flags.suggest(version, name) if version else None
                except sglang_flags.UnsupportedVersion:
                    close = None
                hint = f"did you mean {close}?" if close else "e.g. 'max-running-requests'"
                raise ValueError(
                    f"engine.flags.{name}: write the SGLang flag name as its command line spells it, "
                    f"with dashes and without leading dashes: {hint}"
                )
        return flags

    @model_validator(mode="after")
    def _flags_known_to_sglang(self) -> "EngineSpec":
        # Checked against the shipped data of the pinned version's real parser
        # (engine/flags.py, data/sglang/v<version>.py): instant, needs no SGLang install.
        # Unknown names, abbreviations, arity, choices, types, deprecations, owned flags.
        sglang_flags.check_flags(self.sglang_version, self.flags, OWNED_FLAGS)
        return self

    @model_validator(mode="after")
    def _image_names_the_release(self) -> "EngineSpec":
        # engine/release.py: an image tag naming another SGLang release than the one the flags
        # are proven against is refused; an image naming none is checked in the container.
        problem = image_release_problem(self.image, self.sglang_version)
        if problem:
            raise ValueError(problem)
        return self

    @field_validator("env")
    @classmethod
    def _no_secrets_in_env(cls, env: dict[str, str]) -> dict[str, str]:
        for k in env:
            if SECRET_LIKE.search(k):
                raise ValueError(
                    f"env {k!r} looks like a secret; put it in a Modal secret instead "
                    "(env values end up in the plan and the container definition)"
                )
        return env

    def flag(self, name: str, default: FlagValue | None = None) -> FlagValue | None:
        return self.flags.get(name, default)

    def int_flag(self, name: str, default: int) -> int:
        """A flag that must be a whole number (``pp-size``, ``dp-size``, ``watchdog-timeout``)."""
        v = self.flag(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, str)) or not str(v).isdigit():
            raise ValueError(f"engine.flags.{name}={v!r}: expected a whole number")
        return int(v)


def _attn_dp_flag(version: str) -> str | None:
    """The flag that turns on attention data parallelism in SGLang ``version``: the replacement
    its flag data names for the deprecated ``--enable-dp-attention`` (0.5.23:
    ``"--attn-dp-size <dp-size>"``, from ``DeprecatedStoreTrueAction(new_flag=...)``,
    srt/arg_groups/argparse_actions.py); None where the flag is not deprecated or the data
    names no replacement the version knows."""
    t = sglang_flags.table(version)
    f = t.by_name.get("enable-dp-attention")
    if f is None:
        return None
    if not f.deprecated:
        return None  # a version where it is still a switch, not a size: no GPU arithmetic here
    m = re.match(r"--([\w-]+)", f.deprecated.get("replacement") or "")
    return m.group(1) if m and m.group(1) in t.by_name else None


class KernelCacheSpec(_Frozen):
    deepgemm: bool = True
    """Pre-compile SGLang's DeepGEMM FP8 kernels once into a volume (needs SM ≥ 90)."""
    marker_name: Annotated[str, Field(pattern=r"^[\w.+-]+$")] = ".compiled"
    """File written in the kernel key directory when compilation succeeded."""
    compile_timeout_s: Annotated[int, Field(ge=60, le=86400)] = 3600
    """``--timeout`` of ``sglang.compile_deep_gemm`` (a cold compile takes 10–30 min)."""
    allow_cold_jit: bool = False
    """Let a server start without compiled kernels for its key (SGLang then JIT-compiles them
    in every cold container). Off by default: the server refuses to start and names the compile
    command. When on, the startup estimate adds :data:`COLD_JIT_S` and ``startup_timeout_s``
    must hold it."""


class StorageSpec(_Frozen):
    weights_volume: Annotated[str, _VOLUME]
    weights_mount: str = "/models"
    cache_volume: Annotated[str, _VOLUME]
    cache_mount: str = "/kernel-cache"

    @field_validator("weights_mount", "cache_mount")
    @classmethod
    def _abs_path(cls, v: str) -> str:
        if not v.startswith("/") or v.rstrip("/") in ("", "/root", "/tmp", "/usr", "/etc", "/bin"):
            raise ValueError(f"{v!r}: mount path must be an absolute, dedicated directory like /models")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _distinct(self) -> "StorageSpec":
        if self.weights_volume == self.cache_volume:
            raise ValueError("weights_volume and cache_volume must be different volumes")
        a, b = self.weights_mount + "/", self.cache_mount + "/"
        if a.startswith(b) or b.startswith(a):
            raise ValueError("weights_mount and cache_mount must not contain each other")
        return self


class ServingSpec(_Frozen):
    port: Annotated[int, Field(ge=1024, le=65535)] = 8000
    api_key_secret: str | None = None
    """Modal secret that holds the API key (SGLang ``--api-key``; clients send Bearer)."""
    api_key_env: str = "API_KEY"
    """Name of the variable inside that secret."""
    public: bool = False
    """Explicit opt-out: serve with no API key. Never the silent default."""
    modal_proxy_auth: bool = False
    """Also require Modal proxy auth (``Modal-Key``/``Modal-Secret`` headers)."""
    proxy_auth_secret: Annotated[str, _SECRET] | None = None
    """Modal secret holding a Proxy Auth Token as MODAL_LLM_DEPLOY_PROXY_KEY / _SECRET, attached
    to the ``bench`` function so SGLang's benchmark can pass Modal's proxy (with
    ``modal_proxy_auth``; ``bench`` asks for it, the server does not need it)."""
    min_containers: Annotated[int, Field(ge=0)] = 0
    max_containers: Annotated[int, Field(ge=1)] = 1
    buffer_containers: Annotated[int, Field(ge=0)] = 0
    scaledown_window_s: Annotated[int, Field(ge=2, le=3600)] = 900
    max_concurrency: Annotated[int, Field(ge=1)] | None = None
    """Requests per container Modal lets through (429 above). Default: SGLang's
    max-running-requests + 25 % (a short queue inside SGLang instead of 429s while the next
    container starts)."""
    target_concurrency: Annotated[float, Field(gt=0)] | None = None
    """Autoscaler target per container. Default: 3/4 of SGLang's max-running-requests."""
    startup_timeout_s: Annotated[int, Field(ge=60, le=3600)] = 1800
    exit_grace_period_s: Annotated[int, Field(ge=0, le=3600)] = 120
    routing_region: str = "us-east"
    compute_region: str | None = None
    """Pin containers to a region (costs 1.5–1.75× on Modal)."""
    warm_windows: tuple[WarmWindow, ...] = ()
    """Keep-warm windows (issue 9): a scheduled CPU function raises ``min_containers`` to the
    window's value while one is open and back to ``min_containers`` outside (plan/schedules.py)."""

    @model_validator(mode="after")
    def _warm_windows_fit(self) -> "ServingSpec":
        # Modal rejects min > max at update time, from inside the cron: refuse it here instead.
        for i, w in enumerate(self.warm_windows):
            if w.min_containers > self.max_containers:
                raise ValueError(
                    f"warm_windows[{i}].min_containers={w.min_containers} exceeds max_containers={self.max_containers}"
                )
        return self

    @model_validator(mode="after")
    def _auth_and_scaling(self) -> "ServingSpec":
        if self.public and self.api_key_secret:
            # The fix names both ways out as overrides that work as printed: `none` unsets a
            # field (profile/overrides.py parse_value), and public=false is its default.
            raise ValueError(
                f"public=true and api_key_secret={self.api_key_secret!r} are exclusive: to serve without a key "
                "also set serving.api_key_secret=none; to keep the key, serving.public=false"
            )
        if self.proxy_auth_secret and not self.modal_proxy_auth:
            raise ValueError(
                f"proxy_auth_secret={self.proxy_auth_secret!r} is set but modal_proxy_auth is false: nothing would use "
                "it; set modal_proxy_auth=true, or proxy_auth_secret=none"
            )
        if not self.public and not self.api_key_secret:
            raise ValueError(
                "no API key: set api_key_secret to a Modal secret holding "
                f"{self.api_key_env}=..., or set public=true to serve without a key on purpose"
            )
        if self.min_containers > self.max_containers:
            raise ValueError(
                f"min_containers={self.min_containers} exceeds max_containers={self.max_containers}"
            )
        if (
            self.max_concurrency is not None
            and self.target_concurrency is not None
            and self.target_concurrency > self.max_concurrency
        ):
            raise ValueError(
                f"target_concurrency={self.target_concurrency} exceeds max_concurrency={self.max_concurrency}"
            )
        return self


class DownloadSpec(_Frozen):
    max_workers: Annotated[int, Field(ge=1, le=64)] = 8
    attempts: Annotated[int, Field(ge=1, le=20)] = 5
    """Tries per file (and for the file list) that move no data before the step gives up; a try
    that moved at least 1 MiB does not count. 5 lets a short burst of 5xx (e.g. three 503s in a
    row) pass by default."""
    backoff_s: tuple[float, ...] = (5.0, 15.0, 30.0, 60.0)
    """Wait before try 2, 3, ...; with fewer waits than retries the last one repeats, more waits
    than retries are refused (one would never be used). The defaults give up on a file after
    about 2 minutes of a real outage (5+15+30+60 s of waits) instead of stretching it out; a
    server's Retry-After (capped at 300 s) replaces the wait."""
    timeout_s: Annotated[int, Field(ge=600, le=86400)] = 6 * 3600
    cpu: Annotated[float, Field(gt=0, le=64)] = 8.0
    memory_mib: Annotated[int, Field(ge=1024)] = 16384

    @model_validator(mode="after")
    def _waits_match_attempts(self) -> "DownloadSpec":
        retries = self.attempts - 1
        if len(self.backoff_s) > retries:
            raise ValueError(
                f"download.backoff_s has {len(self.backoff_s)} waits but download.attempts={self.attempts} allows only "
                f"{retries} retr{'y' if retries == 1 else 'ies'}, so {len(self.backoff_s) - retries} of them would never "
                f"be used: raise download.attempts to {len(self.backoff_s) + 1} or drop the extra waits"
            )
        if retries and not self.backoff_s:
            raise ValueError(
                f"download.backoff_s is empty but download.attempts={self.attempts} retries: give at least one wait "
                "in seconds (e.g. [5, 15, 30, 60])"
            )
        for w in self.backoff_s:
            if not 0 <= w <= 3600:
                raise ValueError(f"download.backoff_s contains {w:g}: each wait must be between 0 and 3600 seconds")
        total = sum(self.backoff_s) + max(0, retries - len(self.backoff_s)) * (self.backoff_s[-1] if self.backoff_s else 0)
        if total >= self.timeout_s:
            raise ValueError(
                f"download.backoff_s waits {total:g} s in all before a file's last try, longer than download.timeout_s="
                f"{self.timeout_s}: shorten the waits or lower download.attempts"
            )
        return self


class SecretsSpec(_Frozen):
    hf_token_secret: str | None = "huggingface-secret"
    """Modal secret with HF_TOKEN (None for public repos)."""
    hf_token_env: str = "HF_TOKEN"


# --- accuracy gate (issue 17) ----------------------------------------------------------------

# What scores each eval, read in sglang 0.5.23: ``sglang/test/run_eval.py`` scores gsm8k itself
# (simple_eval_mixed_prefix_gsm8k.GSM8KEval over /v1/completions or /v1/chat/completions); the
# names in ``sglang/test/sgl_eval_utils.py`` SGL_EVAL_BENCHMARKS are refused by run_eval and
# scored by the separate sgl-eval package through ``run_sgl_eval`` (chat API only).
RUN_EVAL_EVALS = ("gsm8k",)
SGL_EVAL_EVALS = ("mmlu", "gpqa", "aime25", "aime26")
UNSOURCED = "unsourced"


class AccuracyTier(_Frozen):
    """One accuracy check: which eval, on how many examples, with which sampling, and the
    minimum score with its public source (or ``"unsourced"``: the gate then only warns until
    ``eval --record-reference`` records a score measured on a known-good deployment).

    ``min_score`` is either a *floor* (a threshold a public test asserts, e.g. SGLang's own CI)
    or a *reference* (a measured score: the model's published table, or a recorded run). The
    gate's threshold subtracts a tolerance computed from the standard error of the run's
    example count (operate/evalgate.py, docs/accuracy.md)."""

    eval: Annotated[str, _words(r"gsm8k|mmlu|gpqa|aime25|aime26", "one of gsm8k (SGLang's run_eval), mmlu, gpqa, aime25, aime26 (sgl-eval)")]
    examples: Annotated[int, Field(ge=1, le=100000)]
    num_shots: Annotated[int, Field(ge=0, le=100)] | None = None
    """Few-shot examples in each prompt (gsm8k only; run_eval's --num-shots)."""
    api: Annotated[str, _words(r"completion|chat", "completion or chat")] = "completion"
    max_tokens: Annotated[int, Field(ge=1)] = 512
    temperature: Annotated[float, Field(ge=0)] | None = None
    """None: the harness's own default (run_eval: 0.0, greedy)."""
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    repeats: Annotated[int, Field(ge=1, le=64)] = 1
    min_score: Annotated[float, Field(gt=0, le=1)] | None = None
    source: str = UNSOURCED
    """Where ``min_score`` comes from (a file in a pinned package, a published table, or a
    recorded run), or ``"unsourced"``."""
    source_kind: Annotated[str, _words(r"floor|reference", "floor (a threshold a public test asserts) or reference (a measured score)")] = "floor"
    source_examples: Annotated[int, Field(ge=1)] | None = None
    """How many examples the source's figure was taken on (its own standard error, for a reference)."""

    @property
    def harness(self) -> str:
        return "run_eval" if self.eval in RUN_EVAL_EVALS else "sgl_eval"

    @property
    def sourced(self) -> bool:
        return self.min_score is not None

    @model_validator(mode="after")
    def _consistent(self) -> "AccuracyTier":
        if self.min_score is None and self.source != UNSOURCED:
            raise ValueError(f"source={self.source!r} without min_score: give min_score, or source={UNSOURCED!r}")
        if self.min_score is not None and (not self.source.strip() or self.source == UNSOURCED):
            raise ValueError(f"min_score={self.min_score} needs its source (a public figure or a recorded run); "
                             "without one, leave min_score unset (unsourced: the gate warns only)")
        if self.min_score is not None and self.source_kind == "floor" and self.source_examples is None:
            raise ValueError("a floor min_score needs source_examples (how many examples the source asserts it on)")
        if self.num_shots is not None and self.eval not in RUN_EVAL_EVALS:
            raise ValueError(f"num_shots is for gsm8k only; {self.eval} takes its prompts from sgl-eval")
        if self.eval in SGL_EVAL_EVALS and self.api != "chat":
            raise ValueError(f"{self.eval} is scored by sgl-eval over the chat API: set api=chat")
        return self


class AccuracySpec(_Frozen):
    """The accuracy gate's two tiers: ``quick`` (minutes, every deploy) and ``thorough`` (hours,
    for a new profile, a new SGLang release or a changed risky knob; optional)."""

    # Default: SGLang's own GSM8K mixin defaults (sglang/test/kits/eval_accuracy_kit.py
    # GSM8KMixin, run_eval backend: 200 questions, 5-shot, completion API, max_tokens 512),
    # unsourced until a profile cites a figure or records one.
    quick: AccuracyTier | None = AccuracyTier(eval="gsm8k", examples=200, num_shots=5, api="completion", max_tokens=512)
    thorough: AccuracyTier | None = None
