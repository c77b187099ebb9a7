# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 1, HTTPS: plain HTTP refused or redirected before auth, HSTS, trusted Host, proxies."""

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from .principals import credentials
from .support import UNTRUSTED_PEER, assert_problem, raw_get

pytestmark = pytest.mark.anyio

HSTS = "strict-transport-security"


async def test_plain_http_with_valid_token_is_still_refused(app, make_client) -> None:
    response = await make_client(app, scheme="http").get("/api/v1/me", headers=credentials(app))
    assert_problem(response, 403)


async def test_https_redirect_for_safe_methods_only(make_app, make_client) -> None:
    client = make_client(make_app(https_redirect=True), scheme="http")
    for method in ("GET", "HEAD"):
        response = await client.request(method, "/api/v1/items?limit=5&offset=1")
        assert response.status_code == 308, method
        assert response.headers["location"] == "https://testserver/api/v1/items?limit=5&offset=1"
        assert HSTS not in response.headers
    # A redirected POST would already have sent its body (credentials) in clear text.
    for method in ("POST", "DELETE", "PUT", "PATCH"):
        response = await client.request(method, "/api/v1/items", json={"name": "x"})
        assert_problem(response, 403)
        assert "location" not in response.headers


async def test_https_redirect_goes_to_the_host_without_the_clients_port(
    make_app, make_client
) -> None:
    client = make_client(make_app(https_redirect=True), scheme="http")
    response = await client.get("/api/v1/me", headers={"Host": "testserver:8080"})
    assert response.status_code == 308
    assert response.headers["location"] == "https://testserver/api/v1/me"
    foreign = await client.get("/api/v1/me", headers={"Host": "evil.example"})
    assert_problem(foreign, 400)  # never an open redirect to a host we do not serve
    assert "location" not in foreign.headers


async def test_hsts_on_https_responses_success_and_error(app, client) -> None:
    for response in (await client.get("/health/live"), await client.get("/no/such/route")):
        assert response.headers[HSTS] == "max-age=63072000"


async def test_hsts_on_https_500_responses(app, client) -> None:
    async def crash() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/crash", crash)
    response = await client.get("/crash")
    assert response.status_code == 500
    assert response.headers.get(HSTS) == "max-age=63072000"


async def test_hsts_max_age_comes_from_settings(make_app, make_client) -> None:
    response = await make_client(make_app(hsts_max_age=300)).get("/health/live")
    assert response.headers[HSTS] == "max-age=300"


async def test_health_routes_answer_over_plain_http_without_hsts(app, make_client) -> None:
    client = make_client(app, scheme="http")
    for path in ("/health/live", "/health/ready"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert HSTS not in response.headers
    # Only that prefix is exempt.
    for path in ("/health", "/healthz", "/api/v1/health/live", "/metrics"):
        assert_problem(await client.get(path), 403)


async def test_forwarded_proto_https_is_honoured_from_the_trusted_proxy(app, make_client) -> None:
    client = make_client(app, scheme="http")  # 127.0.0.1, in APP_FORWARDED_ALLOW_IPS
    response = await client.get(
        "/api/v1/me", headers={**credentials(app), "X-Forwarded-Proto": "https"}
    )
    assert response.status_code == 200
    assert response.headers[HSTS] == "max-age=63072000"


async def test_forwarded_proto_https_is_ignored_from_an_untrusted_peer(app, make_client) -> None:
    client = make_client(app, ip=UNTRUSTED_PEER, scheme="http")
    response = await client.get(
        "/api/v1/me", headers={**credentials(app), "X-Forwarded-Proto": "https"}
    )
    assert_problem(response, 403)
    assert HSTS not in response.headers


async def test_forwarded_proto_http_from_the_proxy_downgrades_to_refusal(app, make_client) -> None:
    # The proxy says the client spoke plain HTTP: the TLS hop to us does not count.
    response = await make_client(app).get("/api/v1/me", headers={"X-Forwarded-Proto": "http"})
    assert_problem(response, 403)


async def test_unknown_host_is_refused(app, make_client) -> None:
    hosts = ["evil.example", "testserver.evil.example", "evil-testserver", "127.0.0.1", "localhost"]
    for scheme in ("https", "http"):
        client = make_client(app, scheme=scheme)
        for host in hosts:
            response = await client.get("/health/live", headers={"Host": host})
            body = assert_problem(response, 400)
            assert host not in body["detail"]


async def test_wildcard_allowed_hosts(make_app, make_client) -> None:
    client = make_client(make_app(allowed_hosts=["*.example.com"]))
    expected = {
        "api.example.com": 200,
        "a.b.example.com": 200,
        "API.Example.COM": 200,
        "api.example.com:8443": 200,
        "example.com": 400,
        "evilexample.com": 400,
        "api.example.com.evil.net": 400,
        "example.net": 400,
        "testserver": 400,
    }
    statuses = {
        host: (await client.get("/health/live", headers={"Host": host})).status_code
        for host in expected
    }
    assert statuses == expected


HOST_ATTACKS = [
    "evil.com/.example.com",
    "evil.com?.example.com",
    "evil.com#.example.com",
    "evil.com\\.example.com",
    "evil.com@api.example.com",
    "api.example.com:@evil.com",
    "api.example.com:99999",
    "api.example.com:",
    "api..example.com",
    "-api.example.com",
    "[zz::1]",
    "",
]


@pytest.mark.parametrize("host", HOST_ATTACKS)
async def test_hosts_outside_the_host_grammar_are_refused_and_never_redirected(
    make_app, make_client, host: str
) -> None:
    app = make_app(allowed_hosts=["*.example.com", "api.example.com"], https_redirect=True)
    client = make_client(app, scheme="http")
    response = await client.get("/api/v1/me", headers={"Host": host})
    assert_problem(response, 400)
    assert "location" not in response.headers


async def test_ip_literal_hosts_with_ports(make_app, make_client) -> None:
    client = make_client(make_app(allowed_hosts=["[::1]", "127.0.0.1"]))
    for host in ("[::1]", "[::1]:8443", "127.0.0.1", "127.0.0.1:8000"):
        assert (await client.get("/health/live", headers={"Host": host})).status_code == 200
    for host in ("[::2]", "127.0.0.2", "[::1]x"):
        assert_problem(await client.get("/health/live", headers={"Host": host}), 400)


@pytest.mark.parametrize("target", [b"*@evil.example/x", b"//evil.example/x", b"evil.example"])
async def test_https_redirect_only_for_a_path_target(make_app, target: bytes) -> None:
    app = make_app(https_redirect=True)
    status, headers = await raw_get(app, target, host=b"testserver")
    assert status == 400
    assert b"location" not in headers


async def test_no_server_header_even_when_a_route_sets_one(app, client) -> None:
    async def leaky() -> PlainTextResponse:
        return PlainTextResponse("hi", headers={"Server": "framework/1.2.3"})

    app.add_api_route("/leaky", leaky)
    for path in ("/leaky", "/health/live", "/no/such/route"):
        response = await client.get(path)
        assert "server" not in response.headers


async def test_development_allows_plain_http(make_app, make_client) -> None:
    development: FastAPI = make_app(env="development")
    response = await make_client(development, scheme="http").get("/api/v1/me")
    assert_problem(response, 401)  # reached auth: plain HTTP is allowed in development
    assert HSTS not in response.headers
