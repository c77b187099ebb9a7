"""Who am I: the authenticated principal and its scopes."""

from fastapi import APIRouter
from pydantic import BaseModel

from .deps import CurrentPrincipal

router = APIRouter(tags=["me"])


class Me(BaseModel):
    subject: str
    scopes: list[str]


@router.get("/me")
async def me(principal: CurrentPrincipal) -> Me:
    return Me(subject=principal.subject, scopes=sorted(principal.scopes))
