# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`serve` over real HTTP: the uvicorn settings the other tests cannot see."""

import httpx


def test_the_server_sends_no_server_header(served: httpx.Client) -> None:
    response = served.get("/health/live")
    assert response.status_code == 200
    assert "server" not in response.headers
    assert response.headers["x-request-id"]


def test_the_server_trusts_forwarded_headers_only_through_the_application(
    served: httpx.Client,
) -> None:
    # uvicorn's own proxy handling is off: the app applies APP_FORWARDED_ALLOW_IPS itself.
    https = served.get("/api/v1/me", headers={"X-Forwarded-Proto": "https"})
    assert https.status_code == 401  # reached authentication: HTTPS as the proxy said
    assert https.headers["strict-transport-security"]
    plain = served.get("/api/v1/me")
    assert plain.status_code == 403  # plain HTTP, refused before authentication
