# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Creating and revoking API keys, on top of the `api_keys` table."""

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ....db.base import utcnow
from .keys import NewKey, new_key
from .tables import ApiKey

NAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9:._-]{1,64}")
MAX_EXPIRY_DAYS = 3650


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked; the message says why and is safe to print."""


async def create_key(
    session: AsyncSession,
    name: str,
    scopes: list[str],
    *,
    expires_in_days: int | None = None,
    key: NewKey | None = None,
) -> tuple[ApiKey, NewKey]:
    """Store a new key named `name`; returns its row and the key, which exists nowhere else.

    `key` is the key to store, by default a new one (tests give one key to several databases).
    """
    if not NAME_PATTERN.fullmatch(name):
        raise ApiKeyError("names are 1-64 letters, digits or . _ @ -")
    if not scopes or not all(SCOPE_PATTERN.fullmatch(scope) for scope in scopes):
        raise ApiKeyError("scopes are 1-64 letters, digits or : . _ -, at least one")
    expires_at: datetime | None = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            raise ApiKeyError(f"--expires-in-days must be 1 to {MAX_EXPIRY_DAYS}")
        expires_at = utcnow() + timedelta(days=expires_in_days)
    if await session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
        raise ApiKeyError(f"a key named {name!r} exists (revoked keys keep their names)")
    created = key or new_key()
    row = ApiKey(
        name=name,
        key_id=created.key_id,
        key_hash=created.key_hash,
        scopes=" ".join(sorted(set(scopes))),
        expires_at=expires_at,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # created at the same moment by another process
        raise ApiKeyError(f"a key named {name!r} exists (revoked keys keep their names)") from None
    return row, created


async def revoke_key(session: AsyncSession, name: str) -> None:
    """Revoke the key named `name`: every worker refuses it from its next request on."""
    revoked = await session.execute(
        update(ApiKey)
        .where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    await session.commit()
    if revoked.rowcount == 0:  # type: ignore[attr-defined]
        exists = await session.scalar(select(ApiKey.id).where(ApiKey.name == name))
        raise ApiKeyError(
            f"no key named {name!r}" if exists is None else f"{name!r} is already revoked"
        )
