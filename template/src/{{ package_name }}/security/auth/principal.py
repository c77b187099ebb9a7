# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The authenticated caller and the scope checks that routes declare."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from starlette.types import Scope

from ...context import identify
from ...errors import Problem
from ...observability.logging import security_event
from ...services import services_of

BEARER = "Bearer"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": BEARER}


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    scopes: frozenset[str]


class Authenticator(Protocol):
    """What the request path uses to identify a caller; one per `auth` choice."""

    challenge: str
    """The scheme that 401 and 403 answers name in `WWW-Authenticate`, in the form RFC 6750
    gives bearer tokens: "Bearer" for tokens, "ApiKey" for `X-API-Key`."""

    async def authenticate(self, request: Request) -> Principal | None:
        """The caller if its credentials are valid, else None (never raises for bad ones)."""
        ...


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; query strings are never looked at."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


BearerToken = Annotated[str | None, Depends(bearer_token)]


def challenge_of(request: Request) -> str:
    """The `WWW-Authenticate` scheme of the app's authenticator (see `Authenticator`)."""
    return services_of(request).authenticator.challenge


def unauthorized(challenge: str = BEARER) -> Problem:
    """The one answer for missing, malformed, expired or wrong credentials."""
    return Problem(401, "Authentication required.", headers={"WWW-Authenticate": challenge})


# Where the API gate (`security/gate.py`) leaves the caller, in the request's own state: a
# key no other code can name, so that no lifespan state copied there can pose as a caller.
PRINCIPAL_STATE = object()


def remember_principal(scope: Scope, principal: Principal | None) -> None:
    """Record the request's caller (None: anonymous) for its routes and its access record."""
    scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
    if principal is not None:
        identify(principal.subject)


async def optional_principal(request: Request) -> Principal | None:
    """The caller if its credentials are valid, else None: as the API gate found it, or, on a
    route outside the API, checked now. Credentials are checked once per request."""
    state = request.scope.get("state")
    if state is not None and PRINCIPAL_STATE in state:
        principal: Principal | None = state[PRINCIPAL_STATE]
        return principal
    principal = await services_of(request).authenticator.authenticate(request)
    remember_principal(request.scope, principal)
    return principal


async def current_principal(request: Request) -> Principal:
    principal = await optional_principal(request)
    if principal is None:
        security_event("auth.failure", reason="missing_or_invalid_credentials")
        raise unauthorized(challenge_of(request))
    return principal


_known_scopes: set[str] = set()


def known_scopes() -> frozenset[str]:
    """Every scope a route requires: the routes declaring them are the one list of scopes.
    (Complete once the routes are imported, as `app.py` does.)"""
    return frozenset(_known_scopes)


def require_scopes(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the request through only with every one of `scopes`."""
    required = frozenset(scopes)
    _known_scopes.update(required)

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        missing = required - principal.scopes
        if missing:
            security_event("authz.denied", principal=principal.subject, missing=sorted(missing))
            wanted = " ".join(sorted(required))
            challenge = challenge_of(request)
            raise Problem(
                403,
                f"insufficient_scope: this needs the scopes {wanted}.",
                headers={
                    "WWW-Authenticate": f'{challenge} error="insufficient_scope", scope="{wanted}"'
                },
                error="insufficient_scope",
            )
        return principal

    return dependency
