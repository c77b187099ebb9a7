# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""uvicorn's httptools protocol, with the limits uvicorn does not set.

- A request head (request line and headers) over `APP_MAX_HEADER_BYTES` is answered 431.
  httptools copies a header into a growing buffer until the header ends, so the limit is
  applied to the bytes fed to the parser: a head is never parsed beyond it.
- A head must arrive within `APP_HEADER_TIMEOUT_SECONDS` of the connection opening or of its
  first byte, and a body within `APP_BODY_TIMEOUT_SECONDS` of its head: else 408, or a plain
  close when the response has begun or nothing was sent.
- Requests on connections beyond `APP_MAX_CONNECTIONS` are answered 503 by `server_busy`.
- Over TLS, a connection closed by a refusal (431, 408, 400, 503), a deadline, the
  keep-alive timeout or the server's shutdown is gone at once: after its `close_notify`, the
  server does not wait for the client's (RFC 8446 section 6.1 allows that). The event loop
  would wait up to 30 seconds for a client that never answers, the connection keeping its
  place among `APP_MAX_CONNECTIONS` (and holding up a shutdown). A close after an answer to
  `Connection: close` still waits, since it must not cut an answer still on its way.

Everything else is uvicorn's. The hooks used are uvicorn's parser callbacks; the tests in
`tests/test_server_limits.py` serve real connections, so they fail if an uvicorn release
changes them.
"""

import asyncio
import enum
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from ..context import new_request_id
from ..observability.logging import security_event
from .answers import encoded_problem, server_busy
from .limits import current_limits


class Phase(enum.Enum):
    IDLE = enum.auto()  # between requests: nothing of the next one has arrived
    HEAD = enum.auto()
    BODY = enum.auto()


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = current_limits()
        self.application = self.app
        self.phase = Phase.IDLE
        self.head_bytes = 0  # of the current head, fed to the parser so far
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._set_deadline(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._clear_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.phase is not Phase.BODY:
            room = self.limits.max_header_bytes - self.head_bytes
            if len(data) > room:
                self._feed_at_most(data, room)
                return
            self.head_bytes += len(data)
        super().data_received(data)
        if self.deadline is None and self.phase is not Phase.IDLE:
            self._set_deadline(
                self.limits.header_timeout if self.phase is Phase.HEAD else self.limits.body_timeout
            )

    def _feed_at_most(self, data: bytes, room: int) -> None:
        """Feed `room` bytes; unless the head ended within them, refuse the request."""
        self.head_bytes = self.limits.max_header_bytes  # reset to 0 if the head ends
        super().data_received(data[:room])
        if self.transport.is_closing():
            return
        if self.head_bytes == self.limits.max_header_bytes:
            detail = f"The request line and headers exceed {self.head_bytes} bytes."
            self._refuse(431, detail, reason="head_too_large")
            return
        self.data_received(data[room:])

    # Parser callbacks: they mark where the current request stands.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.phase = Phase.HEAD

    def on_headers_complete(self) -> None:
        self.phase = Phase.BODY
        self.head_bytes = 0
        self._clear_deadline()
        busy = len(self.connections) > self.limits.max_connections
        self.app = server_busy if busy else self.application
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.app is server_busy:  # its answer is short and closes the connection
            self._close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.phase = Phase.IDLE
        self._clear_deadline()

    def timeout_keep_alive_handler(self) -> None:
        if not self.transport.is_closing():
            self._close()

    def shutdown(self) -> None:
        super().shutdown()
        if self.transport.is_closing():  # it was idle, and is closed now
            self._close()

    def handle_websocket_upgrade(self) -> None:
        # The connection now belongs to the WebSocket protocol, with limits of its own.
        self.phase = Phase.IDLE
        self._clear_deadline()
        super().handle_websocket_upgrade()

    def send_400_response(self, msg: str) -> None:
        self._refuse(400, "The request is not valid HTTP/1.1.", reason="invalid_http")

    def _set_deadline(self, seconds: float) -> None:
        self.deadline = self.loop.call_later(seconds, self._deadline_passed)

    def _clear_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _deadline_passed(self) -> None:
        self.deadline = None
        if self.transport.is_closing():
            return
        if self.phase is Phase.IDLE:  # a connection that never sent a request
            self._close()
            return
        part, seconds = (
            ("head", self.limits.header_timeout)
            if self.phase is Phase.HEAD
            else ("body", self.limits.body_timeout)
        )
        detail = f"The request {part} did not arrive within {seconds:g} seconds."
        self._refuse(408, detail, reason=f"{part}_timeout")

    def _refuse(self, status: int, detail: str, *, reason: str) -> None:
        """Answer, if the answer cannot be mistaken for another request's, and close."""
        request_id = new_request_id()
        client = self.client[0] if self.client else None
        security_event("input.rejected", reason=reason, client=client, request_id=request_id)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The application must not write after us, and must see its request as gone.
            cycle.disconnected = True
            cycle.message_event.set()
        if self.phase is Phase.BODY:  # `cycle` is this request's, running unless queued
            can_answer = not cycle.response_started and not self.pipeline
        else:  # `cycle`, if any, is the previous request's
            can_answer = cycle is None or cycle.response_complete
        if can_answer:
            answer = encoded_problem(
                status,
                detail,
                request_id,
                self.server_state.default_headers,
                https=self.scheme == "https",
            )
            self.transport.write(answer)
        self._close()

    def _close(self) -> None:
        self.transport.close()  # over TLS, this sends `close_notify`
        if self.scheme == "https":
            self.transport.abort()
            # Its place is free now, not once the event loop reports the connection lost: a
            # client that saw the `close_notify` may connect again before that.
            self.connections.discard(self)
