# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Request context middleware: request id, one access record per request, last-resort 500."""

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from loguru import logger
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..context import close_request, new_request_id, open_request
from ..route_index import RouteIndex

REQUEST_ID_HEADER = b"x-request-id"
UNMATCHED = "<unmatched>"
_VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


class AccessRecord(NamedTuple):  # immutable, and built faster than a frozen dataclass
    request_id: str
    method: str
    route: str
    status: int
    duration_ms: float
    client_ip: str | None
    principal: str | None


AccessObserver = Callable[[AccessRecord], None]


class RouteTemplates:
    """The full path template of the route that served a request (`/api/v1/items/{item_id}`).

    FastAPI puts the matched route in `scope["route"]`, but inside included routers its `path`
    lacks the routers' prefixes; `fastapi.routing.iter_route_contexts` lists every route with
    its full template. Plain Starlette routes (the API docs pages) leave no `route` in the
    scope, only their `endpoint`. Looked up once per route (or endpoint), then remembered.
    """

    def __init__(self, app: FastAPI, routes: RouteIndex) -> None:
        self.app = app
        self.routes = routes
        self._templates: dict[int, str] = {}

    def __call__(self, scope: Scope) -> str:
        matched = scope.get("route") or scope.get("endpoint")
        if matched is None:
            return UNMATCHED
        template = self._templates.get(id(matched))
        if template is None:
            # Not seen yet (or added after the last look): list the routes again.
            for context in iter_route_contexts(self.app.routes):
                full = context.path_format or context.path
                if full:
                    self._templates.setdefault(id(context.original_route), full)
                    self._templates.setdefault(id(context.endpoint), full)
            template = self._templates.setdefault(id(matched), getattr(matched, "path", UNMATCHED))
        return template

    def route_of(self, scope: Scope) -> object | None:
        """The route a request was meant for, when it is answered before routing."""
        context = self.routes(scope["method"], scope["path"])
        return context.original_route if context is not None else None


class RequestContextMiddleware:
    """Outermost application layer after the security headers.

    Gives every request an `X-Request-ID` and a `context.RequestContext`, hands one
    `AccessRecord` per request to each observer, and has `on_error` answer an unhandled
    exception (a generic problem; the traceback goes to the server log only) so that even that
    response carries the request id and headers.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        observers: Sequence[AccessObserver],
        route_template: Callable[[Scope], str],
        on_error: Callable[[Scope, Receive, Send, Exception], Awaitable[None]],
    ) -> None:
        self.app = app
        self.observers = tuple(observers)
        self.route_template = route_template
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _request_id_from(scope["headers"])
        context, token = open_request(request_id)
        encoded_id = request_id.encode()
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, encoded_id)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception as error:
            logger.exception("Unhandled error while serving the request")
            status = 500
            if not response_started:
                await self.on_error(scope, receive, send_with_request_id, error)
        finally:
            record = AccessRecord(
                request_id=request_id,
                method=scope["method"],
                route=self.route_template(scope),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                client_ip=scope["client"][0] if scope.get("client") else None,
                principal=context.principal,
            )
            for observe in self.observers:
                observe(record)
            close_request(token)


def _request_id_from(headers: Sequence[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            if _VALID_REQUEST_ID.fullmatch(value):
                return value.decode()
            break
    return new_request_id()
