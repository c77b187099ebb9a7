# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The async engine, and the per-request session dependency."""

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ..services import services_of


class Database:
    def __init__(
        self,
        url: str,
        *,
        configure: Callable[[AsyncEngine], None],
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine: AsyncEngine = create_async_engine(url, hide_parameters=True, **(options or {}))
        configure(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with services_of(request).database.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]
