# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Input validation at the edge: request body size (413) and JSON content type (415)."""

from collections.abc import Callable

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Problem, send_problem
from ..observability.logging import security_event
from ..route_index import RouteIndex

TOO_LARGE = "The request body is too large."
SMALL_JSON_BODY = 16 * 1024
"""A body limit for routes that take a few bounded fields, far below `APP_MAX_BODY_BYTES`:
`@router.post(..., max_body_size=SMALL_JSON_BODY)`. Over it, 413 before anything is parsed."""
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

RouteLimit = Callable[[str, str], int | None]
"""The body limit a route declares for (method, path), or None."""


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class RouteBodyLimits:
    """The limits that routes declare with FastAPI's own `max_body_size=` parameter, looked up
    by method and path in the app's route index."""

    def __init__(self, routes: RouteIndex) -> None:
        self.routes = routes

    def __call__(self, method: str, path: str) -> int | None:
        context = self.routes(method, path)
        return getattr(context, "max_body_size", None) if context is not None else None


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_body_bytes`, or over the smaller limit of the route they are
    sent to, by `Content-Length` or while streaming (chunked). Answers are problem documents.

    The body is never buffered here: each chunk is counted as the application reads it.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, route_limit: RouteLimit | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_limit = route_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        limit = self.max_body_bytes
        if self.route_limit is not None and scope["method"] not in READ_ONLY_METHODS:
            route_limit = self.route_limit(scope["method"], scope["path"])
            if route_limit is not None:
                limit = min(limit, route_limit)

        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await send_problem(scope, receive, send, 400, "Invalid Content-Length.")
                    return
                if int(value) > limit:
                    security_event("input.rejected", reason="body_too_large")
                    await send_problem(scope, receive, send, 413, TOO_LARGE)
                    return
                break

        received = 0

        async def receive_with_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    security_event("input.rejected", reason="body_too_large")
                    raise BodyTooLarge
            return message

        await self.app(scope, receive_with_limit, send)


def media_type(request: Request) -> str:
    """The request body's media type, lower-cased, without parameters (`; charset=...`)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def require_json(request: Request) -> None:
    """Dependency for routes with a JSON body: anything else is 415, not a parsing guess."""
    if not _is_json(media_type(request)):
        security_event("input.rejected", reason="unsupported_media_type")
        raise Problem(415, "Send the request body as application/json.")
