# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Liveness and readiness probes: plain answers, failing dependency named without internals.

Readiness tells the truth: the database must answer a query on its schema and be migrated to
the newest revision, or `/health/ready` is 503 while the API would fail.
"""

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from anyio import to_thread
from sqlalchemy import text

from .conftest import explicit_settings
from .databases import connect, empty_database, unreachable_database
from .package import alembic_config, upgrade
from .principals import credentials
from .support import Logs, assert_problem

pytestmark = pytest.mark.anyio

# Internals a client must never learn from an answer.
DRIVER_NAMES = ("sqlite", "postgres", "asyncpg", "alembic")


async def test_live(client) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_probes_answer_head_requests(client) -> None:
    for path in ("/health/live", "/health/ready"):
        response = await client.head(path)
        assert response.status_code == 200, path
        assert response.content == b""


async def test_ready(client, logs: Logs) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    # The database, and whatever the chosen options depend on (an identity provider, Redis).
    assert body["checks"]["database"] == "ok"
    assert set(body["checks"].values()) == {"ok"}
    # Probes come every few seconds: a healthy one leaves its access record and nothing else.
    assert [record["route"] for record in logs.access()] == ["/health/ready"]
    assert not logs.records  # nothing through loguru


async def assert_database_not_ready(make_app, make_client, database_url: str, logs: Logs) -> None:
    client = make_client(make_app(database_url=database_url))
    assert (await client.get("/health/live")).status_code == 200  # the process itself is fine
    response = await client.get("/health/ready")
    body = assert_problem(response, 503)
    assert body["failing"] == ["database"]
    assert not [name for name in DRIVER_NAMES if name in response.text.lower()]
    assert "database is not ready" in logs.text()


async def test_ready_is_503_for_a_database_missing_a_table(
    make_app, make_client, database_url: str, logs: Logs
) -> None:
    with connect(database_url) as connection:
        connection.execute(text("DROP TABLE items"))
    await assert_database_not_ready(make_app, make_client, database_url, logs)
    # What readiness predicted: the API cannot serve that table.
    app = make_app(database_url=database_url)
    client = make_client(app)
    response = await client.post("/api/v1/items", headers=credentials(app), json={"name": "x"})
    assert_problem(response, 500)


async def test_ready_is_503_for_a_database_that_was_never_migrated(
    make_app, make_client, tmp_path: Path, logs: Logs
) -> None:
    with empty_database(tmp_path, "empty") as url:
        await assert_database_not_ready(make_app, make_client, url, logs)


async def test_ready_is_503_for_a_database_behind_the_newest_migration(
    make_app, make_client, tmp_path: Path, logs: Logs
) -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    previous = scripts.get_revision(scripts.get_current_head()).down_revision
    if not isinstance(previous, str):
        pytest.skip("this service has a single migration: no database can be behind it")
    with empty_database(tmp_path, "behind") as url:
        settings = explicit_settings(url)
        await to_thread.run_sync(upgrade, settings, previous)  # migrations run their own loop
        await assert_database_not_ready(make_app, make_client, url, logs)
        await to_thread.run_sync(upgrade, settings)
        client = make_client(make_app(database_url=url))
        assert (await client.get("/health/ready")).status_code == 200  # ready once migrated


async def test_ready_is_503_naming_the_unreachable_database(
    make_app, make_client, tmp_path: Path, logs: Logs
) -> None:
    app = make_app(database_url=unreachable_database(tmp_path))
    client = make_client(app)

    live = await client.get("/health/live")
    assert live.status_code == 200  # the process itself is fine: do not restart it

    response = await client.get("/health/ready")
    body = assert_problem(response, 503)
    assert body["failing"] == ["database"]
    for internal in (*DRIVER_NAMES, "no-such-directory", "error", "unable", "refused"):
        assert internal not in response.text.lower()
    assert "database is not ready" in logs.text()  # the details are in the server log
    assert "Error" in logs.text()
