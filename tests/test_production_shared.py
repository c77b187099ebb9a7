"""End to end: a service generated for several replicas, served as two processes of two
workers each, sharing one Redis and one PostgreSQL, probed over real HTTP.

The rate limit holds across all four workers (exactly N allowed in total), `migrate` runs
from two replicas at once, and readiness reports both services.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import SERVICE_ENV_DEFAULTS, clean_env, render, run, uv_bin
from tests.test_production import SLUG, serving
from tests.variants import BASE_DATA

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("production")]

ANSWERS = {**BASE_DATA, "rate_limit_backend": "redis", "database": "postgresql"}
LIMIT = 12
HTTPS = {"X-Forwarded-Proto": "https"}


def service_url(name: str) -> str:
    return os.environ.get(name, SERVICE_ENV_DEFAULTS[name])


def psql(root: Path, statement: str) -> None:
    """Run one statement on the test server's maintenance database, with the service's driver."""
    server = service_url("APP_TEST_DATABASE_URL").replace("postgresql+asyncpg", "postgresql")
    script = (
        "import asyncio, sys, asyncpg\n"
        "async def main():\n"
        "    connection = await asyncpg.connect(sys.argv[1])\n"
        "    await connection.execute(sys.argv[2])\n"
        "    await connection.close()\n"
        "asyncio.run(main())\n"
    )
    run([root / ".venv" / "bin" / "python", "-c", script, server, statement], root)


@dataclass(frozen=True)
class Service:
    root: Path
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        return run([self.root / ".venv" / "bin" / SLUG, *args], self.root, env=self.env).stdout


@pytest.fixture(scope="module")
def service(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    base = tmp_path_factory.mktemp("shared")
    root = render(template_src, base / "service", ANSWERS)
    (root / ".env").unlink()
    run([uv_bin(), "sync"], root, env=clean_env(UV_PYTHON=ANSWERS["python_version"]), timeout=900)
    database = f"shared_{secrets.token_hex(6)}"
    psql(root, f'CREATE DATABASE "{database}"')
    server = service_url("APP_TEST_DATABASE_URL").rsplit("/", 1)[0]
    env = clean_env(
        APP_ENV="production",
        APP_JWT_SECRET=secrets.token_urlsafe(48),
        APP_ALLOWED_HOSTS="localhost,127.0.0.1",
        APP_DATABASE_URL=f"{server}/{database}",
        APP_RATE_LIMIT_STORAGE_URL=service_url("APP_TEST_REDIS_URL"),
        APP_RATE_LIMIT_KEY_PREFIX=f"shared-test-{secrets.token_hex(6)}",
        APP_RATE_LIMIT_DEFAULT=f"{LIMIT}/minute",
        APP_WORKERS="2",
        APP_REPLICAS="2",
        APP_SECRETS_DIR=str(base / "no-secrets-dir"),
    )
    try:
        yield Service(root, env)
    finally:
        psql(root, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_two_replicas_migrate_at_once(service: Service) -> None:
    command = [service.root / ".venv" / "bin" / SLUG, "migrate"]
    replicas = [
        subprocess.Popen(command, cwd=service.root, env=service.env, stdout=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [replica.communicate(timeout=120)[0].decode() for replica in replicas]
    assert [replica.returncode for replica in replicas] == [0, 0], outputs
    assert "ok: every deploy check passed" in service.cli("check")


def test_the_limit_holds_across_two_processes_of_two_workers(
    service: Service, tmp_path: Path
) -> None:
    service.cli("migrate")
    into_minute = time.time() % 60
    if into_minute > 45:  # the sliding window: stay inside one minute
        time.sleep(60 - into_minute + 0.1)
    with ExitStack() as stack:
        clients = [
            stack.enter_context(serving(service.root, service.env, tmp_path / f"serve-{index}.log"))
            for index in range(2)
        ]
        for client in clients:
            ready = client.get("/health/ready")
            assert ready.status_code == 200, ready.text
        statuses = []
        for attempt in range(3 * LIMIT):
            client = clients[attempt % 2]
            # A new connection each time, so that both workers of each process answer.
            response = client.get("/api/v1/me", headers={**HTTPS, "Connection": "close"})
            statuses.append(response.status_code)
    assert statuses.count(401) == LIMIT, statuses
    assert statuses.count(429) == 2 * LIMIT, statuses
    assert statuses[:LIMIT] == [401] * LIMIT


def test_readiness_names_redis_and_the_database(service: Service, tmp_path: Path) -> None:
    unreachable = {
        **service.env,
        "APP_RATE_LIMIT_STORAGE_URL": "redis://127.0.0.1:9/0",
        "APP_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:9/nowhere",
    }
    with serving(service.root, unreachable, tmp_path / "serve.log") as client:
        ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert "redis" in ready.text
    assert "database" in ready.text
    assert "127.0.0.1:9" not in ready.text
