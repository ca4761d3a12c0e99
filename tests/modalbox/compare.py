"""What Modal received, decoded from the recorded requests, compared with the plan field by field.

``sent_app`` turns the requests of one ``modal deploy`` / ``modal run`` into plain facts per
unit (the FunctionCreate definition, its image layers, volume names, secret names, env).
``compare_plan`` walks EVERY field of the plan (as JSON, so fields other engineers add are
seen too) and looks each one up in the tables below:

* ``_unit_checks`` / ``_server_checks`` / ``_image_checks`` / ``PLAN_TOP``: plan field → a check
  against the proto (returning (what, expected, sent) triples);
* ``NOT_SENT``: plan fields that have no Modal counterpart, each with the reason.

A plan field in neither table is itself a mismatch ("no mapping"), so nothing is skipped
silently: a new plan field must be mapped to what Modal gets, or listed as not sent.

The other direction is ``review.py``: each check's label starts with the proto path it compares
(``resources.milli_cpu``, ``schedule.cron.timezone``), and every Function/Image field a check of
this unit did not compare must be a reviewed Modal default there, or the comparison fails
naming the field.

Adding a unit (a new role): one line in ``UNIT_IMPLEMENTATIONS`` below (the runtime object
Modal imports for it), and one line in ``tests/test_modalbox_deploy.py`` ``UNIT_PROFILES`` (a
profile, or overrides of one, whose plan has the unit), so it is deployed and compared.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from typing import Any, Callable

from modal_proto import api_pb2
from packaging.requirements import Requirement

from .control_plane import ControlPlane
from .review import FUNCTION_DEFAULTS, REQUEST_DEFAULTS, claimed_paths, review_layers, walk
from .server import Call

PLAN_ENV = "MODAL_LLM_DEPLOY_PLAN"  # modal_llm_deploy.plan.PLAN_ENV (asserted equal in the tests)


@dataclasses.dataclass
class SentUnit:
    function: api_pb2.Function
    layers: list[api_pb2.Image]  # base first
    volumes: set[tuple[str, str, bool]]  # (volume name, mount path, read-only)
    secret_names: list[str]
    env: dict[str, str]
    source_packages: set[str]  # top-level packages of the local Python source mounts
    request: api_pb2.FunctionCreateRequest | None = None  # the whole request, for review.py

    @property
    def autoscaler(self) -> api_pb2.AutoscalerSettings:
        return self.function.autoscaler_settings


@dataclasses.dataclass
class SentApp:
    name: str  # the name the app was published under ("" for `modal run`)
    units: dict[str, SentUnit]


def sent_app(cp: ControlPlane, calls: list[Call]) -> SentApp:
    """The app defined by ``calls`` (the requests of one client command)."""
    volume_names = {v: k for k, v in cp.volumes.items()}
    published = [c.request for c in calls if c.method == "AppPublish"]
    units: dict[str, SentUnit] = {}
    for c in calls:
        if c.method != "FunctionCreate":
            continue
        fn = c.request.function
        layers: list[api_pb2.Image] = []
        image_id = fn.image_id
        while image_id:
            img = cp.image_defs[image_id]
            layers.insert(0, img)
            image_id = img.base_images[0].image_id if img.base_images else ""
        env: dict[str, str] = {}
        names: list[str] = []
        for sid in fn.secret_ids:
            if sid in cp.env_secrets:
                env.update(cp.env_secrets[sid])
            else:
                names.append(cp.secret_names[sid])
        packages: set[str] = set()
        for mid in fn.mount_ids:
            m = cp.mounts[mid]
            if m.deployment_name:  # the modal client's own mount (modal-client-mount-<version>)
                continue
            for f in m.files:
                # add_local_python_source("pkg") puts pkg/... under /root (modal/mount.py).
                parts = f.filename.split("/")
                if len(parts) > 3 and parts[1] == "root":
                    packages.add(parts[2])
        units[fn.function_name] = SentUnit(
            function=fn,
            layers=layers,
            volumes={(volume_names[v.volume_id], v.mount_path, v.read_only) for v in fn.volume_mounts},
            secret_names=names,
            env=env,
            source_packages=packages,
            request=c.request,
        )
    return SentApp(name=published[-1].name if published else "", units=units)


# --- checks: each returns a list of (what, expected, sent) ------------------------------------

Check = Callable[..., list[tuple[str, Any, Any]]]


def _gpu(plan_gpu: str | None) -> tuple[str, int]:
    # The plan's Modal GPU string, "TYPE[:COUNT]" ("B200:8", "H100!:8"; modal 1.6.4
    # _utils/function_utils.py parse_gpu_config splits at ":").
    if plan_gpu is None:
        return ("", 0)
    t, _, n = plan_gpu.partition(":")
    return (t.upper(), int(n or 1))


def _layer_commands(layers: list[api_pb2.Image]) -> list[str]:
    return [cmd for img in layers for cmd in img.dockerfile_commands]


def _image_env(layers: list[api_pb2.Image]) -> dict[str, str]:
    env: dict[str, str] = {}
    for cmd in _layer_commands(layers):
        # modal/_image.py Image.env: one `ENV KEY=<shlex-quoted value>` per variable.
        if cmd.startswith("ENV "):
            key, _, value = cmd[4:].partition("=")
            if key in ("PATH",) or "$" in value:
                continue  # base-image plumbing (e.g. uv's PATH), not a plan variable
            env[key] = shlex.split(value)[0] if value else ""
    return env


def _pip(layers: list[api_pb2.Image]) -> list[Requirement]:
    reqs: list[Requirement] = []
    for cmd in _layer_commands(layers):
        # modal/_image.py Image.uv_pip_install: `RUN /.uv/uv pip install ... 'req' 'req'`.
        if " pip install " in cmd:
            reqs += [Requirement(r) for r in re.findall(r"'([^']+)'", cmd)]
    return sorted(reqs, key=str)


def _reqs(strings: list[str]) -> list[Requirement]:
    return sorted((Requirement(s) for s in strings), key=str)


# Each role's module-level object in modal_llm_deploy/modal_adapter/runtime.py (Modal imports it
# by name; the server's is its class). A new unit role: one line here.
UNIT_IMPLEMENTATIONS: dict[str, str] = {
    "download": "download_model",
    "compile": "compile_deepgemm",
    "verify": "verify_setup",
    "serve": "SGLangServer.*",
    "bench": "bench",
    "keep_warm": "keep_warm",
    "eval": "eval_accuracy",
    "preflight": "preflight_hub",
}
RUNTIME_MODULE = "modal_llm_deploy.modal_adapter.runtime"


def _image_checks(img: dict, u: SentUnit) -> dict[str, Callable[[], list]]:
    first = u.layers[0].dockerfile_commands[0] if u.layers and u.layers[0].dockerfile_commands else ""
    cmds = _layer_commands(u.layers)
    if img["base"] == "registry":
        from_line = (f"FROM {img['ref']}", first)
    else:
        # modal/_image.py Image.debian_slim: FROM python:<version>-slim-<debian release>
        from_line = (f"FROM python:{img['python_version']}-slim-*", re.sub(r"-slim-.*$", "-slim-*", first))
    return {
        "base": lambda: [("base image", *from_line)],
        "ref": lambda: [("base image", *from_line)],
        "python_version": lambda: [("base image", *from_line)],
        "clear_entrypoint": lambda: [("image ENTRYPOINT []", img["clear_entrypoint"], "ENTRYPOINT []" in cmds)],
        "pip": lambda: [("image pip requirements", _reqs(img["pip"]), _pip(u.layers))],
        "env": lambda: [("image ENV", img["env"], _image_env(u.layers))],
        "local_python_sources": lambda: [("mount_ids (local python sources)", set(img["local_python_sources"]),
                                          u.source_packages)],
    }


def _unit_checks(plan: dict, unit: dict, u: SentUnit) -> dict[str, Callable[[], list]]:
    """Plan unit field → checks; each label starts with the proto path it compares (review.py)."""
    fn, res = u.function, u.function.resources
    serve = unit["role"] == "serve"
    cron = fn.schedule.cron if fn.HasField("schedule") and fn.schedule.HasField("cron") else None
    sched = unit["schedule"] or {}
    return {
        "name": lambda: [("function_name", unit["name"], fn.function_name),
                         ("app_name", plan["app_name"], fn.app_name)],
        "role": lambda: [("module_name", RUNTIME_MODULE, fn.module_name),
                         ("implementation_name", UNIT_IMPLEMENTATIONS.get(unit["role"], "<no entry in "
                          "UNIT_IMPLEMENTATIONS>"), fn.implementation_name),
                         ("is_server", serve, fn.is_server)],
        # its layers are checked field by field through _image_checks and review.review_layers
        "image": lambda: [("image_id (layers: see image[...])", True, bool(fn.image_id))],
        "gpu": lambda: [("resources.gpu_config.{gpu_type,count}", _gpu(unit["gpu"]),
                         (res.gpu_config.gpu_type, res.gpu_config.count))],
        # modal/_functions.py convert_fn_config_to_resources_config: cpu cores → milli_cpu, MiB → memory_mb
        "cpu": lambda: [("resources.milli_cpu", int(round((unit["cpu"] or 0) * 1000)), res.milli_cpu)],
        "memory_mib": lambda: [("resources.memory_mb", unit["memory_mib"] or 0, res.memory_mb)],
        "volumes": lambda: [("volume_mounts[].{volume_id,mount_path,read_only} (name, path, read-only)",
                             {(v["volume"], v["path"], v["read_only"]) for v in unit["volumes"]}, u.volumes)],
        "secrets": lambda: [("secret_ids (secret names)", sorted(unit["secrets"]), sorted(u.secret_names))],
        # `env=` reaches Modal as an anonymous secret's env_dict; the plan's own JSON rides along.
        "env": lambda: [("secret_ids (env)", {**unit["env"], PLAN_ENV: "<plan>"},
                         {k: ("<plan>" if k == PLAN_ENV else v) for k, v in u.env.items()}),
                        ("env plan JSON", plan, json.loads(u.env.get(PLAN_ENV, "null")))],
        "timeout_s": lambda: [("timeout_secs", unit["timeout_s"], fn.timeout_secs)],
        # modal 1.6 schedule.py: Cron → proto Schedule.cron (cron_string, timezone)
        "schedule": lambda: [("schedule.cron.cron_string", sched.get("cron"), cron.cron_string if cron else None),
                             ("schedule.cron.timezone", sched.get("timezone"), cron.timezone if cron else None)],
        "region": lambda: [("scheduler_placement.regions", [unit["region"]] if unit["region"] else [],
                            list(fn.scheduler_placement.regions))],
        "retries": lambda: [("retry_policy.retries", unit["retries"],
                             fn.retry_policy.retries if fn.HasField("retry_policy") else 0)],
        # Multi-node (profile/topology.py): modal.clustered(size, rdma) reaches Modal as
        # Function._experimental_group_size (0 = not clustered) and resources.rdma, and turns on
        # i6pn (modal 1.6.4 app.py App.server/App.function; _functions.py _Function._from_local).
        "cluster_size": lambda: [("_experimental_group_size", unit["cluster_size"] or 0, fn._experimental_group_size),
                                 ("i6pn_enabled (clustered)", bool(unit["cluster_size"]), fn.i6pn_enabled)],
        "rdma": lambda: [("resources.rdma", unit["rdma"], res.rdma)],
        # The serve unit has no max of its own: ServerPlan.max_containers is its autoscaler max.
        # concurrency_limit: the client's deprecated mirror of max_containers (_functions.py).
        "max_containers": lambda: [
            ("autoscaler_settings.max_containers", unit["max_containers"],
             u.autoscaler.max_containers if u.autoscaler.HasField("max_containers") else None),
            ("concurrency_limit (deprecated mirror)", unit["max_containers"] or 0, fn.concurrency_limit)],
    }


def _server_checks(s: dict, u: SentUnit) -> dict[str, Callable[[], list]]:
    """ServerPlan field → checks (labels: proto paths, as _unit_checks). The ``warm_pool_size``,
    ``concurrency_limit``, ``_experimental_buffer_containers`` and ``task_idle_timeout_secs``
    fields are the client's deprecated mirrors of the autoscaler (_functions.py)."""
    fn, http, a = u.function, u.function.http_config, u.autoscaler
    return {
        "unit": lambda: [("server unit", (s["unit"], True), (fn.function_name, fn.is_server))],
        "port": lambda: [("http_config.port", s["port"], http.port)],
        "auth": lambda: [("secret_ids (API key secret attached)", s["auth"] == "api_key",
                          s["api_key_secret"] in u.secret_names)],
        "api_key_secret": lambda: [("secret_ids (API key secret)", s["api_key_secret"] if s["auth"] == "api_key" else None,
                                    s["api_key_secret"] if s["api_key_secret"] in u.secret_names else None)],
        "modal_proxy_auth": lambda: [("http_config.unauthenticated", not s["modal_proxy_auth"], http.unauthenticated)],
        "min_containers": lambda: [("autoscaler_settings.min_containers", s["min_containers"], a.min_containers),
                                   ("warm_pool_size (deprecated mirror)", s["min_containers"], fn.warm_pool_size)],
        "max_containers": lambda: [("autoscaler_settings.max_containers", s["max_containers"], a.max_containers),
                                   ("concurrency_limit (deprecated mirror)", s["max_containers"], fn.concurrency_limit)],
        "buffer_containers": lambda: [
            ("autoscaler_settings.buffer_containers", s["buffer_containers"], a.buffer_containers),
            ("_experimental_buffer_containers (deprecated mirror)", s["buffer_containers"],
             fn._experimental_buffer_containers)],
        "scaledown_window_s": lambda: [("autoscaler_settings.scaledown_window", s["scaledown_window_s"], a.scaledown_window),
                                       ("task_idle_timeout_secs", s["scaledown_window_s"], fn.task_idle_timeout_secs)],
        "max_concurrency": lambda: [("max_concurrent_inputs", s["max_concurrency"], fn.max_concurrent_inputs)],
        "target_concurrency": lambda: [("autoscaler_settings.target_concurrency_float", float(s["target_concurrency"]),
                                        a.target_concurrency_float)],
        "startup_timeout_s": lambda: [("http_config.startup_timeout", s["startup_timeout_s"], http.startup_timeout),
                                      ("startup_timeout_secs", s["startup_timeout_s"], fn.startup_timeout_secs)],
        "exit_grace_period_s": lambda: [("http_config.exit_grace_period", s["exit_grace_period_s"], http.exit_grace_period)],
        "routing_region": lambda: [("http_config.proxy_regions", [s["routing_region"]], list(http.proxy_regions))],
        "compute_region": lambda: [("scheduler_placement.regions", [s["compute_region"]] if s["compute_region"] else [],
                                    list(fn.scheduler_placement.regions))],
    }


# Plan fields with no Modal counterpart, and why. Everything here still reaches the containers
# inside the plan JSON (the `env` check compares that JSON with the plan, whole).
NOT_SENT: dict[str, str] = {
    "plan.plan_version": "plan metadata",
    "plan.profile": "plan metadata (the profile's name)",
    "plan.plugin": "plan metadata",
    "plan.plugin_module": "plan metadata; its package is checked as a local Python source",
    "plan.description": "plan metadata",
    "plan.sglang_version": "SGLang's version: the registry image tag carries it",
    "plan.gpu_arch": "kernel-cache key part, used in the container",
    "plan.sglang_argv": "the container's SGLang command line",
    "plan.compile_argv": "the container's compile command line",
    "plan.weights": "download/verify settings used in the container",
    "plan.kernel_cache": "kernel-cache settings used in the container",
    "plan.cost": "our estimate; Modal bills what it runs",
    "plan.keep_warm": "the windows and their cost, read by the keep_warm unit's body (its cron is checked on the unit)",
    "plan.cold_start": "phase budgets the server checks its own start against",
    "plan.topology": "derived: its cluster_size/rdma are checked on each unit (cluster_size, rdma), the "
                     "rest (parallelism, memory fit, per-rank args) is used in the container",
    "plan.commands": "commands printed for the user",
    "plan.accuracy": "the accuracy gate's tiers, read by the eval unit's body (the unit itself is checked)",
    "plan.plan_env": "name of the env var that carries the plan (checked in `env`)",
    "image.name": "the plan's key for the image",
    "image.provided_by_base": "what the base image already has: nothing to install",
    "image.release_note": "what the plan says of the image's SGLang release (its tag is checked in `ref`; "
                          "an image naming none is checked by the container at start)",
    "server.served_name": "SGLang's --served-model-name (in sglang_argv)",
    "server.api_key_env": "the variable inside the API-key secret, read in the container",
    "server.proxy_auth_secret": "attached to the bench unit, not the server (checked in that unit's `secrets`)",
    "server.startup_estimate_s": "our estimate for cost and docs",
    "server.health_path": "SGLang's path, for probes and docs",
    "server.metrics_path": "SGLang's path, for Prometheus and docs",
    # `@app.server` takes no `timeout` (modal/app.py: App.server signature), so the plan holds
    # None for the server unit (plan/build.py) and nothing is sent; compare_plan checks it is None.
    "unit[serve].timeout_s": "@app.server has no timeout option: None in the plan, nothing sent",
    # The plan refuses these set on the serve unit (base/serve_unit.py); compare_plan checks they are None.
    "unit[serve].region": "the server's region is ServerPlan.compute_region (checked there); None on the unit",
    "unit[serve].max_containers": "the server's max is ServerPlan.max_containers (checked there); None on the unit",
}

PLAN_TOP: dict[str, str] = {"app_name": "checked", "images": "checked", "units": "checked", "server": "checked"}


def compare_plan(plan: dict, sent: SentApp, *, deployed: bool = True) -> list[str]:
    """Every plan field against what Modal got, and every field Modal got against the plan
    (review.py); returns the mismatches (empty = equal)."""
    problems: list[str] = []

    def run(path: str, checks: dict[str, Callable[[], list]], data: dict, not_sent_prefix: str) -> list[str]:
        labels: list[str] = []
        for key in data:
            if f"{not_sent_prefix}.{key}" in NOT_SENT:
                continue  # explicitly not sent, with its reason
            if key in checks:
                for what, expected, got in checks[key]():
                    labels.append(what)
                    if expected != got:
                        problems.append(f"{path}.{key} ({what}): plan {expected!r} != sent {got!r}")
            else:
                problems.append(f"{path}.{key}: no mapping to what Modal receives "
                                f"(map it in tests/modalbox/compare.py or list it in NOT_SENT)")
        return labels

    for key in plan:
        if key not in PLAN_TOP and f"plan.{key}" not in NOT_SENT:
            problems.append(f"plan.{key}: no mapping to what Modal receives "
                            f"(map it in tests/modalbox/compare.py or list it in NOT_SENT)")
    if deployed and sent.name != plan["app_name"]:
        problems.append(f"plan.app_name: plan {plan['app_name']!r} != published {sent.name!r}")

    plan_units = {u["name"]: u for u in plan["units"]}
    if set(plan_units) != set(sent.units):
        problems.append(f"plan.units: plan {sorted(plan_units)} != sent functions {sorted(sent.units)}")
    used_images: set[str] = set()
    for name, unit in plan_units.items():
        u = sent.units.get(name)
        if u is None:
            continue
        labels = run(f"units[{name}]", _unit_checks(plan, unit, u), unit, f"unit[{unit['role']}]")
        img = plan["images"][unit["image"]]
        labels += run(f"units[{name}].image[{unit['image']}]", _image_checks(img, u), img, "image")
        problems += review_layers(img, u.layers, f"units[{name}].image[{unit['image']}]")
        used_images.add(unit["image"])
        if unit["role"] == "serve":
            for key in ("timeout_s", "region", "max_containers"):  # see NOT_SENT["unit[serve].<key>"]
                if unit[key] is not None:
                    problems.append(f"units[{name}].{key}: {unit[key]!r} in the plan, but @app.server has no "
                                    f"such option: Modal would never get it ({NOT_SENT['unit[serve].' + key]})")
            if plan["server"]["unit"] != name:
                problems.append(f"server.unit {plan['server']['unit']!r} is not the serve unit {name!r}")
            labels += run("server", _server_checks(plan["server"], u), plan["server"], "server")
        # The other direction: every field of what Modal got is from the plan or reviewed.
        problems += walk(u.function, claimed_paths(labels), FUNCTION_DEFAULTS, label=f"units[{name}].Function")
        if u.request is not None:
            problems += walk(u.request, {"function"}, REQUEST_DEFAULTS, label=f"units[{name}].FunctionCreateRequest")
    for extra in set(plan["images"]) - used_images:
        problems.append(f"plan.images[{extra}]: no unit uses it, Modal never receives it")
    return problems
