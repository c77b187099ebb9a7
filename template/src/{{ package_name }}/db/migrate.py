# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Apply Alembic migrations from code (the `migrate` command and tests use this), and check
that a database is at the newest revision (readiness)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from ..services import ReadinessCheck
from .base import Base
from .engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_QUERY = text("SELECT version_num FROM alembic_version")  # Alembic's default table


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates "%": escape it so URL-encoded passwords survive.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Runs its own event loop: call it outside one."""
    command.upgrade(alembic_config(database_url), revision)


class SchemaNotAtHeadError(RuntimeError):
    """The database answers, but its migrations are not the newest ones."""


def head_revisions() -> frozenset[str]:
    """The newest revision(s) of the migration scripts shipped with this code."""
    return frozenset(ScriptDirectory.from_config(alembic_config("")).get_heads())


def schema_check(database: Database) -> ReadinessCheck:
    """A readiness check: the database is at the newest revision this code knows, and answers
    a query on every table the code maps. A missing, corrupted or unmigrated database fails
    it, where `SELECT 1` would not (it reads no table)."""
    heads = head_revisions()  # read the migration scripts once, at start-up
    # Whole rows, so that the table itself is read and not only a smaller index.
    probes = [select(table).limit(1) for table in Base.metadata.tables.values()]

    async def check() -> None:
        async with database.engine.connect() as connection:
            # Fails, as it should, when the table is missing: the database was never migrated.
            current = frozenset((await connection.scalars(VERSION_QUERY)).all())
            if current != heads:
                raise SchemaNotAtHeadError("the database is not at the newest revision: migrate it")
            for probe in probes:
                await connection.execute(probe)

    return check
