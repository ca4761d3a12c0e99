"""One builder per container unit of the plan, each a short function of the profile.

A unit is one Modal function or server: its image, GPU, CPU/memory, volume mounts (and whether
each is read-only), secret *names*, env and timeout. ``plan/build.py`` composes them in order;
a new unit gets its own builder here and one line there.
"""

from __future__ import annotations

from dataclasses import dataclass

from modal_llm_deploy.plan.models import (
    BENCH_MOUNT,
    BENCH_VOLUME_SUFFIX,
    SchedulePlan,
    UnitPlan,
    VolumeMount,
)
from modal_llm_deploy.plan.accuracy import unit_timeout_s
from modal_llm_deploy.plan.schedules import KeepWarmPlan
from modal_llm_deploy.profile.model import Profile
from modal_llm_deploy.profile.topology import TopologyPlan

OFFLINE = {"HF_HUB_OFFLINE": "1"}  # weights come from the volume; never reach the hub


@dataclass(frozen=True)
class UnitContext:
    """What several units share: the profile, its topology, the four volume mounts, the
    engine's environment (SGLang's cache variables + ``engine.env``) and the model load time."""

    profile: Profile
    topology: TopologyPlan
    weights_rw: VolumeMount
    weights_ro: VolumeMount
    cache_rw: VolumeMount
    cache_ro: VolumeMount
    engine_env: dict[str, str]
    load_s: int

    @classmethod
    def of(cls, p: Profile, topology: TopologyPlan, sglang_cache_env: dict[str, str]) -> "UnitContext":
        st = p.storage
        return cls(
            profile=p,
            topology=topology,
            weights_rw=VolumeMount(volume=st.weights_volume, path=st.weights_mount, read_only=False),
            weights_ro=VolumeMount(volume=st.weights_volume, path=st.weights_mount, read_only=True),
            cache_rw=VolumeMount(volume=st.cache_volume, path=st.cache_mount, read_only=False),
            cache_ro=VolumeMount(volume=st.cache_volume, path=st.cache_mount, read_only=True),
            engine_env={**OFFLINE, **sglang_cache_env, **p.engine.env},
            # Model load + fixed start-up, without the cold-JIT allowance (the compile run pays its own).
            load_s=p.startup_estimate_s - p.cold_jit_estimate_s,
        )

    @property
    def api_secret(self) -> list[str]:
        s = self.profile.serving
        return [s.api_key_secret] if s.api_key_secret else []


def download_unit(c: UnitContext) -> UnitPlan:
    """CPU only: pulls the weights into the writable weights volume with the HF token."""
    p = c.profile
    return UnitPlan(
        name="download_model",
        role="download",
        image="download",
        gpu=None,
        cpu=p.download.cpu,
        memory_mib=p.download.memory_mib,
        volumes=[c.weights_rw],
        secrets=[p.secrets.hf_token_secret] if p.secrets.hf_token_secret else [],
        env={"HF_XET_HIGH_PERFORMANCE": "1"},
        timeout_s=p.download.timeout_s,
        max_containers=1,
    )


def compile_unit(c: UnitContext) -> UnitPlan | None:
    """The one GPU run that fills the kernel cache; None when the profile compiles nothing."""
    p = c.profile
    if not p.kernel_cache.deepgemm:
        return None
    return UnitPlan(
        name="compile_deepgemm",
        role="compile",
        image="sglang",
        gpu=p.hardware.modal_gpu,
        cpu=p.hardware.cpu,
        memory_mib=p.hardware.memory_mib,
        volumes=[c.weights_ro, c.cache_rw],
        secrets=[],  # no API key: compile's readiness poll sends none
        env=dict(c.engine_env),
        # model load + compile, plus a margin for copying the tree, the marker and commit
        timeout_s=p.kernel_cache.compile_timeout_s + c.load_s + 300,
        # one compile run at a time; a multi-node one is one cluster of `nodes` containers
        max_containers=c.topology.nodes,
        cluster_size=c.topology.cluster_size,
        rdma=c.topology.rdma,
    )


def preflight_unit(c: UnitContext) -> UnitPlan:
    """CPU only, no volumes: preflight's Hub check with the profile's HF secret, for a user with
    no Hugging Face token on their machine (issue 16; body: operate/preflight/hub.py hub_probe)."""
    p = c.profile
    return UnitPlan(
        name="preflight_hub",
        role="preflight",
        image="download",
        gpu=None,
        cpu=1.0,
        memory_mib=1024,
        volumes=[],
        secrets=[p.secrets.hf_token_secret] if p.secrets.hf_token_secret else [],
        env={},
        timeout_s=300,  # a few small files; the unit answers in seconds
        max_containers=1,
    )


def verify_unit(c: UnitContext) -> UnitPlan:
    """CPU only, both volumes read-only: proves them complete before any GPU is paid for."""
    return UnitPlan(
        name="verify_setup",
        role="verify",
        image="download",
        gpu=None,
        cpu=4.0,
        memory_mib=4096,
        volumes=[c.weights_ro, c.cache_ro],
        secrets=[],
        env=dict(OFFLINE),
        timeout_s=3600,  # deep mode hashes 750 GB
    )


def server_unit(c: UnitContext) -> UnitPlan:
    """SGLang's server; clustered across ``hardware.nodes`` containers when there are several."""
    p = c.profile
    return UnitPlan(
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
        volumes=[c.weights_ro, c.cache_ro],
        secrets=c.api_secret,
        env=dict(c.engine_env),
        timeout_s=None,  # @app.server has no timeout (modal 1.6 app.py): runs until scaled down
        cluster_size=c.topology.cluster_size,
        rdma=c.topology.rdma,
    )


def bench_unit(c: UnitContext) -> UnitPlan:
    """The in-region benchmark, always planned, so Modal gets exactly what the plan shows.

    SGLang's own benchmark runs on the SGLang image; CPU only, in the server's region,
    tokenizer from the weights volume, the server's API-key secret (and, with Modal proxy auth,
    the proxy-token secret: the runtime sends it as Modal-Key/Modal-Secret), results to a volume."""
    p, s = c.profile, c.profile.serving
    return UnitPlan(
        name="bench",
        role="bench",
        image="sglang",
        gpu=None,
        cpu=4.0,
        volumes=[c.weights_ro,
                 VolumeMount(volume=p.app_name + BENCH_VOLUME_SUFFIX, path=BENCH_MOUNT, read_only=False)],
        secrets=c.api_secret + ([s.proxy_auth_secret] if s.proxy_auth_secret else []),
        env=dict(OFFLINE),
        timeout_s=3600,
        region=s.compute_region,
    )


def eval_unit(c: UnitContext) -> UnitPlan | None:
    """The in-region accuracy gate (issue 17), planned whenever the profile has a tier.

    SGLang's own eval harness (``sglang.test.run_eval``) runs on the SGLang image — it imports
    ``sglang.test.test_utils`` and with it torch and torchvision, which that image has, and
    ``openai``/``httpx``, which SGLang requires — on CPU, in the server's region like ``bench``;
    records go next to the bench results. Secrets as bench: the API key, and with Modal proxy
    auth the proxy token (operate/eval_relay.py adds it as Modal-Key/Modal-Secret: the
    harness cannot send extra headers)."""
    p, s = c.profile, c.profile.serving
    tiers = [t for t in (p.accuracy.quick, p.accuracy.thorough) if t is not None]
    if not tiers:
        return None
    return UnitPlan(
        name="eval_accuracy",
        role="eval",
        image="sglang",
        gpu=None,
        cpu=2.0,
        volumes=[VolumeMount(volume=p.app_name + BENCH_VOLUME_SUFFIX, path=BENCH_MOUNT, read_only=False)],
        secrets=c.api_secret + ([s.proxy_auth_secret] if s.proxy_auth_secret else []),
        env={},  # not HF_HUB_OFFLINE: run_eval fetches GSM8K's test file itself unless given a path
        timeout_s=unit_timeout_s(tiers, p.target_concurrency),
        region=s.compute_region,
    )


def keep_warm_unit(kw: KeepWarmPlan | None) -> UnitPlan | None:
    """The keep-warm cron (only with warm windows): a small CPU function that sets the server's
    ``min_containers`` through Modal's autoscaler API at each tick."""
    if kw is None:
        return None
    return UnitPlan(
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
