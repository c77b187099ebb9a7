"""Example resource: each principal sees and changes only its own items."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from ..db.models import Item
from ..errors import Problem
from .deps import SMALL_JSON_BODY, JsonBody, Principal, Session, require_scopes

router = APIRouter(prefix="/items", tags=["items"])

Reader = Annotated[Principal, Depends(require_scopes("items:read"))]
Writer = Annotated[Principal, Depends(require_scopes("items:write"))]


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

    @field_validator("created_at")
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        # SQLite returns naive datetimes; every timestamp we store is UTC.
        return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _own_item(session: Session, item_id: uuid.UUID, principal: Principal) -> Item:
    item = await session.scalar(
        select(Item).where(Item.id == item_id, Item.owner == principal.subject)
    )
    if item is None:
        raise Problem(404, "No such item.")
    return item


@router.get("")
async def list_items(
    principal: Reader,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ItemOut]:
    rows = await session.scalars(
        select(Item)
        .where(Item.owner == principal.subject)
        .order_by(Item.created_at, Item.id)
        .limit(limit)
        .offset(offset)
    )
    return [ItemOut.model_validate(row) for row in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[JsonBody],
    max_body_size=SMALL_JSON_BODY,
)
async def create_item(payload: ItemIn, principal: Writer, session: Session) -> ItemOut:
    item = Item(owner=principal.subject, name=payload.name, description=payload.description)
    session.add(item)
    await session.commit()
    return ItemOut.model_validate(item)


@router.get("/{item_id}")
async def get_item(item_id: uuid.UUID, principal: Reader, session: Session) -> ItemOut:
    return ItemOut.model_validate(await _own_item(session, item_id, principal))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_item(item_id: uuid.UUID, principal: Writer, session: Session) -> None:
    await session.delete(await _own_item(session, item_id, principal))
    await session.commit()
