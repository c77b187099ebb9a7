"""Your API. Include your routers here: `create_app` serves this router under `/api/v1`,
behind the default rate limit, next to the routes of the auth backend."""

from fastapi import APIRouter

from . import items, me

router = APIRouter()
router.include_router(me.router)
router.include_router(items.router)
