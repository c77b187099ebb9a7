# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The services one app runs on, built once by `create_app` and reached through `services_of`.

Routes and dependencies never look into `app.state` themselves: they ask `services_of` (or
the aliases in `api/deps.py`), which returns this one typed object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from fastapi import FastAPI

    from .db.engine import Database
    from .security.auth.principal import Authenticator
    from .security.ratelimit import RateLimiter
    from .settings import Settings

ReadinessCheck = Callable[[], Awaitable[None]]
"""Returns when a dependency is ready to serve; raises (anything) when it is not."""


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    authenticator: Authenticator
    limiter: RateLimiter
    readiness: Mapping[str, ReadinessCheck]
    """What `/health/ready` checks, by the name it reports."""

    def attach(self, app: FastAPI) -> None:
        app.state.services = self

    async def close(self) -> None:
        await self.database.dispose()
        await self.limiter.close()


def services_of(owner: FastAPI | HTTPConnection) -> Services:
    """The services of an app, or of the app serving a request."""
    app = owner.app if isinstance(owner, HTTPConnection) else owner
    services: Services = app.state.services
    return services
