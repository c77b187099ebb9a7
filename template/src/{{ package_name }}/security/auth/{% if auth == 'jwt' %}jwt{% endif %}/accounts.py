# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Password login and refresh-token families, on top of the `users` and `refresh_tokens` tables."""

import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ....db.base import utcnow
from ....observability.logging import security_event
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PasswordHasher
from .tables import RefreshToken, User
from .tokens import InvalidTokenError, IssuedToken, RefreshClaims, TokenService

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9:._-]{1,64}")


class AccountError(ValueError):
    """A user cannot be created as asked; the message says why and is safe to print."""


class ScopeError(ValueError):
    """A refresh asked for a scope its login was not granted (RFC 6749 section 6)."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: IssuedToken
    refresh: IssuedToken
    scopes: frozenset[str]
    """The scopes of the access token."""


def _user_id(subject: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(subject)
    except ValueError:
        return None


def _scopes(user: User) -> frozenset[str]:
    return frozenset(user.scopes.split())


async def create_user(
    session: AsyncSession,
    hasher: PasswordHasher,
    username: str,
    password: str,
    scopes: list[str],
) -> User:
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError("usernames are 1-64 letters, digits or . _ @ -")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise AccountError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    if bad := [scope for scope in scopes if not SCOPE_PATTERN.fullmatch(scope)]:
        raise AccountError(f"invalid scope names: {', '.join(bad)}")
    if await session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=hasher.hash(password),
        scopes=" ".join(sorted(set(scopes))),
    )
    session.add(user)
    await session.commit()
    return user


async def prune_expired(session: AsyncSession) -> int:
    """Delete the rows of expired refresh tokens; returns how many. The rows of unexpired
    spent tokens stay: they are how the reuse of a stolen token is detected."""
    result = await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < utcnow()))
    await session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


class Accounts:
    def __init__(self, tokens: TokenService, hasher: PasswordHasher) -> None:
        self.tokens = tokens
        self.hasher = hasher

    async def login(
        self,
        session: AsyncSession,
        username: str,
        password: str,
        requested_scopes: list[str] | None = None,
    ) -> TokenPair | None:
        """Tokens for valid credentials; None (after the same work) for anything else.

        With `requested_scopes`, the access token carries only those the user holds.
        """
        user = await session.scalar(select(User).where(User.username == username))
        if not await self.hasher.verify(password, user.password_hash if user else None):
            security_event("auth.failure", reason="bad_credentials")
            return None
        assert user is not None  # noqa: S101 - verify() is False without a user
        security_event("auth.login", level="INFO", principal=user.username)
        scopes = _scopes(user)
        if requested_scopes:
            scopes &= frozenset(requested_scopes)
        return await self._issue(
            session,
            user,
            family_id=uuid.uuid4().hex,
            auth_time=int(time.time()),
            access_scopes=scopes,
            refresh_scopes=scopes,
        )

    async def refresh(
        self,
        session: AsyncSession,
        refresh_token: str,
        requested_scopes: frozenset[str] | None = None,
    ) -> TokenPair | None:
        """Spend a refresh token for a new pair; reuse of a spent one revokes its family.

        The access token carries the scopes granted at login, or the `requested_scopes` when
        given (a subset of those, else `ScopeError`), less any the user no longer holds; the
        new refresh token keeps the login's scopes.
        """
        claims = self._verify(refresh_token)
        if claims is None:
            return None
        if requested_scopes is not None and not requested_scopes <= claims.scopes:
            raise ScopeError("a refresh cannot widen the scopes of its login")
        spent = await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_id == claims.token_id,
                RefreshToken.family_id == claims.family_id,
                RefreshToken.spent_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(spent_at=utcnow())
        )
        if spent.rowcount != 1:  # type: ignore[attr-defined]
            await self._revoke_family(session, claims.family_id)
            security_event("auth.failure", reason="refresh_token_reuse")
            return None
        user_id = _user_id(claims.subject)
        user = await session.get(User, user_id) if user_id is not None else None
        if user is None:
            await session.rollback()
            return None
        # Never more than granted at login (RFC 6749 section 6), nor than the user holds now.
        held = _scopes(user)
        access_scopes = (claims.scopes if requested_scopes is None else requested_scopes) & held
        return await self._issue(
            session,
            user,
            family_id=claims.family_id,
            auth_time=claims.auth_time,
            access_scopes=access_scopes,
            refresh_scopes=claims.scopes & held,
        )

    async def logout(self, session: AsyncSession, refresh_token: str) -> bool:
        claims = self._verify(refresh_token)
        if claims is None:
            return False
        await self._revoke_family(session, claims.family_id)
        return True

    def _verify(self, refresh_token: str) -> RefreshClaims | None:
        try:
            return self.tokens.verify_refresh(refresh_token)
        except InvalidTokenError:
            security_event("auth.failure", reason="invalid_refresh_token")
            return None

    async def _revoke_family(self, session: AsyncSession, family_id: str) -> None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await session.commit()

    async def _issue(
        self,
        session: AsyncSession,
        user: User,
        *,
        family_id: str,
        auth_time: int,
        access_scopes: frozenset[str],
        refresh_scopes: frozenset[str],
    ) -> TokenPair:
        # The subject is the user's immutable id, never the name: what a principal owns stays
        # its own even if the name is later given to someone else.
        subject = str(user.id)
        access = self.tokens.issue_access(subject, access_scopes)
        refresh = self.tokens.issue_refresh(subject, family_id, refresh_scopes, auth_time)
        session.add(
            RefreshToken(
                token_id=refresh.token_id,
                family_id=family_id,
                user_id=user.id,
                expires_at=datetime.fromtimestamp(refresh.expires_at, UTC),
            )
        )
        await session.commit()
        return TokenPair(access, refresh, access_scopes)
