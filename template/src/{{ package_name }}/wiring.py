# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The chosen options (`backends.py`) put to work together: deploy checks and the database."""

from . import backends
from .db.engine import Database
from .seams import Option
from .settings import Settings

OPTIONS: tuple[Option, ...] = (
    backends.auth,
    backends.rate_limit_storage,
    backends.log_sink,
    backends.database,
    backends.tls,
    *backends.EXTENSIONS,
)


def deploy_problems(settings: Settings) -> list[str]:
    """Every reason these settings must not serve production, from the settings themselves
    and from each option. Messages name settings, never their values."""
    problems = settings.deploy_problems()
    for option in OPTIONS:
        problems.extend(option.deploy_problems(settings))
    return problems


def open_database(settings: Settings) -> Database:
    return Database(settings.database_url, configure=backends.database.configure)
