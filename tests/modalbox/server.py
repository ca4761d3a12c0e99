"""Local Modal control plane ("Modal in a box") for tests.

A grpclib server over the service stubs the pinned ``modal`` wheel ships
(``modal_proto/api_grpc.py``: ``ModalClientBase``, messages in ``modal_proto/api_pb2.py``). The
real client reaches it through ``MODAL_SERVER_URL`` (``modal/config.py``: setting
``server_url``), authenticating with ``MODAL_TOKEN_ID``/``MODAL_TOKEN_SECRET`` which it sends as
``x-modal-token-id``/``x-modal-token-secret`` metadata (``modal/client.py: _get_metadata``).

Every request is recorded (``Recorder``) as (method name, decoded proto). Only the RPCs in
``ControlPlane`` below are answered; every other RPC of the generated base class is recorded
as *unimplemented* and answered with gRPC UNIMPLEMENTED, and the pytest fixture fails the
test module if any happened (``ControlPlane.unimplemented``). Nothing silently succeeds.

Written from the client's source (which request each operation sends and which response
fields it reads), not from Modal's own test suite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import traceback
from typing import Any, Callable

from google.protobuf.message import Message
from grpclib import GRPCError, Status
from grpclib.server import Server, Stream
from modal_proto import api_grpc

# The methods of the generated service, from the wheel itself (so a modal upgrade that adds,
# renames or removes RPCs is seen here, not guessed).
SERVICE_METHODS: tuple[str, ...] = tuple(sorted(api_grpc.ModalClientBase.__abstractmethods__))


@dataclasses.dataclass
class Call:
    method: str
    request: Message
    metadata: dict[str, str]


class Recorder:
    """Every request the client sent, in order, thread-safe (the server runs in its own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.unimplemented: list[Call] = []
        self.errors: list[str] = []  # tracebacks of handlers that crashed

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return list(self.calls[mark:])

    def of(self, method: str, since: int = 0) -> list[Message]:
        return [c.request for c in self.since(since) if c.method == method]

    def methods(self, since: int = 0) -> list[str]:
        return [c.method for c in self.since(since)]


class ControlPlaneBase(api_grpc.ModalClientBase):
    """Routes every generated RPC through ``_dispatch``: record, then answer with the
    ``rpc_<Method>`` handler of the subclass, or record as unimplemented + UNIMPLEMENTED."""

    def __init__(self) -> None:
        self.recorder = Recorder()

    async def _dispatch(self, method: str, stream: Stream) -> None:
        request = await stream.recv_message()
        md = {k: v for k, v in (stream.metadata or {}).items() if isinstance(v, str)}
        call = Call(method, request, md)
        self.recorder.add(call)
        handler = getattr(self, f"rpc_{method}", None)
        if handler is None:
            with self.recorder._lock:
                self.recorder.unimplemented.append(call)
            raise GRPCError(Status.UNIMPLEMENTED, f"modalbox: {method} is not implemented by the test control plane")
        try:
            result = handler(request, md)
            if asyncio.iscoroutine(result):
                result = await result
            if hasattr(result, "__aiter__"):  # a server-streaming handler (async generator)
                async for msg in result:
                    await stream.send_message(msg)
                return
        except GRPCError as exc:
            if exc.status == Status.UNIMPLEMENTED:  # a shape of a known RPC we do not answer
                with self.recorder._lock:
                    self.recorder.unimplemented.append(call)
            raise  # otherwise a deliberate answer (NOT_FOUND for a missing secret, ...)
        except Exception:
            # A bug in the control plane itself: record it so the test fails with the traceback.
            with self.recorder._lock:
                self.recorder.errors.append(f"{method}: {traceback.format_exc()}")
            raise
        if isinstance(result, list):
            for msg in result:
                await stream.send_message(msg)
        else:
            await stream.send_message(result)


def _make_method(name: str) -> Callable[..., Any]:
    async def method(self: ControlPlaneBase, stream: Stream) -> None:
        await self._dispatch(name, stream)

    method.__name__ = name
    return method


for _m in SERVICE_METHODS:
    setattr(ControlPlaneBase, _m, _make_method(_m))
ControlPlaneBase.__abstractmethods__ = frozenset()


class ServerThread:
    """Runs a servicer on 127.0.0.1:<free port> in a background thread with its own loop."""

    def __init__(self, servicer: ControlPlaneBase) -> None:
        self.servicer = servicer
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modalbox", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._server = Server([self.servicer])
        self._loop.run_until_complete(self._server.start("127.0.0.1", 0))
        self.port = self._server._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "ServerThread":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("modalbox server did not start")
        return self

    def call_soon(self, fn: Callable[[], Any]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(fn)

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        server, loop = self._server, self._loop

        async def _close() -> None:
            server.close()
            await server.wait_closed()

        asyncio.run_coroutine_threadsafe(_close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
