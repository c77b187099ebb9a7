# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The chosen options (`backends.py`) put to work together: deploy checks and the database."""

import re
import sys

from . import backends
from .db.engine import Database
from .seams import Option, Warns
from .settings import Settings, settings_or_exit

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
    and from each option. Each message starts with the setting it is about (`left_unset`
    reads it there) and never shows a value."""
    problems = settings.deploy_problems()
    for option in OPTIONS:
        problems.extend(option.deploy_problems(settings))
    return problems


# Every deploy problem starts with the setting it is about.
_SUBJECT = re.compile(r"APP_([A-Z0-9_]+)")


def left_unset(settings: Settings, problem: str) -> bool:
    """Whether a deploy problem is about a setting that has no value in `settings` (its
    default, or empty), rather than about a value someone gave it. For settings read as
    production reads them: there the defaults that production fills in itself (HTTPS
    enforcement on, docs off) count as given, but never make a problem."""
    subject = _SUBJECT.match(problem)
    if subject is None:
        return False
    field = subject.group(1).lower()
    return field not in settings.model_fields_set or getattr(settings, field) in (None, "", [])


def deploy_warnings(settings: Settings) -> list[str]:
    """What these settings will serve, but not as the operator may expect: an option that
    keeps its state in one process or machine, run as several replicas."""
    return [
        warning
        for option in OPTIONS
        if isinstance(option, Warns)
        for warning in option.deploy_warnings(settings)
    ]


def configuration_problems(settings: Settings) -> list[str]:
    """Settings that pass validation but that no command could use, in any mode."""
    return backends.database.configuration_problems(settings)


def usable_settings() -> Settings:
    """The settings, for a command: on any problem, one line each on stderr (naming the
    setting, never its value) and exit status 2, never a traceback."""
    settings = settings_or_exit()
    if problems := configuration_problems(settings):
        for problem in problems:
            print(f"invalid setting {problem}", file=sys.stderr)
        raise SystemExit(2)
    return settings


def open_database(settings: Settings) -> Database:
    return Database(
        settings.database_url,
        configure=backends.database.configure,
        options=backends.database.engine_options(settings),
    )
