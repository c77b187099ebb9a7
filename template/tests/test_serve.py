# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`serve` over real HTTP: the uvicorn settings the other tests cannot see."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .package import main, upgrade
from .principals import production_settings

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[httpx.Client]:
    """`<service> serve` in production mode, in its own process, on a free local port."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    upgrade(url)
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("APP_")},
        **{f"APP_{key.upper()}": str(value) for key, value in production_settings().items()},
        "APP_ENV": "production",
        "APP_ALLOWED_HOSTS": "127.0.0.1",
        "APP_DATABASE_URL": url,
        "APP_PORT": str(port),
        "APP_SECRETS_DIR": str(tmp_path / "no-secrets-here"),
    }
    package = main.__module__.split(".")[0]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
        [sys.executable, "-m", package, "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + STARTUP_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    client.get("/health/live")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert process.poll() is None, "serve exited before answering"
            yield client
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


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
