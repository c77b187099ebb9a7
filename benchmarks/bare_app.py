"""The benchmark's baseline: bare FastAPI serving the same routes and JSON as the service.

No middleware, no authentication, no rate limit, no access log: every request gets the answer
an authenticated caller gets from the service. `POST /api/v1/items` writes the same row to a
SQLite file with the same engine settings, so the database costs the same on both sides.

Run by `benchmarks/run.py` in the rendered service's environment:
`uvicorn bare_app:app --http httptools --no-access-log`, with `BARE_DATABASE` and
`BARE_SUBJECT` set.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, String, Uuid, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SUBJECT = os.environ.get("BARE_SUBJECT", "00000000-0000-0000-0000-000000000000")
SCOPES = ["items:read", "items:write"]
# The service's own database server when it has one (`BARE_DATABASE_URL`), else a SQLite file.
DATABASE_URL = os.environ.get("BARE_DATABASE_URL") or (
    f"sqlite+aiosqlite:///{os.environ.get('BARE_DATABASE', 'bare.db')}"
)
engine = create_async_engine(DATABASE_URL)
sessions = async_sessionmaker(engine, expire_on_commit=False)


def _pragmas(dbapi_connection: Any, _: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


if DATABASE_URL.startswith("sqlite"):
    event.listen(engine.sync_engine, "connect", _pragmas)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


async def _session() -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]


class Me(BaseModel):
    subject: str
    scopes: list[str]


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    created_at: datetime


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/me")
async def me() -> Me:
    return Me(subject=SUBJECT, scopes=SCOPES)


@app.post("/api/v1/items", status_code=status.HTTP_201_CREATED)
async def create_item(payload: ItemIn, session: Session) -> ItemOut:
    item = Item(owner=SUBJECT, name=payload.name, description=payload.description)
    session.add(item)
    await session.commit()
    return ItemOut.model_validate(item)
