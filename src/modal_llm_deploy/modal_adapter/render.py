"""Render a plan into a modal.App. The only module that builds Modal objects.

Every decision was already made in the plan; this module translates it one field at a time,
reading the plan's JSON form (the dicts of ``plan.json``), so a reader can hold
``modal-llm-deploy plan --json`` next to this file and see where each value lands. Reading the
JSON rather than the pydantic objects is what lets a deploy script build its app from a stored
plan (modal_adapter/plan_cache.py) without importing pydantic: one renderer for both paths.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import modal

from modal_llm_deploy.base.envvars import PLAN_ENV
from modal_llm_deploy.base.serve_unit import serve_unit_problem
from modal_llm_deploy.modal_adapter import runtime

if TYPE_CHECKING:
    from modal_llm_deploy.plan.models import DeploymentPlan, ImagePlan
    from modal_llm_deploy.profile.model import Profile

# Modal option names for each unit role → the module-level object that runs there.
_FUNCTIONS = {
    "download": runtime.download_model,
    "compile": runtime.compile_deepgemm,
    "verify": runtime.verify_setup,
    "bench": runtime.bench,
    "keep_warm": runtime.keep_warm,
    "eval": runtime.eval_accuracy,
    "preflight": runtime.preflight_hub,
}

Data = dict[str, Any]  # one object of the plan's JSON (plan/build.py's models, as dumped)


def render_image(img: "Data | ImagePlan") -> modal.Image:
    if not isinstance(img, dict):
        img = img.model_dump(mode="json")  # an ImagePlan
    if img["base"] == "registry":
        assert img["ref"]
        image = modal.Image.from_registry(img["ref"])
        if img["clear_entrypoint"]:
            image = image.entrypoint([])
    else:
        image = modal.Image.debian_slim(python_version=img["python_version"])
    if img["pip"]:
        image = image.uv_pip_install(*img["pip"])
    if img["env"]:
        image = image.env(img["env"])
    # Last, and not copied into a layer: the library and the profile's plugin are mounted at
    # container start, so editing them never rebuilds the 20 GB SGLang image.
    return image.add_local_python_source(*img["local_python_sources"])


def _volumes(unit: Data) -> dict[str, modal.Volume]:
    out: dict[str, modal.Volume] = {}
    for m in unit["volumes"]:
        vol = modal.Volume.from_name(m["volume"], create_if_missing=True)
        out[m["path"]] = vol.with_mount_options(read_only=True) if m["read_only"] else vol
    return out


def _common(unit: Data, images: dict[str, modal.Image], plan_json: str) -> dict:
    opts: dict = dict(
        image=images[unit["image"]],
        volumes=_volumes(unit),
        secrets=[modal.Secret.from_name(n) for n in unit["secrets"]],
        # The plan travels as data: the container imports this library, not the deploy script.
        env={**unit["env"], PLAN_ENV: plan_json},
        gpu=unit["gpu"],
        include_source=False,  # sources come from add_local_python_source above
    )
    if unit["cpu"] is not None:
        opts["cpu"] = unit["cpu"]
    if unit["memory_mib"] is not None:
        opts["memory"] = unit["memory_mib"]
    return opts


def _clustered(unit: Data, obj):
    """``modal.clustered(size=, rdma=)`` under ``app.server``/``app.function`` for a multi-node
    unit (profile/topology.py); the object itself otherwise.

    modal 1.6.4 ``_partial_function.py`` ``_clustered``: "Apply below `@app.function()`,
    `@app.cls()`, or `@app.server()`"; it wraps our module-level class/function in a
    _PartialFunction that ``App.server`` unwraps (app.py: ``wrapped_user_cls.user_cls``, reading
    ``params.cluster_size``/``rdma`` and turning i6pn on). On the wire: Function
    ``_experimental_group_size`` = size and ``resources.rdma`` (``_functions.py``)."""
    if not unit["cluster_size"]:
        return obj
    return modal.clustered(size=unit["cluster_size"], rdma=unit["rdma"])(obj)


def render_preflight(plan: "DeploymentPlan") -> tuple[modal.App, Any]:
    """A small app of the plan's ``preflight_hub`` unit alone (issue 16): preflight runs it
    without building the SGLang image (a wrong tag is one of the things it checks)."""
    plan_json = plan.model_dump_json()
    data = json.loads(plan_json)
    unit = next(u for u in data["units"] if u["role"] == "preflight")
    app = modal.App(f"{data['app_name']}-preflight")
    images = {unit["image"]: render_image(data["images"][unit["image"]])}
    fn = app.function(**_common(unit, images, plan_json), name=unit["name"], timeout=unit["timeout_s"],
                      max_containers=unit["max_containers"])(runtime.preflight_hub)
    return app, fn


def render(plan: "DeploymentPlan") -> modal.App:
    return render_json(plan.model_dump_json())


def render_json(plan_json: str) -> modal.App:
    """The app of a plan given as its JSON (``DeploymentPlan.model_dump_json()``)."""
    plan = json.loads(plan_json)
    app = modal.App(plan["app_name"])
    images = {name: render_image(img) for name, img in plan["images"].items()}
    handles: dict[str, object] = {}

    for unit in plan["units"]:
        opts = _common(unit, images, plan_json)
        if unit["role"] == "serve":
            # No silent fields: timeout, retries, region, schedule and max of the serve unit
            # have no app.server option (base/serve_unit.py); a plan that sets one is refused.
            problem = serve_unit_problem(unit)
            if problem:
                raise ValueError(f"plan of app {plan['app_name']!r}: {problem}")
            s = plan["server"]
            server_opts = dict(
                port=s["port"],
                startup_timeout=s["startup_timeout_s"],
                exit_grace_period=s["exit_grace_period_s"],
                min_containers=s["min_containers"],
                max_containers=s["max_containers"],
                buffer_containers=s["buffer_containers"] or None,
                scaledown_window=s["scaledown_window_s"],
                # Modal lets through exactly as many requests as SGLang batches at once, and
                # scales out at the target, before the batch is full (see Profile.max_concurrency).
                max_concurrency=s["max_concurrency"],
                target_concurrency=s["target_concurrency"],
                routing_region=s["routing_region"],
                # SGLang's --api-key (Authorization: Bearer) is the auth clients use; Modal's
                # proxy auth (Modal-Key/Modal-Secret headers) is an optional second layer.
                unauthenticated=not s["modal_proxy_auth"],
                name=unit["name"],
            )
            if s["compute_region"]:
                server_opts["compute_region"] = s["compute_region"]
            handles[unit["name"]] = app.server(**opts, **server_opts)(_clustered(unit, runtime.SGLangServer))
        else:
            fn = _FUNCTIONS[unit["role"]]
            assert unit["timeout_s"] is not None, f"unit {unit['name']} has no timeout"  # plan invariant
            extra: dict = {}
            if unit["schedule"] is not None:
                # keep-warm: modal 1.6 schedule.py Cron(cron_string, timezone=IANA name)
                extra["schedule"] = modal.Cron(unit["schedule"]["cron"], timezone=unit["schedule"]["timezone"])
            if unit["region"] is not None:
                extra["region"] = unit["region"]  # e.g. bench next to a region-pinned server
            handles[unit["name"]] = app.function(
                **opts,
                # the plan's unit name is the Modal name (App.function(name=...), modal 1.6 app.py)
                name=unit["name"],
                timeout=unit["timeout_s"],
                retries=unit["retries"] or None,
                max_containers=unit["max_containers"],
                **extra,
            )(_clustered(unit, fn))

    handles["setup"] = app.local_entrypoint()(setup)
    _BUILT[plan["app_name"]] = _Built(plan_json, handles)
    return app


@dataclass
class _Built:
    """An app built here: its function handles, and its plan, validated only when asked for
    (``modal run``'s setup and the CLI need it; building the app does not)."""

    plan_json: str
    handles: dict

    @functools.cached_property
    def plan(self) -> "DeploymentPlan":
        from modal_llm_deploy.plan.models import DeploymentPlan

        return DeploymentPlan.model_validate_json(self.plan_json)


# App name → (plan, function handles) for apps built in this process. Modal only accepts a
# module-scope local entrypoint, so `setup` finds its app here.
_BUILT: dict[str, _Built] = {}


def setup(deep_verify: bool = False, force_compile: bool = False) -> None:
    """``modal run deploy.py``: download → compile → verify, each in its own container, so a
    failure stops the pipeline before the next, more expensive step is paid for."""
    if len(_BUILT) != 1:
        raise SystemExit(
            f"this script built {len(_BUILT)} apps ({', '.join(_BUILT)}); build one app per "
            "deploy script so Modal's run command knows which pipeline to run"
        )
    (b,) = _BUILT.values()
    plan, handles = b.plan, b.handles
    run_setup(plan, handles, deep_verify=deep_verify, force_compile=force_compile)
    print(f"[{plan.app_name}] volumes ready. Next: {plan.commands['deploy']}")


def run_setup(plan: "DeploymentPlan", handles: dict, *, deep_verify: bool = False, force_compile: bool = False) -> None:
    """The setup pipeline over the function handles of a running app: ``modal run deploy.py``
    (``setup`` above) and ``modal-llm-deploy setup`` (inside ``app.run()``) both call this."""
    name = plan.app_name
    if plan.server.min_containers:
        # `modal run` creates the whole app, server included: warm GPU containers would start
        # now and fail their weights check until the download is done.
        print(f"[{name}] WARNING: serving.min_containers={plan.server.min_containers} starts "
              f"{plan.server.min_containers}× {plan.cost.gpu} servers during setup "
              f"(${plan.cost.idle_usd_per_hour}/h) that cannot serve until the volumes are ready; "
              "run setup with min_containers=0")
    print(f"[{name}] 1/3 download_model: {plan.weights.repo_id}@{plan.weights.revision[:12]}")
    handles["download_model"].remote()
    if "compile_deepgemm" in handles:
        # A ref (model.revision=main): the key's revision part is the commit the download
        # records, known only inside the compile container (runtime.pinned_plan), which logs it.
        key = (f"key {plan.kernel_cache.key}" if plan.kernel_cache.revision_pinned
               else "kernel key pinned to the commit download_model records")
        print(f"[{name}] 2/3 compile_deepgemm on {plan.cost.gpu} ({key})")
        handles["compile_deepgemm"].remote(force=force_compile)
    else:
        print(f"[{name}] 2/3 compile_deepgemm: off for this profile")
    print(f"[{name}] 3/3 verify_setup")
    handles["verify_setup"].remote(deep=deep_verify)


def built(app: modal.App) -> "tuple[DeploymentPlan, dict]":
    """(plan, function handles by unit name) of an app built by ``render`` in this process."""
    if app.name not in _BUILT:
        raise KeyError(f"app {app.name!r} was not built by modal_llm_deploy.build_app")
    return _BUILT[app.name].plan, _BUILT[app.name].handles


def setup_functions(app: modal.App) -> tuple:
    """``(setup, download_model, compile_deepgemm, verify_setup)`` of an app built here.

    Assign them at module level in the deploy script so ``modal run deploy.py::download_model``
    finds each step by name, and plain ``modal run deploy.py`` still picks the ``setup``
    pipeline (Modal prefers a module-level local entrypoint over module-level functions).
    ``compile_deepgemm`` is None when the profile turns DeepGEMM off."""
    if app.name not in _BUILT:
        raise KeyError(f"app {app.name!r} was not built by modal_llm_deploy.build_app")
    handles = _BUILT[app.name].handles  # the plan is not needed here: leave it unvalidated
    return tuple(handles.get(n) for n in ("setup", "download_model", "compile_deepgemm", "verify_setup"))


def build_app(profile: "Profile | str", overrides=None, file=None) -> modal.App:
    """The app of a Profile, or of a profile named with its overrides (as ``load_profile``);
    a name goes through the plan cache (modal_adapter/plan_cache.py), so an unchanged deploy script renders
    its stored plan without validating it again."""
    if isinstance(profile, str):
        from modal_llm_deploy.modal_adapter.plan_cache import cached_plan_json

        return render_json(cached_plan_json(profile, overrides, file))
    if overrides or file is not None:
        raise TypeError("build_app(profile, ...): overrides and file go with a profile name; "
                        "apply them to a Profile with load_profile")
    from modal_llm_deploy.plan.build import build_plan

    return render(build_plan(profile))
