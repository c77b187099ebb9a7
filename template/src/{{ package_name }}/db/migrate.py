# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Apply Alembic migrations from code (the `migrate` command and tests use this).

Only commands import this module: serving does not need Alembic (see `schema.py`)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from ..settings import Settings

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(settings: Settings | None = None) -> Config:
    """The shipped migrations, for the database of `settings` (by default, of the settings
    `migrations/env.py` loads), reached as the service reaches it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database to `revision`. Runs its own event loop: call it outside one."""
    command.upgrade(alembic_config(settings), revision)
