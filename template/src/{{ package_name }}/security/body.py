# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Input validation at the edge: request body size (413) and JSON content type (415)."""

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Problem, send_problem
from ..observability.logging import security_event

TOO_LARGE = "The request body is too large."


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


class BodySizeLimitMiddleware:
    """Refuse bodies over `max_body_bytes`, by `Content-Length` or while streaming (chunked).

    The body is never buffered here: each chunk is counted as the application reads it.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    await send_problem(scope, receive, send, 400, "Invalid Content-Length.")
                    return
                if int(value) > self.max_body_bytes:
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
                if received > self.max_body_bytes:
                    security_event("input.rejected", reason="body_too_large")
                    raise BodyTooLarge
            return message

        await self.app(scope, receive_with_limit, send)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def require_json(request: Request) -> None:
    """Dependency for routes with a JSON body: anything else is 415, not a parsing guess."""
    if not _is_json(request.headers.get("content-type", "")):
        security_event("input.rejected", reason="unsupported_media_type")
        raise Problem(415, "Send the request body as application/json.")
