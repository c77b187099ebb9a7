# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`serve` over real HTTP: the uvicorn settings the other tests cannot see."""

import httpx


def test_the_server_sends_no_server_header(served: httpx.Client) -> None:
    response = served.get("/health/live")
    assert response.status_code == 200
    assert "server" not in response.headers
    assert response.headers["x-request-id"]
