# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Exception handling: every error leaves the service as RFC 9457 `application/problem+json`."""

import itertools
import socket
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from .context import current_request_id
from .observability.logging import security_event

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_REPORTED_ERRORS = 10
UNAVAILABLE = "The service is unavailable; try again later."
# Raised while connecting: refused, timed out, unknown host; or no pooled connection came free.
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, PoolTimeoutError)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(Exception):  # noqa: N818 - it is a problem document, not only an error
    """Raise to answer with a problem document; `detail` must be safe to show to clients."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    body = problem_document(status, detail, current_request_id(), **extensions)
    return ProblemResponse(body, status_code=status, headers=headers)


def problem_document(
    status: int, detail: str, request_id: str | None, **extensions: Any
) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": request_id,
        **extensions,
    }


async def send_problem(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer from pure ASGI middleware, before the request reaches the application."""
    await problem_response(status, detail, headers=headers)(scope, receive, send)


async def _handle_problem(_: Request, exc: Problem) -> ProblemResponse:
    return problem_response(exc.status, exc.detail, headers=exc.headers, **exc.extensions)


async def _handle_http_exception(_: Request, exc: StarletteHTTPException) -> ProblemResponse:
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    return problem_response(status, detail, headers=exc.headers)


async def _handle_validation_error(_: Request, exc: RequestValidationError) -> ProblemResponse:
    # Field locations and messages only: the submitted input is never echoed. A body of many
    # bad fields gets the first few and a count, not an answer larger than itself.
    found = exc.errors()
    errors = [
        {"loc": [str(part) for part in error["loc"]], "msg": error["msg"], "type": error["type"]}
        for error in itertools.islice(found, MAX_REPORTED_ERRORS)
    ]
    security_event("input.rejected", reason="invalid_fields", fields=len(found))
    return problem_response(422, "The request is not valid.", errors=errors, error_count=len(found))


def register_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _handle_problem)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _handle_validation_error)  # type: ignore[arg-type]


def database_unavailable(error: Exception) -> bool:
    """The database could not be reached, refused or dropped the connection, or had none free
    in time: the request may succeed later. A failing query, by contrast, is a bug."""
    if isinstance(error, DBAPIError):
        # A driver error without a statement came while connecting.
        return error.connection_invalidated or error.statement is None
    return isinstance(error, UNREACHABLE)


async def internal_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """The answer to an unhandled exception: generic, with nothing about its cause (not even
    which dependency failed); 503 when the database is unavailable, else 500."""
    if database_unavailable(error):
        await send_problem(scope, receive, send, 503, UNAVAILABLE)
    else:
        await send_problem(scope, receive, send, 500, "An internal error occurred.")
