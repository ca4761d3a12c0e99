"""``build_plan``: profile → DeploymentPlan, composed from one small builder per part.

Each part has its own room: the units (``plan/units.py``), the images (``plan/images.py``),
the SGLang argv and kernel key (``plan/argv.py``), topology (``profile/topology.py``), cost
(``plan/pricing.py``), keep-warm windows (``plan/schedules.py``), the printed commands
(``plan/commands.py``). This module only puts them together.
"""

from __future__ import annotations

from modal_llm_deploy.engine.caches import (
    SGLANG_CACHES,
    WORK_DIR,
    cache_env,
    cache_path,
    kernel_args,
)
from modal_llm_deploy.engine.phases import ColdStartPlan
from modal_llm_deploy.profile.sections import STARTUP_FIXED_S
from modal_llm_deploy.plan.argv import (
    compile_argv,
    kernel_argv_hash,
    kernel_key,
    sglang_argv,
    weights_dir,
)
from modal_llm_deploy.plan.commands import plan_commands
from modal_llm_deploy.plan.images import build_images
from modal_llm_deploy.plan.models import (
    REVISION_PLACEHOLDER,
    CacheLocationPlan,
    DeploymentPlan,
    KernelCachePlan,
    ServerPlan,
    WeightsPlan,
    kernel_cache_fields,
)
from modal_llm_deploy.plan.pricing import cost_plan, per_container_usd
from modal_llm_deploy.plan.schedules import keep_warm_plan
from modal_llm_deploy.plan.units import (
    UnitContext,
    bench_unit,
    compile_unit,
    download_unit,
    eval_unit,
    keep_warm_unit,
    preflight_unit,
    server_unit,
    verify_unit,
)
from modal_llm_deploy.profile.model import Profile


def build_plan(
    profile: Profile,
    *,
    plugin: str | None = None,
    plugin_module: str | None = None,
    cache_work_dir: str = WORK_DIR,
) -> DeploymentPlan:
    """``plugin``/``plugin_module``: who registered the profile (looked up in the installed
    plugins when not given; the images mount the plugin's package). ``cache_work_dir``: where
    compile and serve run SGLang's caches. The container default is fixed; the local CLI
    passes a path derived from --cache-dir (engine.caches.local_work_dir)."""
    if plugin is None and plugin_module is None:
        plugin, plugin_module = _registered_by(profile.name)
    p, s = profile, profile.serving
    topo = p.topology
    ctx = UnitContext.of(p, topo, cache_env(cache_work_dir))
    keep_warm = keep_warm_plan(s.warm_windows, s.min_containers, s.scaledown_window_s, per_container_usd(p))
    units = [download_unit(ctx), compile_unit(ctx), verify_unit(ctx), server_unit(ctx), bench_unit(ctx),
             eval_unit(ctx), keep_warm_unit(keep_warm), preflight_unit(ctx)]
    return DeploymentPlan(
        profile=p.name,
        plugin=plugin,
        plugin_module=plugin_module,
        description=p.description,
        app_name=p.app_name,
        sglang_version=p.engine.sglang_version,
        gpu_arch=p.hardware.arch,
        images=build_images(p, plugin_module),
        units=[u for u in units if u is not None],
        server=server_plan(p),
        sglang_argv=sglang_argv(p),
        compile_argv=compile_argv(p) if p.kernel_cache.deepgemm else None,
        weights=weights_plan(p),
        kernel_cache=kernel_cache_plan(p, cache_work_dir),
        topology=topo,
        cost=cost_plan(p, topo, ctx.load_s),
        commands=plan_commands(p),  # printed commands carry the overrides in effect (plan/commands.py)
        keep_warm=keep_warm,
        accuracy=p.accuracy,
        cold_start=ColdStartPlan.for_profile(p.weight_load_estimate_s, STARTUP_FIXED_S, p.cold_jit_estimate_s),
    )


def _registered_by(name: str) -> tuple[str | None, str | None]:
    from modal_llm_deploy.profile.plugins import registry

    reg = registry().get(name)
    return (reg.plugin, reg.module) if reg is not None else (None, None)


def server_plan(p: Profile) -> ServerPlan:
    """Port, auth, autoscaling and start-up budget of the serve unit."""
    s = p.serving
    return ServerPlan(
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


def weights_plan(p: Profile) -> WeightsPlan:
    """What the download step fetches, where it goes, and how it retries."""
    return WeightsPlan(
        repo_id=p.model.repo_id,
        revision=p.model.revision,
        pinned=p.model.pinned,
        volume=p.storage.weights_volume,
        dir=weights_dir(p),
        allow_patterns=list(p.model.allow_patterns) if p.model.allow_patterns else None,
        expected_size_bytes=int(p.model.expected_size_gb * 1e9),
        token_env=p.secrets.hf_token_env,
        max_workers=p.download.max_workers,
        attempts=p.download.attempts,
        backoff_s=list(p.download.backoff_s),
    )


def kernel_cache_plan(p: Profile, cache_work_dir: str) -> KernelCachePlan:
    """The kernel key (a template until the revision is a commit), its volume paths, and every
    SGLang cache the compile run fills and the server restores."""
    st = p.storage
    key_template = kernel_key(p, REVISION_PLACEHOLDER)
    return KernelCachePlan(
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
        env=cache_env(cache_work_dir),
        compile_timeout_s=p.kernel_cache.compile_timeout_s,
        allow_cold_jit=p.kernel_cache.allow_cold_jit,
        cold_jit_estimate_s=p.cold_jit_estimate_s,
        **kernel_cache_fields(key_template, st.cache_mount, p.kernel_cache.marker_name, p.model.revision),
    )
