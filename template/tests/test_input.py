# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 3, input validation: strict models, bounds, body size, content type, no echo."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from .principals import credentials
from .support import Logs, asgi_call, assert_problem

pytestmark = pytest.mark.anyio

SECRET = "hunter2-Sup3r-S3cret-Value"


async def stored_items(client, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await client.get("/api/v1/items", headers=headers)
    assert response.status_code == 200
    items: list[dict[str, object]] = response.json()
    return items


async def test_extra_fields_are_rejected_and_nothing_is_stored(app, client) -> None:
    headers = credentials(app)
    for payload in (
        {"name": "x", "owner": "bob"},
        {"name": "x", "id": "00000000-0000-0000-0000-000000000000"},
        {"name": "x", "is_admin": True},
    ):
        response = await client.post("/api/v1/items", headers=headers, json=payload)
        body = assert_problem(response, 422)
        assert body["errors"][0]["type"] == "extra_forbidden"
    assert await stored_items(client, headers) == []


async def test_item_field_bounds(app, client) -> None:
    headers = credentials(app)
    cases: list[tuple[dict[str, object], int]] = [
        ({"name": ""}, 422),
        ({"name": "   "}, 422),
        ({"name": "x" * 101}, 422),
        ({"name": "x" * 100}, 201),
        ({"name": "x"}, 201),
        ({"name": "x", "description": "d" * 1001}, 422),
        ({"name": "x", "description": "d" * 1000}, 201),
        ({"name": "x", "description": None}, 201),
        ({"name": 5}, 422),
        ({"name": ["x"]}, 422),
        ({}, 422),
    ]
    for payload, status in cases:
        response = await client.post("/api/v1/items", headers=headers, json=payload)
        assert response.status_code == status, (payload, response.text)
    created = [status for _, status in cases if status == 201]
    assert len(await stored_items(client, headers)) == len(created)


async def test_list_query_bounds(app, client) -> None:
    headers = credentials(app)
    for query in ("limit=101", "limit=0", "limit=-1", "limit=abc", "offset=-1", "offset=1000001"):
        response = await client.get(f"/api/v1/items?{query}", headers=headers)
        body = assert_problem(response, 422)
        assert body["errors"][0]["loc"][0] == "query", query


async def test_list_limit_at_the_bound_is_accepted(app, client) -> None:
    response = await client.get("/api/v1/items?limit=100&offset=0", headers=credentials(app))
    assert response.status_code == 200


async def test_validation_errors_never_echo_the_input(app, client, logs: Logs) -> None:
    payloads: list[dict[str, object]] = [
        {"name": "ok", "password": SECRET},  # an unexpected field
        {"nam": SECRET},  # the required field is missing: frameworks echo the whole body
        {"name": SECRET * 10},  # too long
        {"name": {"nested": SECRET}},  # wrong type
        {"name": "ok", "description": [SECRET]},
    ]
    for payload in payloads:
        response = await client.post("/api/v1/items", headers=credentials(app), json=payload)
        body = assert_problem(response, 422)
        assert SECRET not in response.text, payload
        assert body["errors"]
        assert all({"loc", "msg", "type"} <= error.keys() for error in body["errors"])
        assert all("input" not in error and "ctx" not in error for error in body["errors"])
    assert SECRET not in logs.text()
    assert len(logs.events("input.rejected")) == len(payloads)


async def test_invalid_path_parameter_is_not_echoed(app, client) -> None:
    response = await client.get(f"/api/v1/items/{SECRET}", headers=credentials(app))
    assert_problem(response, 422)
    assert SECRET not in response.text


async def test_malformed_json_is_422_without_echo(app, client) -> None:
    response = await client.post(
        "/api/v1/items",
        headers={**credentials(app), "Content-Type": "application/json"},
        content=b'{"name": "' + SECRET.encode() + b'"',
    )
    assert_problem(response, 422)
    assert SECRET not in response.text


async def test_body_over_the_limit_by_content_length_is_413(
    make_app, make_client, logs: Logs
) -> None:
    app = make_app(max_body_bytes=1024)
    client = make_client(app)
    headers = credentials(app)
    response = await client.post(
        "/api/v1/items", headers=headers, json={"name": "x", "description": "d" * 1100}
    )
    assert_problem(response, 413)
    assert {"reason": "body_too_large"}.items() <= logs.events("input.rejected")[0].items()
    assert await stored_items(client, headers) == []


async def test_an_over_limit_content_length_is_refused_before_the_body_is_read(make_app) -> None:
    app = make_app(max_body_bytes=1024)
    reads = 0

    async def receive() -> dict[str, object]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 2000, "more_body": False}

    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"content-length", b"2000"),
        *((name.lower().encode(), value.encode()) for name, value in credentials(app).items()),
    ]
    status, _ = await asgi_call(
        app, "POST", b"/api/v1/items", headers=headers, receive=receive, scheme="https"
    )
    assert status == 413
    assert reads == 0


async def test_chunked_body_over_the_limit_is_413(make_app, make_client) -> None:
    app = make_app(max_body_bytes=1024)
    client = make_client(app)
    headers = credentials(app)
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "x", "description": "'
        for _ in range(64):
            sent.append(1)
            yield b"d" * 100
        yield b'"}'

    response = await client.post(
        "/api/v1/items", headers={**headers, "Content-Type": "application/json"}, content=chunks()
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)
    assert len(sent) < 64, "the whole body was read before refusing it"
    assert await stored_items(client, headers) == []


async def test_body_longer_than_its_content_length_is_413(make_app, make_client) -> None:
    # The declared length passes the first check; the bytes that arrive are counted anyway.
    app = make_app(max_body_bytes=1024)
    client = make_client(app)
    headers = credentials(app)
    body = b'{"name": "x", "description": "' + b"d" * 900 + b'"}' + b" " * 2000
    response = await client.post(
        "/api/v1/items",
        headers={**headers, "Content-Type": "application/json", "Content-Length": "10"},
        content=body,
    )
    assert_problem(response, 413)
    assert await stored_items(client, headers) == []


async def test_body_exactly_at_the_limit_is_accepted(make_app, make_client) -> None:
    app = make_app(max_body_bytes=1024)
    client = make_client(app)
    body = json.dumps({"name": "x", "description": "d" * 990}).encode()
    body += b" " * (1024 - len(body))  # JSON allows trailing whitespace
    response = await client.post(
        "/api/v1/items",
        headers={**credentials(app), "Content-Type": "application/json"},
        content=body,
    )
    assert len(body) == 1024
    assert response.status_code == 201, response.text


# A body of many unknown keys: cheap to send, costly to validate and to report field by field.
FLOOD = json.dumps({f"k{i}": 1 for i in range(80_000)}).encode()  # about 1 MiB
# Routes with a small body limit (`max_body_size=SMALL_JSON_BODY`); the auth choice's own are
# in its test files.
SMALL_BODY_ROUTES = ["/api/v1/items"]


async def assert_flood_refused(
    app: FastAPI, client: httpx.AsyncClient, logs: Logs, path: str
) -> None:
    """A FLOOD posted to `path` is refused with a short 413 before it is parsed."""
    response = await client.post(
        path, headers={**credentials(app), "Content-Type": "application/json"}, content=FLOOD
    )
    assert_problem(response, 413)
    assert len(response.content) < 1000
    assert logs.events("input.rejected")[0]["reason"] == "body_too_large"


@pytest.mark.parametrize("path", SMALL_BODY_ROUTES)
async def test_small_json_routes_refuse_a_large_body_before_parsing_it(
    app, client, logs: Logs, path: str
) -> None:
    await assert_flood_refused(app, client, logs, path)


async def test_small_json_routes_count_chunked_bodies_too(app, client) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(FLOOD), 8192):
            yield FLOOD[start : start + 8192]

    response = await client.post(
        "/api/v1/items",
        headers={**credentials(app), "Content-Type": "application/json"},
        content=chunks(),
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


async def test_a_route_of_yours_declares_its_own_body_limit(make_app, make_client) -> None:
    app = make_app()

    @app.post("/notes/{note_id}", max_body_size=100)
    async def note(note_id: int, body: dict[str, str]) -> dict[str, int]:
        return {"id": note_id}

    client = make_client(app)
    small = await client.post("/notes/1", json={"text": "short"})
    assert small.status_code == 200
    assert_problem(await client.post("/notes/1", json={"text": "x" * 200}), 413)


async def test_many_invalid_fields_get_the_first_few_and_a_count(app, client) -> None:
    body = {f"k{i}": 1 for i in range(1000)}  # 1,000 unknown keys, and no name
    response = await client.post("/api/v1/items", headers=credentials(app), json=body)
    problem = assert_problem(response, 422)
    assert len(problem["errors"]) == 10
    assert problem["error_count"] == 1001
    assert len(response.content) < 2000


async def test_json_routes_refuse_other_content_types(app, client, logs: Logs) -> None:
    headers = credentials(app)
    refused = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "text/json",
        "",
    ]
    for content_type in refused:
        response = await client.post(
            "/api/v1/items",
            headers={**headers, "Content-Type": content_type},
            content=b'{"name": "x"}',
        )
        assert_problem(response, 415)
    events = logs.events("input.rejected")
    assert [event["reason"] for event in events] == ["unsupported_media_type"] * len(refused)
    assert await stored_items(client, headers) == []

    for content_type in (
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/x+json",
    ):
        response = await client.post(
            "/api/v1/items",
            headers={**headers, "Content-Type": content_type},
            content=b'{"name": "x"}',
        )
        assert response.status_code == 201, (content_type, response.text)
