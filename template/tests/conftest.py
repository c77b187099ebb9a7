# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Shared fixtures: explicit settings, a migrated database per test, the app, clients, users.

Every test runs in-process (httpx + ASGI transport) against the real application stack: real
middleware, database and authentication. Neither the developer's `.env` nor their `APP_*`
environment variables reach a test.
"""

import contextlib
import logging
import os
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

from .databases import copy_of, drop_all, empty_database
from .limiter_storage import storage_settings
from .package import Settings, create_app, main, services_of, upgrade
from .principals import READ_WRITE, SUBJECTS, USERS, production_settings, seed
from .sink_lines import written
from .support import TRUSTED_PROXY, Logs
from .tls_files import SCHEME, client_options, tls_settings

ClientFactory = Callable[..., httpx.AsyncClient]
SERVE_STARTUP_SECONDS = 60
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


def deploy_settings(folder: Path) -> dict[str, Any]:
    """What this service's options need to pass the production checks (field names), with
    any files they need in `folder`."""
    return {**production_settings(), **storage_settings(), **tls_settings(folder)}


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A safe production environment for the commands; yields the URL of its (empty)
    database."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_ALLOWED_HOSTS", "api.example.com")
    for key, value in deploy_settings(tmp_path).items():
        monkeypatch.setenv(f"APP_{key.upper()}", str(value))
    with empty_database(tmp_path, "cli") as url:
        monkeypatch.setenv("APP_DATABASE_URL", url)
        yield url


def explicit_settings(database_url: str, **values: Any) -> Settings:
    """Settings built from `values` alone: no environment, `.env` or secret files."""
    return Settings(_env_file=None, database_url=database_url, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session", autouse=True)
def _no_database_left() -> Iterator[None]:
    """Whatever database a test left behind goes at the end of the session."""
    yield
    drop_all()


def migrate_and_seed(url: str) -> dict[str, str]:
    """Bring the database at `url` to the newest revision and create the USERS in it;
    returns their subjects by name."""
    settings = explicit_settings(url, env="test")
    upgrade(settings)
    return anyio.run(seed, settings, USERS)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per session, with the USERS created (seeding can be slow on purpose)."""
    with empty_database(tmp_path_factory.mktemp("seed"), "seed") as url:
        SUBJECTS.update(migrate_and_seed(url))
        yield url


@pytest.fixture
def database_url(seeded_database: str, tmp_path: Path) -> Iterator[str]:
    """A private copy of the migrated and seeded database for one test."""
    with copy_of(seeded_database, tmp_path, "app") as url:
        yield url


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Production settings built explicitly; keyword arguments override single fields."""

    def factory(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "production",
            "allowed_hosts": ["testserver"],
            **deploy_settings(tmp_path),
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
def served(tmp_path: Path, database_url: str) -> Iterator[httpx.Client]:
    """`<service> serve` in production mode, in its own process, on a free local port."""
    with serving(tmp_path, database_url=database_url) as client:
        yield client


@contextlib.contextmanager
def serving(folder: Path, **settings: str) -> Iterator[httpx.Client]:
    """Run `<service> serve` in production mode with these `APP_*` settings on top, with its
    log in `folder`; yield a client of it once it answers. Without a `database_url` among
    the settings, it serves a database of its own, migrated and seeded."""
    with contextlib.ExitStack() as stack:
        if "database_url" not in settings:
            settings["database_url"] = stack.enter_context(empty_database(folder, "serve"))
            migrate_and_seed(settings["database_url"])
        yield stack.enter_context(_serving(folder, settings))


@contextlib.contextmanager
def _serving(folder: Path, settings: dict[str, str]) -> Iterator[httpx.Client]:
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("APP_")},
        **{f"APP_{key.upper()}": str(value) for key, value in deploy_settings(folder).items()},
        "APP_ENV": "production",
        "APP_ALLOWED_HOSTS": "127.0.0.1",
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
        base_url = f"{SCHEME}://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, timeout=5, **client_options()) as client:
            deadline = time.monotonic() + SERVE_STARTUP_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    client.get("/health/live")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                state = "exited" if process.poll() is not None else "did not answer in time"
                pytest.fail(f"serve {state}:\n{log.read_text()}")
            yield client
    finally:
        process.terminate()
        process.wait(timeout=15)


def served_log(folder: Path) -> str:
    """Everything a `serve` started by `serving(folder)` printed, and what its log sink wrote
    anywhere else (the `file` sink's file)."""
    printed = (folder / "serve.log").read_text()
    with contextlib.chdir(folder):
        sink = written(printed)
    return printed if sink == printed else f"{printed}\n{sink}"
