# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Answers the server gives without the application: problem documents with the security
headers and a request id (and HSTS over HTTPS), like every answer of the application, and
closing the connection."""

import json
from collections.abc import Iterable
from functools import cache
from http import HTTPStatus

from starlette.types import Receive, Scope, Send

from ..context import new_request_id
from ..errors import PROBLEM_MEDIA_TYPE, problem_document
from ..observability.logging import security_event
from ..security.headers import RESPONSE_HEADERS, strict_transport_security
from .limits import process_settings

Headers = list[tuple[bytes, bytes]]


@cache
def https_headers() -> Headers:
    """What the answers add over HTTPS: HSTS, as this process's settings set it."""
    return [strict_transport_security(process_settings().hsts_max_age)]


def closing_problem(
    status: int, detail: str, request_id: str, *, https: bool
) -> tuple[Headers, bytes]:
    """The headers and body of a problem answer after which the connection closes; `https`
    when the connection is TLS."""
    document = problem_document(status, detail, request_id)
    body = json.dumps(document, separators=(",", ":")).encode()
    headers = [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        (b"x-request-id", request_id.encode()),
        *RESPONSE_HEADERS,
        *(https_headers() if https else ()),
    ]
    return headers, body


def encoded_problem(
    status: int,
    detail: str,
    request_id: str,
    default_headers: Iterable[tuple[bytes, bytes]],
    *,
    https: bool,
) -> bytes:
    """A whole HTTP/1.1 problem answer, for the protocol to write itself."""
    headers, body = closing_problem(status, detail, request_id, https=https)
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n".encode()]
    head.extend(name + b": " + value + b"\r\n" for name, value in (*default_headers, *headers))
    return b"".join([*head, b"\r\n", body])


async def server_busy(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands in for the application on connections beyond `APP_MAX_CONNECTIONS`."""
    request_id = new_request_id()
    security_event("server.busy", path=scope["path"], request_id=request_id)
    headers, body = closing_problem(
        503, "The server is busy: try again shortly.", request_id, https=scope["scheme"] == "https"
    )
    headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
