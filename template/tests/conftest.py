# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Shared fixtures: explicit settings, a migrated SQLite database, the app, clients, users.

Every test runs in-process (httpx + ASGI transport) against the real application stack: real
middleware, database and authentication. Neither the developer's `.env` nor their `APP_*`
environment variables reach a test.
"""

import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI

from .package import Settings, create_app, main, services_of, upgrade
from .principals import READ_WRITE, SUBJECTS, USERS, production_settings, seed
from .support import TRUSTED_PROXY, Logs

ClientFactory = Callable[..., httpx.AsyncClient]
SERVE_STARTUP_SECONDS = 30
# A test that counts rate-limited hits finishes within this many seconds.
MINUTE_MARGIN_SECONDS = 5

# The test client's own request log is not the service's: keep it out of the sinks we check.
logging.getLogger("httpx").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer `APP_*` variable, `.env` or `/run/secrets` file reaches a test."""
    for name in list(os.environ):
        if name.startswith("APP_") and not name.startswith("APP_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("APP_SECRETS_DIR", str(tmp_path / "no-secrets-here"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def whole_minute() -> None:
    """For tests that count hits against a per-minute limit: start well inside a minute.

    The limiter estimates a sliding window from two fixed ones, and just after a boundary the
    estimate lets one more hit through. A test that crossed a boundary would see that, so one
    that starts in the last seconds of a minute waits for the next.
    """
    into_minute = time.time() % 60
    if into_minute > 60 - MINUTE_MARGIN_SECONDS:
        time.sleep(60 - into_minute + 0.05)


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A safe production environment for the commands; returns the path of its (empty)
    SQLite database."""
    database = tmp_path / "cli.db"
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_ALLOWED_HOSTS", "api.example.com")
    for key, value in production_settings().items():
        monkeypatch.setenv(f"APP_{key.upper()}", str(value))
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    return database


def explicit_settings(database_url: str, **values: Any) -> Settings:
    """Settings built from `values` alone: no environment, `.env` or secret files."""
    return Settings(_env_file=None, database_url=database_url, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per session, with the USERS created (seeding can be slow on purpose)."""
    path = tmp_path_factory.mktemp("seed") / "app.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    SUBJECTS.update(anyio.run(seed, explicit_settings(url, env="test"), USERS))
    return path


@pytest.fixture
def database_url(seeded_database: Path, tmp_path: Path) -> str:
    """A private copy of the migrated and seeded database for one test."""
    for source in seeded_database.parent.iterdir():
        shutil.copyfile(source, tmp_path / source.name)
    return f"sqlite+aiosqlite:///{tmp_path / seeded_database.name}"


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    """Production settings built explicitly; keyword arguments override single fields."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "production",
            "allowed_hosts": ["testserver"],
            **production_settings(),
            **overrides,
        }
        return explicit_settings(values.pop("database_url", database_url), **values)

    return factory


@pytest.fixture
def logs() -> Iterator[Logs]:
    captured = Logs()
    yield captured
    captured.detach()


@pytest.fixture
async def make_app(
    make_settings: Callable[..., Settings], logs: Logs
) -> AsyncIterator[Callable[..., FastAPI]]:
    """`make_app(**setting_overrides)`: a fully wired app on this test's database."""
    apps: list[FastAPI] = []

    def factory(**overrides: Any) -> FastAPI:
        with logs.capture_stdout():
            app = create_app(make_settings(**overrides))
        logs.attach()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        await services_of(app).close()


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
async def make_client() -> AsyncIterator[ClientFactory]:
    """`make_client(app, ip=..., scheme=...)`: a client that calls `app` in-process.

    `ip` is the TCP peer the application sees; 127.0.0.1 is the trusted proxy by default.
    """
    clients: list[httpx.AsyncClient] = []

    def factory(
        app: FastAPI, *, ip: str = TRUSTED_PROXY, scheme: str = "https"
    ) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        client = httpx.AsyncClient(transport=transport, base_url=f"{scheme}://testserver")
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
def client(make_client: ClientFactory, app: FastAPI) -> httpx.AsyncClient:
    return make_client(app)


@pytest.fixture
def make_user(database_url: str) -> Callable[..., Awaitable[None]]:
    """`await make_user(username, scopes)`: one more principal, made the real way."""

    async def factory(username: str, scopes: tuple[str, ...] = READ_WRITE) -> None:
        settings = explicit_settings(database_url, env="test")
        SUBJECTS.update(await seed(settings, {username: scopes}))

    return factory


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[httpx.Client]:
    """`<service> serve` in production mode, in its own process, on a free local port."""
    with serving(tmp_path) as client:
        yield client


@contextlib.contextmanager
def serving(folder: Path, **settings: str) -> Iterator[httpx.Client]:
    """Run `<service> serve` in production mode with these `APP_*` settings on top, with its
    database and log in `folder`; yield a client of it once it answers."""
    url = f"sqlite+aiosqlite:///{folder / 'serve.db'}"
    upgrade(url)
    anyio.run(seed, explicit_settings(url, env="test"), USERS)
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("APP_")},
        **{f"APP_{key.upper()}": str(value) for key, value in production_settings().items()},
        "APP_ENV": "production",
        "APP_ALLOWED_HOSTS": "127.0.0.1",
        "APP_DATABASE_URL": url,
        "APP_PORT": str(port),
        "APP_SECRETS_DIR": str(folder / "no-secrets-here"),
        **{f"APP_{key.upper()}": value for key, value in settings.items()},
    }
    package = main.__module__.split(".")[0]
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
            [sys.executable, "-m", package, "serve"],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + SERVE_STARTUP_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    client.get("/health/live")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert process.poll() is None, f"serve exited before answering:\n{log.read_text()}"
            yield client
    finally:
        process.terminate()
        process.wait(timeout=15)
