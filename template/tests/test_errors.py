# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 5, exception handling: every error is a problem document; 500s reveal nothing."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from .principals import bad_credentials, credentials
from .support import Logs, assert_problem

pytestmark = pytest.mark.anyio

SECRET = "postgres://admin:Pa55w0rd-in-an-error@db.internal/prod"

Request = Callable[[FastAPI, httpx.AsyncClient], Awaitable[httpx.Response]]


async def bad_host(_: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v1/me", headers={"Host": "evil.example"})


async def unauthenticated(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v1/me", headers=bad_credentials(app))


async def missing_scope(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.delete(f"/api/v1/items/{uuid.uuid4()}", headers=credentials(app, "reader"))


async def no_such_route(_: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v2/everything")


async def no_such_item(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(f"/api/v1/items/{uuid.uuid4()}", headers=credentials(app))


async def wrong_method(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.put("/api/v1/items", headers=credentials(app), json={"name": "x"})


async def too_large(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    body = {"name": "x", "description": "d" * 2_000_000}
    return await client.post("/api/v1/items", headers=credentials(app), json=body)


async def wrong_media_type(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/api/v1/items", headers=credentials(app), data={"name": "x"})


async def invalid(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    return await client.post("/api/v1/items", headers=credentials(app), json={"name": ""})


async def crash(app: FastAPI, client: httpx.AsyncClient) -> httpx.Response:
    async def broken() -> None:
        raise RuntimeError(SECRET)

    app.add_api_route("/broken", broken)
    return await client.get("/broken")


ERRORS: dict[str, tuple[Request, int]] = {
    "bad_host": (bad_host, 400),
    "unauthenticated": (unauthenticated, 401),
    "missing_scope": (missing_scope, 403),
    "no_such_route": (no_such_route, 404),
    "no_such_item": (no_such_item, 404),
    "wrong_method": (wrong_method, 405),
    "too_large": (too_large, 413),
    "wrong_media_type": (wrong_media_type, 415),
    "invalid": (invalid, 422),
    "crash": (crash, 500),
}


async def test_every_error_is_a_problem_document(app, client) -> None:
    for case, (send, status) in ERRORS.items():
        response = await send(app, client)
        assert response.status_code == status, case
        body = assert_problem(response, status)
        assert body["type"] == "about:blank"
        assert isinstance(body["title"], str)
        assert body["title"]
        assert isinstance(body["detail"], str)
        assert body["detail"]


async def test_http_exception_from_the_framework_is_a_problem(app, client) -> None:
    response = await client.post("/api/v1/me", headers=credentials(app))
    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert "allow" in response.headers


async def test_unhandled_error_is_a_generic_500(app, client, logs: Logs) -> None:
    response = await crash(app, client)
    body = assert_problem(response, 500)
    assert body["detail"] == "An internal error occurred."
    assert SECRET not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] == body["request_id"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"].startswith("max-age=")

    text = logs.text()
    assert "Traceback" in text
    assert f"RuntimeError: {SECRET}" in text
    assert body["request_id"] in text  # the log line can be found from the client's report
    (record,) = logs.access()
    assert (record["route"], record["status"]) == ("/broken", 500)


async def test_failure_after_the_response_started_is_logged_not_resent(app, logs: Logs) -> None:
    """Called through raw ASGI: an HTTP client cannot show a response that was cut off."""

    async def stream() -> AsyncIterator[bytes]:
        yield b"partial "
        raise RuntimeError(SECRET)

    async def streaming() -> StreamingResponse:
        return StreamingResponse(stream(), media_type="text/plain")

    app.add_api_route("/stream", streaming)
    messages: list[dict[str, Any]] = []
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if requested:
            await anyio.sleep_forever()
        requested = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/stream",
        "raw_path": b"/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 443),
    }
    await app(scope, receive, send)

    starts = [message for message in messages if message["type"] == "http.response.start"]
    assert [start["status"] for start in starts] == [200]  # no second response is attempted
    assert messages[-1] == {"type": "http.response.body", "body": b"partial ", "more_body": True}
    assert "Traceback" in logs.text()  # left incomplete: the server aborts the connection
    assert logs.access()[0]["status"] == 500
