"""The RPCs this library's Modal paths need, answered the way the pinned client expects.

Each handler names the client source it answers (paths relative to site-packages/modal/). The
state is kept just deep enough for the client's next call to work: apps by name, objects by id,
function definitions as the client sent them, function calls with their configured outcomes.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import threading
import time
from typing import Any

from google.protobuf import empty_pb2
from grpclib import GRPCError, Status
from modal._serialization import pickle_exception, serialize
from modal_proto import api_pb2

from .server import ControlPlaneBase


@dataclasses.dataclass
class Outcome:
    """What a call of one function returns: a value, or an exception raised in the container
    (sent back the way modal/_runtime/container_io_manager.py: output_items_exception does),
    with the lines the container printed to stderr before failing."""

    value: Any = None
    exception: BaseException | None = None
    stderr: str = ""


@dataclasses.dataclass
class FunctionCall:
    call_id: str
    function_id: str
    function_name: str
    args: tuple
    kwargs: dict
    outcome: Outcome


class ControlPlane(ControlPlaneBase):
    WORKSPACE = "modalbox"

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.apps: dict[str, str] = {}  # deployed name -> app id
        self.app_names: dict[str, str] = {}  # app id -> description/name
        self.app_objects: dict[str, dict[str, str]] = {}  # app id -> {tag: function id}
        self.functions: dict[str, api_pb2.Function] = {}  # function id -> definition as sent
        self.function_app: dict[str, str] = {}  # function id -> app id
        self.images: dict[bytes, str] = {}  # serialized definition -> image id
        self.built_images: set[str] = set()
        self.image_defs: dict[str, api_pb2.Image] = {}  # image id -> definition (one layer)
        self.mounts: dict[str, api_pb2.MountGetOrCreateRequest] = {}
        self.mount_files: dict[str, bytes] = {}  # sha256 -> content
        self.volumes: dict[str, str] = {}  # name -> volume id
        self.secrets: set[str] = set()  # names that exist
        self.secret_keys: dict[str, list[str]] = {}  # name -> key names (modal secret create)
        self.secret_names: dict[str, str] = {}  # secret id -> name (Secret.from_name)
        self.env_secrets: dict[str, dict[str, str]] = {}  # secret id -> env (a function's env=)
        self.app_logs: dict[str, list[tuple[int, str, asyncio.Event]]] = {}
        self.disconnected: set[str] = set()
        self.outcomes: dict[str, Outcome] = {}  # function name -> outcome of its calls
        self.calls: list[FunctionCall] = []
        self._pending: dict[str, FunctionCall] = {}
        self.autoscaler: dict[str, api_pb2.AutoscalerSettings] = {}  # function id -> settings now
        self.refused_tokens: set[str] = set()  # token ids the control plane answers UNAUTHENTICATED
        self.volume_files: dict[str, dict[str, bytes]] = {}  # volume name -> path -> content
        self.blob_url: str = ""  # base URL of the block store (modalbox/blobs.py), set by the box

    def _id(self, prefix: str) -> str:
        return f"{prefix}-modalbox{next(self._ids):06d}"

    # --- hello, environment -------------------------------------------------------------------

    def _check_token(self, md) -> None:
        # The client sends its token as x-modal-token-id metadata (modal/client.py _get_metadata);
        # the text is the control plane's own, not Modal's (which the client does not contain).
        if md.get("x-modal-token-id") in self.refused_tokens:
            raise GRPCError(Status.UNAUTHENTICATED, "modalbox: token refused")

    def rpc_ClientHello(self, req, md):
        # modal/client.py: _Client.hello; a real server checks the token here too.
        self._check_token(md)
        return api_pb2.ClientHelloResponse()

    def rpc_WorkspaceNameLookup(self, req, md):
        # modal/_workspace.py: Workspace.from_context() hydration reads `username`.
        self._check_token(md)
        return api_pb2.WorkspaceNameLookupResponse(workspace_name=self.WORKSPACE, username=self.WORKSPACE)

    def rpc_EnvironmentGetOrCreate(self, req, md):
        # modal/_environments.py: _get_environment_cached; the image builder version must be
        # one the client supports (modal/_image.py: LATEST_IMAGE_BUILDER_VERSION).
        from modal._image import LATEST_IMAGE_BUILDER_VERSION

        settings = api_pb2.EnvironmentSettings(image_builder_version=LATEST_IMAGE_BUILDER_VERSION)
        return api_pb2.EnvironmentGetOrCreateResponse(
            environment_id="en-modalbox",
            metadata=api_pb2.EnvironmentMetadata(name=req.deployment_name or "main", settings=settings),
        )

    # --- apps (modal/runner.py) -----------------------------------------------------------------

    def rpc_AppGetByDeploymentName(self, req, md):
        # runner.py: _init_local_app_from_name; an empty app_id means "not deployed yet".
        return api_pb2.AppGetByDeploymentNameResponse(app_id=self.apps.get(req.name, ""))

    def rpc_AppGetOrCreate(self, req, md):
        # app.py: App.lookup(name) (`logs` reads a deployed app's logs through it); without
        # create_if_missing an unknown name is NOT_FOUND, as Modal answers.
        app_id = self.apps.get(req.app_name, "")
        if not app_id:
            if req.object_creation_type != api_pb2.OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
                raise GRPCError(Status.NOT_FOUND, f"modalbox: App {req.app_name!r} not found")
            app_id = self.apps[req.app_name] = self._id("ap")
        return api_pb2.AppGetOrCreateResponse(app_id=app_id)

    def rpc_AppGetLayout(self, req, md):
        # runner.py: _init_local_app_existing (a redeploy reuses the function ids).
        layout = api_pb2.AppLayout(function_ids=self.app_objects.get(req.app_id, {}))
        return api_pb2.AppGetLayoutResponse(app_layout=layout)

    def rpc_AppCreate(self, req, md):
        app_id = self._id("ap")
        self.app_names[app_id] = req.description
        self.app_objects[app_id] = {}
        return api_pb2.AppCreateResponse(
            app_id=app_id, app_page_url=f"http://modalbox.invalid/apps/{app_id}", app_logs_url=""
        )

    def rpc_AppPublish(self, req, md):
        # runner.py: _publish_app. A deployment binds the name to the app and its functions.
        if req.name:
            self.apps[req.name] = req.app_id
        self.app_objects[req.app_id] = dict(req.function_ids)
        return api_pb2.AppPublishResponse(url=f"http://modalbox.invalid/apps/{req.app_id}", deployed_at=time.time())

    def rpc_AppHeartbeat(self, req, md):
        return empty_pb2.Empty()

    def rpc_AppClientDisconnect(self, req, md):
        self.disconnected.add(req.app_id)
        return empty_pb2.Empty()

    # --- images (modal/_image.py) ---------------------------------------------------------------

    def rpc_ImageGetOrCreate(self, req, md):
        # _image.py _load: a result with a status = cache hit; none = the client waits for the
        # build on ImageJoinStreaming. Each definition is "built" once, then cached.
        key = req.image.SerializeToString(deterministic=True)
        with self._lock:
            image_id = self.images.setdefault(key, self._id("im"))
            self.image_defs[image_id] = req.image
        if image_id in self.built_images:
            return api_pb2.ImageGetOrCreateResponse(
                image_id=image_id, result=api_pb2.GenericResult(status=api_pb2.GenericResult.GENERIC_STATUS_SUCCESS)
            )
        return api_pb2.ImageGetOrCreateResponse(image_id=image_id)

    def rpc_ImageJoinStreaming(self, req, md):
        # _image.py: _image_await_build_result reads result.status, entry_id and task_logs.
        self.built_images.add(req.image_id)
        return [
            api_pb2.ImageJoinStreamingResponse(
                result=api_pb2.GenericResult(status=api_pb2.GenericResult.GENERIC_STATUS_SUCCESS),
                entry_id="1-0",
                eof=True,
            )
        ]

    # --- local Python sources (modal/mount.py) --------------------------------------------------

    def rpc_MountBatchedCheckExistence(self, req, md):
        missing = [h for h in req.sha256_hex_hashes if h not in self.mount_files]
        return api_pb2.MountBatchedCheckExistenceResponse(missing_sha256_hex_hashes=missing)

    def rpc_MountPutFile(self, req, md):
        if req.WhichOneof("data_oneof") == "data":
            self.mount_files[req.sha256_hex] = req.data
            return api_pb2.MountPutFileResponse(exists=True)
        # A blob upload would need a local HTTP blob store; our sources are small and never
        # take that path. Fail loudly if they ever do.
        raise GRPCError(Status.UNIMPLEMENTED, "modalbox: MountPutFile by blob is not implemented")

    def rpc_MountGetOrCreate(self, req, md):
        mount_id = self._id("mo")
        self.mounts[mount_id] = req
        return api_pb2.MountGetOrCreateResponse(mount_id=mount_id, handle_metadata=api_pb2.MountHandleMetadata())

    # --- volumes, secrets ---------------------------------------------------------------------

    def rpc_VolumeGetOrCreate(self, req, md):
        # volume.py: from_name(create_if_missing=True) sends OBJECT_CREATION_TYPE_CREATE_IF_MISSING.
        with self._lock:
            if req.deployment_name not in self.volumes:
                if req.object_creation_type != api_pb2.OBJECT_CREATION_TYPE_CREATE_IF_MISSING:
                    raise GRPCError(Status.NOT_FOUND, f"modalbox: Volume {req.deployment_name!r} not found")
                self.volumes[req.deployment_name] = self._id("vo")
        return api_pb2.VolumeGetOrCreateResponse(
            volume_id=self.volumes[req.deployment_name], version=api_pb2.VOLUME_FS_VERSION_V2
        )

    def rpc_VolumeGetFile2(self, req, md):
        # volume.py: Volume.read_file → VolumeGetFile2 (NOT_FOUND → FileNotFoundError), then one
        # GET per block URL (aiohttp); our files are small: one block on the local block store.
        name = next((n for n, vid in self.volumes.items() if vid == req.volume_id), None)
        data = self.volume_files.get(name or "", {}).get(req.path.lstrip("/"))
        if data is None:
            raise GRPCError(Status.NOT_FOUND, f"modalbox: no file {req.path!r} in volume {name!r}")
        return api_pb2.VolumeGetFile2Response(get_urls=[f"{self.blob_url}/{req.volume_id}/{req.path.lstrip('/')}"],
                                              size=len(data), start=0, len=len(data))

    def blob(self, volume_id: str, path: str) -> bytes | None:
        name = next((n for n, vid in self.volumes.items() if vid == volume_id), None)
        return self.volume_files.get(name or "", {}).get(path)

    def put_volume_file(self, volume: str, path: str, data: bytes) -> None:
        """A file in a named volume (creating the volume), as a step's commit would leave it."""
        with self._lock:
            self.volumes.setdefault(volume, self._id("vo"))
            self.volume_files.setdefault(volume, {})[path.lstrip("/")] = data

    def rpc_SecretGetOrCreate(self, req, md):
        # Two shapes reach here. secret.py: Secret.from_name sends the name only; the client turns
        # NOT_FOUND into modal.exception.NotFoundError (modal/_grpc_client.py:
        # _STATUS_TO_EXCEPTION). The text is the server's, which the client does not contain;
        # ours says where it comes from. And `env=` on a function (modal/_functions.py:
        # `secrets = [*secrets, _Secret.from_dict(env)]`) is an anonymous secret whose env_dict
        # is the function's environment (secret.py: _load_from_env_dict).
        if req.object_creation_type == api_pb2.OBJECT_CREATION_TYPE_ANONYMOUS_OWNED_BY_APP:
            secret_id = self._id("st")
            self.env_secrets[secret_id] = dict(req.env_dict)
            return api_pb2.SecretGetOrCreateResponse(secret_id=secret_id)
        if req.object_creation_type in (api_pb2.OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS,
                                        api_pb2.OBJECT_CREATION_TYPE_CREATE_IF_MISSING) and req.env_dict:
            # `modal secret create NAME K=V` (secret.py: _Secret._create_deployed / objects.create).
            # Only the key names are kept: a test never needs the values.
            if req.deployment_name in self.secrets and \
                    req.object_creation_type == api_pb2.OBJECT_CREATION_TYPE_CREATE_FAIL_IF_EXISTS:
                raise GRPCError(Status.ALREADY_EXISTS, f"modalbox: Secret {req.deployment_name!r} already exists")
            self.secrets.add(req.deployment_name)
            self.secret_keys[req.deployment_name] = sorted(req.env_dict)
        elif req.deployment_name not in self.secrets:
            raise GRPCError(Status.NOT_FOUND, f"modalbox: Secret {req.deployment_name!r} not found")
        secret_id = f"st-named-{req.deployment_name}"
        self.secret_names[secret_id] = req.deployment_name
        return api_pb2.SecretGetOrCreateResponse(secret_id=secret_id)

    # --- logs (modal/_output/pty.py: get_app_logs_loop, used by `modal run`) --------------------

    async def rpc_AppGetLogs(self, req, md):
        # A long poll: send what the app's containers printed after last_entry_id, end the
        # stream after `timeout` seconds, or with app_done once the client disconnected.
        start = int(req.last_entry_id or 0)
        deadline = time.monotonic() + (req.timeout or 0)
        while True:
            logs = self.app_logs.get(req.app_id, [])
            if len(logs) > start:
                for i in range(start, len(logs)):
                    fd, text, delivered = logs[i]
                    yield api_pb2.TaskLogsBatch(
                        task_id="ta-modalbox", entry_id=str(i + 1),
                        items=[api_pb2.TaskLogs(data=text, file_descriptor=fd)],
                    )
                    delivered.set()
                start = len(logs)
            if req.app_id in self.disconnected:
                yield api_pb2.TaskLogsBatch(app_done=True)
                return
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.02)

    # --- functions and servers (modal/_functions.py) -------------------------------------------

    def server_url(self, app_id: str, function_name: str) -> str:
        # The URL a server is reached at is chosen by Modal's backend, not the client; this is the
        # control plane's own (unroutable) URL, returned as the handle's flash URL, which is where
        # modal/_server.py: Server.get_url reads it from.
        return f"https://{self.WORKSPACE}--{self.app_names.get(app_id, app_id)}-{function_name}.modalbox.invalid"

    def _handle_metadata(self, function_id: str, fn: api_pb2.Function | None, *, name: str, ftype: int,
                         app_id: str, input_formats=(), output_formats=()) -> api_pb2.FunctionHandleMetadata:
        meta = api_pb2.FunctionHandleMetadata(
            function_name=name,
            function_type=ftype,
            definition_id=f"de-{function_id}",
            app_id=app_id,
            supported_input_formats=list(input_formats) or [api_pb2.DATA_FORMAT_PICKLE],
            supported_output_formats=list(output_formats) or [api_pb2.DATA_FORMAT_PICKLE],
        )
        if fn is not None and fn.is_server:
            meta._experimental_flash_urls.append(self.server_url(app_id, name))
        return meta

    def rpc_FunctionPrecreate(self, req, md):
        # _functions.py _preload: assigns the id before the definition is sent.
        function_id = req.existing_function_id or self._id("fu")
        self.function_app[function_id] = req.app_id
        return api_pb2.FunctionPrecreateResponse(
            function_id=function_id,
            handle_metadata=self._handle_metadata(
                function_id, None, name=req.function_name, ftype=req.function_type, app_id=req.app_id,
                input_formats=req.supported_input_formats, output_formats=req.supported_output_formats,
            ),
        )

    def rpc_FunctionCreate(self, req, md):
        # _functions.py _load: the whole definition (resources, volumes, secrets, autoscaler,
        # server options) arrives here; a clustered function would send function_data instead.
        if req.HasField("function_data"):
            raise GRPCError(Status.UNIMPLEMENTED, "modalbox: FunctionCreate with function_data (clustered) is not implemented")
        fn = req.function
        function_id = req.existing_function_id or self._id("fu")
        with self._lock:
            self.functions[function_id] = fn
            self.function_app[function_id] = req.app_id
            self.app_objects.setdefault(req.app_id, {})[fn.function_name] = function_id
            self.autoscaler[function_id] = _initial_autoscaler(fn)
        return api_pb2.FunctionCreateResponse(
            function_id=function_id,
            function=fn,
            function_data=function_data(fn),
            handle_metadata=self._handle_metadata(
                function_id, fn, name=fn.function_name, ftype=fn.function_type, app_id=req.app_id,
                input_formats=fn.supported_input_formats, output_formats=fn.supported_output_formats,
            ),
        )

    def rpc_FunctionGet(self, req, md):
        # _functions.py _from_name (modal.Function/Server.from_name): look up a deployed unit.
        app_id = self.apps.get(req.app_name)
        function_id = self.app_objects.get(app_id or "", {}).get(req.object_tag)
        if app_id is None or function_id is None:
            # The client maps NOT_FOUND to modal.exception.NotFoundError.
            raise GRPCError(Status.NOT_FOUND, f"modalbox: Lookup failed for Function '{req.object_tag}' from the '{req.app_name}' app")
        fn = self.functions[function_id]
        return api_pb2.FunctionGetResponse(
            function_id=function_id,
            function=function_data(fn),
            handle_metadata=self._handle_metadata(
                function_id, fn, name=fn.function_name, ftype=fn.function_type, app_id=app_id,
                input_formats=fn.supported_input_formats, output_formats=fn.supported_output_formats,
            ),
        )

    def rpc_FlashContainerList(self, req, md):
        # _server.py: Server._experimental_list_containers (bench's "is a container up?"). The box
        # runs no containers: none is ever serving.
        return api_pb2.FlashContainerListResponse()

    def rpc_FunctionUpdateSchedulingParams(self, req, md):
        # _server.py ServerAutoscaler.update: only the fields the caller set have presence; the
        # server merges them into the current settings (AutoscalerSettings fields are optional).
        current = self.autoscaler.setdefault(req.function_id, api_pb2.AutoscalerSettings())
        current.MergeFrom(req.settings)
        return api_pb2.FunctionUpdateSchedulingParamsResponse(current_settings=current)

    def rpc_FunctionGetSchedulingParams(self, req, md):
        return api_pb2.FunctionGetSchedulingParamsResponse(
            autoscaler_configuration=api_pb2.AutoscalerConfiguration(settings=self.autoscaler.get(req.function_id))
        )

    # --- function calls -----------------------------------------------------------------------

    def rpc_FunctionMap(self, req, md):
        # _functions.py _Invocation.create: one pipelined input per .remote(). Args are decoded
        # the way the container would (modal/_serialization.py: deserialize_data_format).
        from modal._serialization import deserialize_data_format

        assert len(req.pipelined_inputs) == 1, "modalbox answers single .remote() calls only"
        item = req.pipelined_inputs[0]
        if item.input.WhichOneof("args_oneof") != "args":
            raise GRPCError(Status.UNIMPLEMENTED, "modalbox: blob-uploaded function arguments are not implemented")
        args, kwargs = deserialize_data_format(item.input.args, item.input.data_format, None)
        fn = self.functions.get(req.function_id)
        name = fn.function_name if fn is not None else req.function_id
        call = FunctionCall(self._id("fc"), req.function_id, name, tuple(args), dict(kwargs),
                            self.outcomes.get(name, Outcome()))
        with self._lock:
            self.calls.append(call)
            self._pending[call.call_id] = call
        if call.outcome.stderr:
            # What the container printed before answering; real Modal streams it on AppGetLogs.
            app_id = self.function_app.get(req.function_id, "")
            self.app_logs.setdefault(app_id, []).append(
                (api_pb2.FILE_DESCRIPTOR_STDERR, call.outcome.stderr, asyncio.Event())
            )
        return api_pb2.FunctionMapResponse(
            function_call_id=call.call_id,
            pipelined_inputs=[api_pb2.FunctionPutInputsResponseItem(idx=0, input_id=f"in-{call.call_id}", input_jwt="")],
        )

    async def rpc_FunctionGetOutputs(self, req, md):
        call = self._pending[req.function_call_id]
        o = call.outcome
        if o.stderr:
            # The container's log line reaches the user before its result (as on Modal, where
            # the container prints, then fails); wait until the log stream delivered it.
            app_id = self.function_app.get(call.function_id, "")
            pending = [ev for fd, text, ev in self.app_logs.get(app_id, []) if text == o.stderr]
            for ev in pending:
                try:
                    await asyncio.wait_for(ev.wait(), 10)
                except asyncio.TimeoutError:
                    pass  # nobody is reading logs (e.g. an in-process call); answer anyway
        if o.exception is None:
            result = api_pb2.GenericResult(status=api_pb2.GenericResult.GENERIC_STATUS_SUCCESS, data=serialize(o.value))
        else:
            # As modal/_runtime/container_io_manager.py: output_items_exception sends it.
            result = api_pb2.GenericResult(
                status=api_pb2.GenericResult.GENERIC_STATUS_FAILURE,
                exception=repr(o.exception),
                data=pickle_exception(o.exception),
            )
        item = api_pb2.FunctionGetOutputsItem(
            result=result, idx=0, input_id=f"in-{call.call_id}", data_format=api_pb2.DATA_FORMAT_PICKLE
        )
        return api_pb2.FunctionGetOutputsResponse(outputs=[item], num_unfinished_inputs=0)


def _initial_autoscaler(fn: api_pb2.Function) -> api_pb2.AutoscalerSettings:
    s = api_pb2.AutoscalerSettings()
    s.CopyFrom(fn.autoscaler_settings)
    return s


def function_data(fn: api_pb2.Function) -> api_pb2.FunctionData:
    """The FunctionData view of a definition, which modal/types.py: FunctionInfo._from_function_proto
    parses (it needs at least one ranked function)."""
    data = api_pb2.FunctionData()
    src = api_pb2.Function.DESCRIPTOR.fields_by_name
    for f in api_pb2.FunctionData.DESCRIPTOR.fields:
        g = src.get(f.name)
        if g is None or g.type != f.type or g.message_type != f.message_type or g.is_repeated != f.is_repeated:
            continue
        value = getattr(fn, f.name)
        if g.is_repeated:
            getattr(data, f.name).extend(value)
        elif g.message_type is not None:
            if fn.HasField(f.name):
                getattr(data, f.name).CopyFrom(value)
        else:
            setattr(data, f.name, value)
    data.ranked_functions.add(rank=0, function=fn)
    return data
