# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Answers the server gives without the application: problem documents with the security
headers and a request id, like every answer of the application, and closing the connection."""

import json
from collections.abc import Iterable
from http import HTTPStatus

from starlette.types import Receive, Scope, Send

from ..context import new_request_id
from ..errors import PROBLEM_MEDIA_TYPE, problem_document
from ..observability.logging import security_event
from ..security.headers import RESPONSE_HEADERS

Headers = list[tuple[bytes, bytes]]


def closing_problem(status: int, detail: str, request_id: str) -> tuple[Headers, bytes]:
    """The headers and body of a problem answer after which the connection closes."""
    document = problem_document(status, detail, request_id)
    body = json.dumps(document, separators=(",", ":")).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        (b"x-request-id", request_id.encode()),
        *RESPONSE_HEADERS,
    ]
    return headers, body


def encoded_problem(
    status: int, detail: str, request_id: str, default_headers: Iterable[tuple[bytes, bytes]]
) -> bytes:
    """A whole HTTP/1.1 problem answer, for the protocol to write itself."""
    headers, body = closing_problem(status, detail, request_id)
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
    head.extend(name + b": " + value + b"\r\n" for name, value in (*default_headers, *headers))
    return b"".join([*head, b"\r\n", body])


async def server_busy(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands in for the application on connections beyond `APP_MAX_CONNECTIONS`."""
    request_id = new_request_id()
    security_event("server.busy", path=scope["path"], request_id=request_id)
    headers, body = closing_problem(503, "The server is busy: try again shortly.", request_id)
    headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
