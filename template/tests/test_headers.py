# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Security headers on every response, errors and crashes included; CORS only where configured."""

from typing import NamedTuple

import pytest
from fastapi import FastAPI

from .principals import credentials

pytestmark = pytest.mark.anyio

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}
ORIGIN = "https://app.example.com"


ITEM = {"name": "a name longer than sixteen bytes"}


class Case(NamedTuple):
    method: str
    path: str
    caller: str | None = None
    json: object = None
    content: bytes | None = None
    headers: dict[str, str] | None = None
    settings: dict[str, object] | None = None


RESPONSES = {
    200: Case("GET", "/api/v1/me", "alice"),
    201: Case("POST", "/api/v1/items", "alice", json=ITEM),
    204: Case("DELETE", "/api/v1/items/{item}", "alice"),
    400: Case("GET", "/api/v1/me", headers={"Host": "evil.example"}),
    401: Case("GET", "/api/v1/me"),
    403: Case("POST", "/api/v1/items", "reader", json=ITEM),
    404: Case("GET", "/nowhere"),
    413: Case("POST", "/api/v1/items", "alice", json=ITEM, settings={"max_body_bytes": 16}),
    415: Case("POST", "/api/v1/items", "alice", content=b"{}"),
    422: Case("POST", "/api/v1/items", "alice", json={}),
    429: Case("GET", "/api/v1/me", "alice", settings={"rate_limit_default": "1/minute"}),
    500: Case("GET", "/crash"),
}


async def crash() -> None:
    raise RuntimeError("boom")


@pytest.mark.usefixtures("whole_minute")
@pytest.mark.parametrize("status", RESPONSES)
async def test_security_headers_on_every_response(make_app, make_client, status: int) -> None:
    case = RESPONSES[status]
    app: FastAPI = make_app(**(case.settings or {}))
    app.add_api_route("/crash", crash)
    client = make_client(app)
    path = case.path
    if status in {204, 429}:  # an item to delete; or the one request the limit allows
        created = await client.post("/api/v1/items", headers=credentials(app), json=ITEM)
        path = path.format(item=created.json()["id"])
    headers = {**(credentials(app, case.caller) if case.caller else {}), **(case.headers or {})}

    response = await client.request(
        case.method, path, headers=headers, json=case.json, content=case.content
    )

    assert response.status_code == status, response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "camera=()" in response.headers["permissions-policy"]
    assert "geolocation=()" in response.headers["permissions-policy"]
    assert response.headers["strict-transport-security"] == "max-age=63072000"
    assert "server" not in response.headers
    assert response.headers["x-request-id"]


async def test_no_cors_headers_without_configured_origins(app, client) -> None:
    response = await client.get("/health/live", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/api/v1/items",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_only_the_configured_origins(make_app, make_client) -> None:
    app = make_app(cors_origins=[ORIGIN])
    client = make_client(app)

    allowed = await client.get("/api/v1/me", headers={**credentials(app), "Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in allowed.headers
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()

    for origin in ("https://evil.example", "https://app.example.com.evil.example", "null"):
        refused = await client.get("/api/v1/me", headers={**credentials(app), "Origin": origin})
        assert "access-control-allow-origin" not in refused.headers, origin


async def test_cors_preflight(make_app, make_client) -> None:
    client = make_client(make_app(cors_origins=[ORIGIN]))
    request = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }

    allowed = await client.options("/api/v1/items", headers={**request, "Origin": ORIGIN})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers.get("access-control-allow-credentials") != "true"
    assert allowed.headers["x-content-type-options"] == "nosniff"

    refused = await client.options(
        "/api/v1/items", headers={**request, "Origin": "https://evil.example"}
    )
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["x-content-type-options"] == "nosniff"


async def test_cors_never_allows_any_origin_with_credentials(make_app, make_client) -> None:
    # Even a development app told to allow every origin never pairs `*` with credentials.
    client = make_client(make_app(env="development", cors_origins=["*"]))
    response = await client.get(
        "/health/live", headers={"Origin": "https://evil.example", "Cookie": "session=1"}
    )
    assert response.headers.get("access-control-allow-credentials") != "true"
    assert response.headers.get("access-control-allow-origin") in {None, "*"}
