# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Apply Alembic migrations from code (the `migrate` command and tests use this).

Only commands import this module: serving does not need Alembic (see `schema.py`)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates "%": escape it so URL-encoded passwords survive.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to `revision`. Runs its own event loop: call it outside one."""
    command.upgrade(alembic_config(database_url), revision)
