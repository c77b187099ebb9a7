# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 6, rate limiting: 429 problems with headers, fair and unspoofable keys."""

import time

import pytest

from .principals import bad_credentials, credentials
from .support import UNTRUSTED_PEER, Logs, assert_problem

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("whole_minute")]

SPOOFED_HEADERS = [
    {"X-Forwarded-For": "198.51.100.1"},
    {"X-Real-IP": "198.51.100.2"},
    {"Forwarded": "for=198.51.100.3;proto=https"},
    {"X-Forwarded-For": "198.51.100.4, 127.0.0.1"},
    {"X-Client-IP": "198.51.100.5", "True-Client-IP": "198.51.100.6"},
]


async def test_default_limit_answers_429_with_headers(make_app, make_client, logs: Logs) -> None:
    app = make_app(rate_limit_default="3/minute")
    client = make_client(app)
    headers = credentials(app)

    for remaining in (2, 1, 0):
        response = await client.get("/api/v1/items", headers=headers)
        assert response.status_code == 200
        assert response.headers["x-ratelimit-limit"] == "3"
        assert response.headers["x-ratelimit-remaining"] == str(remaining)

    refused = await client.get("/api/v1/items", headers=headers)
    body = assert_problem(refused, 429)
    assert "retry" in body["detail"].lower()
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(refused.headers["x-ratelimit-reset"]) - time.time() <= 61
    assert logs.events("ratelimit.exceeded")
    # Refused before the route ran: a refused write stores nothing either.
    write = await client.post("/api/v1/items", headers=headers, json={"name": "x"})
    assert_problem(write, 429)


async def test_authenticated_callers_have_their_own_buckets(make_app, make_client) -> None:
    app = make_app(rate_limit_default="2/minute")
    client = make_client(app)  # all from the same address
    alice, bob = credentials(app, "alice"), credentials(app, "bob")
    for _ in range(2):
        assert (await client.get("/api/v1/me", headers=alice)).status_code == 200
    assert_problem(await client.get("/api/v1/me", headers=alice), 429)

    assert (await client.get("/api/v1/me", headers=bob)).status_code == 200
    assert_problem(await client.get("/api/v1/me"), 401)  # anonymous: keyed by address


async def test_a_new_token_does_not_reset_the_principals_bucket(make_app, make_client) -> None:
    app = make_app(rate_limit_default="2/minute")
    client = make_client(app)
    for _ in range(2):
        await client.get("/api/v1/me", headers=credentials(app, "alice"))
    assert_problem(await client.get("/api/v1/me", headers=credentials(app, "alice")), 429)


async def test_invalid_tokens_are_limited_by_address(make_app, make_client) -> None:
    # Invalid credentials, a different one each time, must not each get a fresh bucket.
    app = make_app(rate_limit_default="2/minute")
    client = make_client(app)
    for _ in range(2):
        response = await client.get("/api/v1/me", headers=bad_credentials(app))
        assert response.status_code == 401
    assert_problem(await client.get("/api/v1/me", headers=bad_credentials(app)), 429)


async def test_spoofed_client_headers_from_an_untrusted_peer_change_nothing(
    make_app, make_client, logs: Logs
) -> None:
    client = make_client(make_app(rate_limit_default="3/minute"), ip=UNTRUSTED_PEER)
    statuses = [
        (await client.get("/api/v1/me", headers=headers)).status_code for headers in SPOOFED_HEADERS
    ]
    assert statuses == [401, 401, 401, 429, 429]
    assert {record["client_ip"] for record in logs.access()} == {UNTRUSTED_PEER}


async def test_trusted_proxy_forwarded_address_is_the_client(
    make_app, make_client, logs: Logs
) -> None:
    client = make_client(make_app(rate_limit_default="2/minute"))  # from 127.0.0.1
    first = {"X-Forwarded-For": "198.51.100.1"}
    second = {"X-Forwarded-For": "198.51.100.2"}
    for _ in range(2):
        assert (await client.get("/api/v1/me", headers=first)).status_code == 401
    assert_problem(await client.get("/api/v1/me", headers=first), 429)
    assert (await client.get("/api/v1/me", headers=second)).status_code == 401
    assert [record["client_ip"] for record in logs.access()] == [
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.1",
        "198.51.100.2",
    ]


async def test_forwarded_chain_is_read_from_the_trusted_end(
    make_app, make_client, logs: Logs
) -> None:
    # The client wrote the left part; the proxy appended the real address on the right.
    client = make_client(make_app())
    await client.get("/api/v1/me", headers={"X-Forwarded-For": "10.9.8.7, 198.51.100.9"})
    assert logs.access()[0]["client_ip"] == "198.51.100.9"


async def test_ipv4_clients_are_counted_by_address(make_app, make_client) -> None:
    app = make_app(rate_limit_default="1/minute")
    for host in ("198.51.100.1", "198.51.100.2", "::ffff:198.51.100.3"):
        client = make_client(app, ip=host)
        assert (await client.get("/api/v1/me")).status_code == 401, host
    mapped = make_client(app, ip="::ffff:198.51.100.1")  # the same client as 198.51.100.1
    assert_problem(await mapped.get("/api/v1/me"), 429)


async def test_health_routes_are_not_rate_limited(make_app, make_client) -> None:
    client = make_client(make_app(rate_limit_default="1/minute"))
    for _ in range(5):
        for path in ("/health/live", "/health/ready"):
            response = await client.get(path)
            assert response.status_code == 200
            assert "x-ratelimit-limit" not in response.headers
