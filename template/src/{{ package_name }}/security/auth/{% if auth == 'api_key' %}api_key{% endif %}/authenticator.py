# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The `X-API-Key` header turned into its principal, on every request, from the database.

Nothing about a key is cached in the process: each request reads the key's row, so a key
revoked by any process (`revoke-api-key`) is refused by every worker from its next request
on. The read is one indexed lookup by the key id; the hash is compared in constant time.
When a key was last used is written at most once per key and interval in each process, never
on every request.
"""

import time
import uuid
from datetime import datetime, timedelta

from fastapi import Request
from loguru import logger
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from ....db.base import utcnow
from ....db.engine import Database
from ...constant_time import equal
from ..principal import Principal
from .keys import KEY_PATTERN, digest
from .tables import ApiKey

HEADER = "x-api-key"
NEVER = float("-inf")

# Only keys that are neither revoked nor expired; the database compares the times.
LOOKUP = select(ApiKey.id, ApiKey.key_hash, ApiKey.scopes).where(
    ApiKey.key_id == bindparam("key_id"),
    ApiKey.revoked_at.is_(None),
    or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > bindparam("now")),
)
# Conditional, so that several workers recording the same key write it once.
RECORD_USE = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("key"),
        or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < bindparam("stale_before")),
    )
    .values(last_used_at=bindparam("now"))
)


class ApiKeyAuthenticator:
    """Turns a valid, unrevoked, unexpired `X-API-Key` into its principal."""

    challenge = "ApiKey"
    """The scheme of `WWW-Authenticate` on 401 and 403 answers (see `principal.py`)."""

    def __init__(self, database: Database, *, last_used_interval_seconds: int) -> None:
        self.engine = database.engine
        self.interval = last_used_interval_seconds
        # Key row id -> when this process last recorded its use (monotonic seconds).
        self._recorded: dict[uuid.UUID, float] = {}

    async def authenticate(self, request: Request) -> Principal | None:
        match = KEY_PATTERN.fullmatch(request.headers.get(HEADER, ""))
        if match is None:
            return None
        now = utcnow()
        async with self.engine.connect() as connection:
            result = await connection.execute(LOOKUP, {"key_id": match[1], "now": now})
            row = result.first()
        if row is None or not equal(digest(match[0]), row.key_hash):
            return None
        if time.monotonic() - self._recorded.get(row.id, NEVER) >= self.interval:
            await self._record_use(row.id, now)
        return Principal(subject=str(row.id), scopes=frozenset(row.scopes.split()))

    async def _record_use(self, key: uuid.UUID, now: datetime) -> None:
        self._recorded[key] = time.monotonic()
        stale_before = utcnow() - timedelta(seconds=self.interval)
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    RECORD_USE, {"key": key, "now": now, "stale_before": stale_before}
                )
        except SQLAlchemyError as error:  # a busy database must not fail the request
            logger.warning("could not record the use of an API key: {}", type(error).__name__)
