"""The other direction: every field of every recorded definition is accounted for.

``compare.py`` walks the plan and checks each plan field against what Modal received. This
module walks what Modal received: the modal_proto message descriptors of each recorded
``FunctionCreateRequest`` (its ``Function``) and of each image layer (``Image``), generically,
field by field, sub-messages included. Every field must be

* **from the plan**: a forward check in ``compare.py`` compared it with a plan field for this
  unit (its label names the proto path; see ``claimed_paths``), or
* **a reviewed Modal default**: listed below with the value we accept and the reason (read in
  modal 1.6.4's ``_functions.py`` / ``app.py`` / ``_image.py``: what the client sets and why).

Anything else is a problem naming the field, also a field that is unset: a field a new modal
version adds to the descriptor fails until someone reviews it here. A sub-message whose own
fields are reviewed (``resources``, ``autoscaler_settings``, ...) is walked; one that is only
ever expected unset (``rate_limit``, ``webhook_config``, ...) is reviewed as a whole.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from modal_proto import api_pb2

UNSET = object()  # the field is not sent (no presence / the proto3 zero value / empty list)
ANY = object()  # descriptive, not a deployment setting: any value (the reason says why)


@dataclasses.dataclass(frozen=True)
class Accept:
    """A Modal default we accept: ``value`` is UNSET, ANY, a literal, or ``f(fn)`` → literal
    (for values the client derives from other fields of the same definition)."""

    value: Any
    reason: str


def _server(fn: api_pb2.Function) -> bool:
    return fn.is_server


# Paths under Function. "a.b": field b of sub-message a; "a[].b": of each element of repeated a.
FUNCTION_DEFAULTS: dict[str, Accept] = {
    # --- how the code is found and run -----------------------------------------------------
    "function_serialized": Accept(UNSET, "definition by module + name (serialized=False), never pickled"),
    "class_serialized": Accept(UNSET, "the server class is imported by name, never pickled"),
    "definition_type": Accept(api_pb2.Function.DEFINITION_TYPE_FILE,
                              "module-level object imported by name in the container (FunctionSourceInfo)"),
    "function_type": Accept(api_pb2.Function.FUNCTION_TYPE_FUNCTION, "no generators"),
    "is_class": Accept(_server, "app.server registers a class (app.py: FunctionSourceInfo(user_cls=...)); "
                                "functions are plain functions"),
    "is_method": Accept(UNSET, "no @app.cls methods"),
    "class_parameter_info.format": Accept(
        lambda fn: api_pb2.ClassParameterInfo.PARAM_SERIALIZATION_FORMAT_PICKLE if fn.is_class else api_pb2.ClassParameterInfo.PARAM_SERIALIZATION_FORMAT_UNSPECIFIED,
        "function_utils.py class_parameter_info(): a class without modal.parameter() fields gets pickle"),
    "class_parameter_info.schema": Accept(UNSET, "SGLangServer has no modal.parameter() fields"),
    "method_definitions": Accept(UNSET, "no @modal.method on the server class; functions have none"),
    "method_definitions_set": Accept(True, "_functions.py always sends method_definitions_set=True"),
    "function_schema": Accept(ANY, "the runtime function's Python signature, derived by the client "
                                   "(_functions.py get_function_schema): describes our code, not the deployment"),
    "supported_input_formats": Accept(
        lambda fn: [] if fn.is_server else [api_pb2.DATA_FORMAT_PICKLE, api_pb2.DATA_FORMAT_CBOR],
        "the call payload formats the client can decode (_functions.py); a server takes HTTP only"),
    "supported_output_formats": Accept(
        lambda fn: [] if fn.is_server else [api_pb2.DATA_FORMAT_PICKLE, api_pb2.DATA_FORMAT_CBOR],
        "as supported_input_formats"),
    "object_dependencies": Accept(
        lambda fn: sorted({fn.image_id, *fn.secret_ids, *(v.volume_id for v in fn.volume_mounts)}),
        "the objects this definition already names (image, secrets, volumes), each compared with the plan"),
    "mount_client_dependencies": Accept(UNSET, "the client's own mount is added as a mount id (_functions.py)"),
    "runtime": Accept(UNSET, "modal config `function_runtime` (unset): Modal's default container runtime"),
    "runtime_debug": Accept(UNSET, "modal config `function_runtime_debug` (unset)"),
    "runtime_perf_record": Accept(UNSET, "modal config `runtime_perf_record` (unset)"),
    "snapshot_debug": Accept(UNSET, "modal config `snapshot_debug` (unset)"),
    "worker_id": Accept(UNSET, "modal config `worker_id` (unset): Modal-internal"),
    "is_builder_function": Accept(UNSET, "not an image build function"),
    "_experimental_concurrent_cancellations": Accept(True, "_functions.py always sends True"),
    "experimental_options": Accept(UNSET, "the plan passes no experimental_options"),
    # --- placement and price ---------------------------------------------------------------
    "scheduler_placement.nonpreemptible": Accept(
        False, "preemptible placement is what the plan prices: Modal's preemption guide lists a 3x "
               "multiplier for non-preemptible CPU and memory (app.py nonpreemptible=False)"),
    "scheduler_placement._zone": Accept(UNSET, "no zone pinning (not an app.function/app.server option)"),
    "scheduler_placement._lifecycle": Accept(UNSET, "no lifecycle pinning (SchedulerPlacement not passed)"),
    "scheduler_placement._instance_types": Accept(UNSET, "no instance-type pinning"),
    "cloud_provider": Accept(UNSET, "the plan names no cloud: Modal chooses (cloud= not passed)"),
    "cloud_provider_str": Accept(UNSET, "the plan names no cloud: Modal chooses (cloud= not passed)"),
    "routing_region": Accept(UNSET, "app.server sends its routing_region as http_config.proxy_regions (app.py)"),
    "resources.memory_mb_max": Accept(UNSET, "memory=(request, limit) not used: no limit above the request"),
    "resources.milli_cpu_max": Accept(UNSET, "cpu=(request, limit) not used: no limit above the request"),
    "resources.ephemeral_disk_mb": Accept(UNSET, "the plan sets no disk: weights live on volumes; Modal's default disk"),
    "resources.gpu_config.type": Accept(UNSET, "deprecated enum; the GPU goes as gpu_type + count"),
    "resources.skip_num_threads_env_vars": Accept(UNSET, "Modal sets its thread-count variables as usual"),
    "_experimental_fabric_size": Accept(UNSET, "modal.clustered(fabric_size=) not used"),
    "_experimental_task_templates_enabled": Accept(UNSET, "not used"),
    "_experimental_task_templates": Accept(UNSET, "not used"),
    "_experimental_custom_scaling": Accept(UNSET, "not used"),
    "_experimental_enable_gpu_snapshot": Accept(UNSET, "no GPU memory snapshots (alpha, single GPU only)"),
    "enable_gpu_snapshot": Accept(UNSET, "no GPU memory snapshots (alpha, single GPU only)"),
    "checkpointing_enabled": Accept(UNSET, "no memory snapshots (enable_memory_snapshot=False)"),
    "is_checkpointing_function": Accept(UNSET, "no memory snapshots"),
    "checkpoint": Accept(UNSET, "no memory snapshots"),
    "is_auto_snapshot": Accept(UNSET, "no memory snapshots"),
    # --- scaling ---------------------------------------------------------------------------
    # The deprecated mirrors of the autoscaler (_functions.py "These are deprecated in favor of
    # autoscaler_settings") are compared with the plan together with the autoscaler where the
    # plan sets them (compare.py); unset elsewhere.
    "warm_pool_size": Accept(UNSET, "functions: no min_containers"),
    "_experimental_buffer_containers": Accept(UNSET, "functions: no buffer_containers"),
    "task_idle_timeout_secs": Accept(UNSET, "functions: no scaledown_window, Modal's default"),
    "autoscaler_settings.min_containers": Accept(UNSET, "functions: no min_containers"),
    "autoscaler_settings.buffer_containers": Accept(UNSET, "functions: no buffer_containers"),
    "autoscaler_settings.scaledown_window": Accept(UNSET, "functions: Modal's default scaledown window"),
    "autoscaler_settings.scaleup_window": Accept(UNSET, "the plan sets no scale-up window: Modal's default"),
    "autoscaler_settings.target_concurrency": Accept(UNSET, "the server's target goes as target_concurrency_float"),
    "autoscaler_settings.scaledown_rate_limit": Accept(UNSET, "not an option of app.function/app.server"),
    "autoscaler_settings.target_concurrency_float": Accept(UNSET, "functions: one input at a time"),
    "max_concurrent_inputs": Accept(UNSET, "functions: one input per container (no @modal.concurrent)"),
    "target_concurrent_inputs": Accept(UNSET, "the server's target goes as autoscaler target_concurrency_float "
                                              "(_functions.py, is_server branch); functions have none"),
    "batch_max_size": Accept(UNSET, "no @modal.batched"),
    "batch_linger_ms": Accept(UNSET, "no @modal.batched"),
    "max_inputs": Accept(UNSET, "containers are reused (single_use_containers=False)"),
    "single_use_containers": Accept(UNSET, "containers are reused"),
    "startup_timeout_secs": Accept(lambda fn: fn.timeout_secs,
                                   "functions: the client sends startup_timeout or timeout_secs (_functions.py)"),
    "timeout_secs": Accept(lambda fn: 300 if fn.is_server else UNSET,
                           "@app.server has no timeout option: _Function._from_local's default timeout=300 "
                           "(_functions.py) goes along; functions: compared with the plan"),
    "retry_policy.backoff_coefficient": Accept(1.0, "retries=<int>: function_utils.py _parse_retries, backoff 1.0"),
    "retry_policy.initial_delay_ms": Accept(1000, "retries=<int>: function_utils.py _parse_retries, initial delay 1 s"),
    "retry_policy.max_delay_ms": Accept(60000, "retries=<int>: modal.Retries default max_delay 60 s (retries.py)"),
    "schedule.period": Accept(UNSET, "keep-warm schedules are Cron, never Period"),
    # --- storage, network, identity --------------------------------------------------------
    "volume_mounts[].allow_background_commits": Accept(True, "volume.py: every Volume mount commits in the "
                                                             "background (read-only mounts have nothing to commit)"),
    "volume_mounts[].sub_path": Accept(UNSET, "whole volumes are mounted"),
    "shared_volume_mounts": Accept(UNSET, "no network file systems"),
    "s3_mounts": Accept(UNSET, "no bucket mounts"),
    "cloud_bucket_mounts": Accept(UNSET, "no bucket mounts"),
    "proxy_id": Accept(UNSET, "no modal.Proxy (static outbound IP)"),
    "block_network": Accept(UNSET, "the download reaches the hub and bench reaches the server's URL"),
    "network_access": Accept(UNSET, "no network restrictions"),
    "untrusted": Accept(UNSET, "restrict_modal_access=False: keep-warm calls Modal's autoscaler API"),
    "i6pn_enabled": Accept(UNSET, "one-container units: no i6pn (clustered units: compared with the plan)"),
    "pty_info": Accept(UNSET, "not an interactive run"),
    "web_url": Accept(UNSET, "filled in by Modal, never sent"),
    "web_url_info": Accept(UNSET, "filled in by Modal, never sent"),
    "custom_domain_info": Accept(UNSET, "no custom domains"),
    "webhook_config": Accept(UNSET, "no web endpoints: the server is app.server (http_config)"),
    "rate_limit": Accept(UNSET, "no rate limit"),
    "flash_service_urls": Accept(UNSET, "filled in by Modal"),
    "flash_service_label": Accept(UNSET, "not used"),
    "is_sessioned": Accept(UNSET, "no sticky sessions"),
    "http_config.h2_enabled": Accept(UNSET, "HTTP/1.1: SGLang's uvicorn server (app.server h2_enabled=False)"),
    "http_config.target_concurrency": Accept(UNSET, "the target goes in autoscaler_settings"),
    "http_config.lift_and_shift_config": Accept(UNSET, "not used"),
}

# FunctionCreateRequest around the definition.
REQUEST_DEFAULTS: dict[str, Accept] = {
    "app_id": Accept(ANY, "the app being created or redeployed (the definition's app_name is compared)"),
    "existing_function_id": Accept(ANY, "a redeploy reuses the function's id (runner.py)"),
    "schedule": Accept(UNSET, "the schedule goes inside the definition (Function.schedule)"),
    "function_data": Accept(UNSET, "one GPU type per unit: no ranked fallback list (gpu=[...])"),
}

# Each image layer (modal/_image.py): the plan's images have no build secrets, functions or GPUs.
IMAGE_DEFAULTS: dict[str, Accept] = {
    "base_images[].docker_tag": Accept("base", "_image.py: each layer builds FROM its parent tagged 'base'"),
    "context_files": Accept(UNSET, "no files copied into a layer (the library is mounted at start)"),
    "version": Accept(UNSET, "not set by the client"),
    "secret_ids": Accept(UNSET, "no build secrets: no secret reaches an image layer"),
    "context_mount_id": Accept(UNSET, "no local files copied into a layer"),
    "gpu_config.type": Accept(UNSET, "layers build without a GPU"),
    "gpu_config.count": Accept(UNSET, "layers build without a GPU"),
    "gpu_config.gpu_type": Accept(UNSET, "layers build without a GPU"),
    "image_registry_config.registry_auth_type": Accept(UNSET, "public registry image: no auth"),
    "image_registry_config.secret_id": Accept(UNSET, "public registry image: no auth"),
    "build_function_def": Accept(UNSET, "no run_function layer"),
    "build_function_globals": Accept(UNSET, "no run_function layer"),
    "build_function": Accept(UNSET, "no run_function layer"),
    "runtime": Accept(UNSET, "modal config `function_runtime` (unset)"),
    "runtime_debug": Accept(UNSET, "modal config `function_runtime_debug` (unset)"),
    "build_args": Accept(UNSET, "no build args"),
    "volume_mounts": Accept(UNSET, "no volumes at build time"),
    "arch": Accept(UNSET, "Modal's default architecture"),
}
# What a layer's parent link and commands mean is checked by ``review_layers`` (the plan's steps
# in the plan's order); these two are "from the plan" for every layer.
IMAGE_CLAIMED = {"base_images[].image_id", "dockerfile_commands"}


# --- the generic walk --------------------------------------------------------------------------

def _is_map(f: FieldDescriptor) -> bool:
    return f.message_type is not None and f.message_type.GetOptions().map_entry


def _is_set(msg: Message, f: FieldDescriptor) -> bool:
    if f.is_repeated:
        return len(getattr(msg, f.name)) > 0
    if f.has_presence:
        return msg.HasField(f.name)
    return getattr(msg, f.name) != f.default_value


def _plain(msg: Message, f: FieldDescriptor) -> Any:
    v = getattr(msg, f.name)
    if _is_map(f):
        return dict(v)
    if f.name == "object_dependencies":
        return sorted(d.object_id for d in v)
    return list(v) if f.is_repeated else v


def _matches(accept: Accept, msg: Message, f: FieldDescriptor, root: Message) -> tuple[bool, Any]:
    want = accept.value(root) if callable(accept.value) else accept.value
    if want is ANY:
        return True, want
    if want is UNSET:
        return not _is_set(msg, f), "unset"
    return _plain(msg, f) == want, want


def _has_rules_under(path: str, rules: set[str]) -> bool:
    return any(r.startswith(path + ".") or r.startswith(path + "[].") for r in rules)


def walk(root: Message, claimed: set[str], defaults: dict[str, Accept], *, label: str) -> list[str]:
    """Every field of ``root`` (by its descriptor): claimed by a plan check, or an accepted
    default with the value sent; else one problem line naming ``label.path``."""
    rules = set(claimed) | set(defaults)
    problems: list[str] = []

    def visit(msg: Message, desc: Descriptor, prefix: str) -> None:
        for f in desc.fields:
            path = prefix + f.name
            if path in claimed:
                continue
            if path in defaults:
                ok, want = _matches(defaults[path], msg, f, root)
                if not ok:
                    problems.append(f"{label}.{path}: sent {_show(msg, f)}, but nothing in the plan asks for it "
                                    f"(reviewed Modal default: {want!r}, {defaults[path].reason})")
                continue
            if f.message_type is not None and not _is_map(f) and _has_rules_under(path, rules):
                if f.is_repeated:
                    for item in getattr(msg, f.name):
                        visit(item, f.message_type, path + "[].")
                elif _is_set(msg, f):
                    visit(getattr(msg, f.name), f.message_type, path + ".")
                continue
            state = f"sent {_show(msg, f)}" if _is_set(msg, f) else "unset here"
            problems.append(f"{label}.{path}: {state}; no plan field maps to it and it is not a reviewed "
                            "Modal default (map it in tests/modalbox/compare.py or review it in "
                            "tests/modalbox/review.py)")

    visit(root, root.DESCRIPTOR, "")
    return problems


def _show(msg: Message, f: FieldDescriptor) -> str:
    v = _plain(msg, f)
    text = repr(v) if not isinstance(v, Message) else "{" + str(v).replace("\n", " ").strip() + "}"
    return text if len(text) < 200 else text[:200] + "…"


def resolves(path: str, desc: Descriptor = api_pb2.Function.DESCRIPTOR) -> bool:
    """Whether ``path`` ("a.b", "a[].b") names a field of ``desc``."""
    parts = path.split(".")
    for i, part in enumerate(parts):
        f = desc.fields_by_name.get(part.removesuffix("[]")) if desc is not None else None
        if f is None or part.endswith("[]") != (f.is_repeated and i < len(parts) - 1):
            return False
        desc = f.message_type
    return True


def claimed_paths(labels: list[str]) -> set[str]:
    """Proto paths named by forward-check labels: a label is ``"<path> (note)"`` or
    ``"<prefix>{a,b}"``; labels that name no Function field (``"base image"``) claim nothing."""
    out: set[str] = set()
    for label in labels:
        head = label.split(" ", 1)[0]
        m = re.fullmatch(r"(.*)\{([^}]*)\}", head)
        for path in ([m.group(1) + p for p in m.group(2).split(",")] if m else [head]):
            if resolves(path):
                out.add(path)
    return out


# --- image layers: the plan's steps, in the plan's order ----------------------------------------

# _image.py Image.debian_slim (builder version > 2024.10): the client's own base layer.
DEBIAN_SLIM_PREAMBLE = (
    r"FROM python:[0-9.]+-slim-[a-z]+",
    r"RUN apt-get update",
    r"RUN apt-get install -y gcc gfortran build-essential",
    r"RUN pip install --upgrade .*",
    r"RUN echo 'debconf debconf/frontend select Noninteractive' \| debconf-set-selections",
    r'CMD \["sleep", "172800"\]',
)
# _image.py Image.uv_pip_install: uv is copied in before the install command.
UV_COPY = "COPY --from=ghcr.io/astral-sh/uv:latest /uv /.uv/uv"


def plan_steps(img: dict) -> list[tuple]:
    """The layer steps the plan's image asks for, in render order (modal_adapter/render.py
    render_image: base, entrypoint, pip, env; local sources are mounts, not layers)."""
    from packaging.requirements import Requirement

    steps: list[tuple] = [("FROM", img["ref"] if img["base"] == "registry" else f"debian_slim {img['python_version']}")]
    if img.get("clear_entrypoint") and img["base"] == "registry":
        steps.append(("ENTRYPOINT []",))
    if img["pip"]:
        steps.append(("pip", tuple(sorted(str(Requirement(r)) for r in img["pip"]))))
    steps += [("ENV", k) for k in sorted(img["env"])]
    return steps


def sent_steps(layers: list[api_pb2.Image], name: str) -> tuple[list[tuple], list[str]]:
    """The steps the recorded layers carry, and a problem for each command that is neither a
    plan step nor reviewed client plumbing."""
    from packaging.requirements import Requirement

    steps: list[tuple] = []
    problems: list[str] = []
    for i, layer in enumerate(layers):
        cmds = list(layer.dockerfile_commands)
        if i == 0 and cmds and re.fullmatch(DEBIAN_SLIM_PREAMBLE[0], cmds[0]):
            if len(cmds) != len(DEBIAN_SLIM_PREAMBLE) or not all(
                    re.fullmatch(p, c) for p, c in zip(DEBIAN_SLIM_PREAMBLE, cmds)):
                problems.append(f"{name} layer 0: {cmds} is not modal's debian_slim base as reviewed")
            version = re.match(r"FROM python:([0-9]+\.[0-9]+)", cmds[0]).group(1)
            steps.append(("FROM", f"debian_slim {version}"))
            continue
        if i > 0:
            if not cmds or cmds[0] != "FROM base" or len(layer.base_images) != 1:
                problems.append(f"{name} layer {i}: does not build on the layer before it ({cmds[:1]})")
            cmds = cmds[1:]
        for cmd in cmds:
            if i == 0 and cmd.startswith("FROM "):
                steps.append(("FROM", cmd[5:]))
            elif cmd == "ENTRYPOINT []":
                steps.append(("ENTRYPOINT []",))
            elif cmd == UV_COPY:
                pass  # plumbing of the pip step that follows
            elif cmd.startswith("RUN /.uv/uv pip install "):
                steps.append(("pip", tuple(sorted(str(Requirement(r)) for r in re.findall(r"'([^']+)'", cmd)))))
            elif cmd.startswith("ENV ") and "=" in cmd:
                steps += [("ENV", cmd[4:].split("=", 1)[0])]
            else:
                problems.append(f"{name} layer {i}: command {cmd!r} comes from no plan field and is not "
                                "reviewed client plumbing (tests/modalbox/review.py)")
    return steps, problems


def review_layers(img: dict, layers: list[api_pb2.Image], name: str) -> list[str]:
    """The layers carry exactly the plan's steps, in its order, and every layer field is from
    the plan or a reviewed default."""
    steps, problems = sent_steps(layers, name)
    want = plan_steps(img)
    if steps != want:
        problems.append(f"{name} layers (dockerfile_commands, in order): plan {want} != sent {steps}")
    for i, layer in enumerate(layers):
        problems += walk(layer, IMAGE_CLAIMED, IMAGE_DEFAULTS, label=f"{name}.layer[{i}]")
    return problems

