# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The shape of each option's implementation.

Every template option (`auth`, `rate_limit_backend`, `log_sink`, `database`, `tls`,
`metrics`) has one module per choice, and `backends.py` names the chosen ones. `app.py` and
`cli.py` use them only through the shapes below, so adding a choice means writing one module
(or package) of that shape, named after the choice: `backends.py` imports it by the answer.
"""

import argparse
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from fastapi import APIRouter, FastAPI
from limits.aio.storage import Storage
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from .db.engine import Database
from .observability.access import AccessObserver
from .observability.logging import EventWriter
from .security.auth.principal import Authenticator
from .services import ReadinessCheck
from .settings import Settings

AddCommand = Callable[..., argparse.ArgumentParser]
"""Adds a subcommand to the command line: `add_command(name, help=...)`."""
OpenDatabase = Callable[[], Database]
"""Opens the database the settings name; on settings no command can use, exits with one line
per problem."""


@dataclass(frozen=True, slots=True)
class Auth:
    """What an `auth` choice adds to a running app."""

    authenticator: Authenticator
    routers: Sequence[APIRouter] = ()
    """Mounted under `/api/v1`, behind the default rate limit."""
    public_routers: Sequence[APIRouter] = ()
    """Mounted at the root, outside the API (published keys: `/.well-known/jwks.json`)."""
    readiness: Mapping[str, ReadinessCheck] = field(default_factory=dict)


@runtime_checkable
class Option(Protocol):
    def deploy_problems(self, settings: Settings) -> list[str]:
        """Why these settings cannot serve production with this choice (empty when fine)."""
        ...


@runtime_checkable
class Warns(Protocol):
    """An option that works, but not everywhere: it keeps state in one process or machine."""

    def deploy_warnings(self, settings: Settings) -> list[str]:
        """What these settings will not do as the operator may expect (empty when fine)."""
        ...


@runtime_checkable
class AuthBackend(Option, Protocol):
    """`security/auth/<choice>/`: how callers prove who they are."""

    def create(self, settings: Settings, database: Database) -> Auth: ...

    def add_commands(self, add_command: AddCommand, open_database: OpenDatabase) -> None: ...


@runtime_checkable
class RateLimitStorage(Option, Protocol):
    """`security/ratelimit/<choice>.py`: where rate-limit counters live."""

    def create(self, settings: Settings) -> Storage: ...

    def readiness(self, storage: Storage) -> Mapping[str, ReadinessCheck]: ...


@runtime_checkable
class LogSink(Option, Protocol):
    """`observability/sinks/<choice>.py`: where log records go."""

    def add(self, settings: Settings) -> EventWriter:
        """Install the sink for loguru's records at `settings.log_level` and above; return the
        writer of event records."""
        ...


@runtime_checkable
class DatabaseBackend(Option, Protocol):
    """`db/<choice>.py`: engine settings for the database server."""

    def engine_options(self, settings: Settings) -> dict[str, Any]:
        """Keyword arguments for `create_async_engine` (pool size, timeouts, ...)."""
        ...

    def configure(self, engine: AsyncEngine) -> None: ...

    def configuration_problems(self, settings: Settings) -> list[str]:
        """Why no command can use this database URL (in any mode)."""
        ...

    def migration_options(self, settings: Settings) -> dict[str, Any]:
        """Keyword arguments for the engine of `migrate` (one connection, no pool)."""
        ...

    def begin_migrations(self, connection: Connection) -> None:
        """Run first in the transaction of `migrate`: wait for any other run to end."""
        ...


@runtime_checkable
class TlsMode(Option, Protocol):
    """`security/tls/<choice>.py`: where TLS ends, as uvicorn options for `serve`."""

    def server_options(self, settings: Settings) -> dict[str, Any]: ...


@runtime_checkable
class Extension(Option, Protocol):
    """An optional part (`metrics`): installed into the app after its routes."""

    def install(self, app: FastAPI, settings: Settings) -> list[AccessObserver]: ...

    def serving(self, settings: Settings) -> AbstractContextManager[None]:
        """Entered by `serve` around the server's run, before any worker starts: prepares
        what the workers share."""
        ...
