# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Password login (OAuth2 password form), refresh-token rotation and logout."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from ....db.engine import Session
from ....services import services_of
from ...body import SMALL_JSON_BODY, require_json
from ...ratelimit import client_key, login_rate_limit
from ..principal import unauthorized
from .accounts import Accounts, TokenPair
from .passwords import MAX_PASSWORD_LENGTH
from .throttle import AccountThrottle


class LoginForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grant_type: Literal["password"] = "password"
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)
    scope: str = Field(default="", max_length=1000)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - not a secret
    expires_in: int
    refresh_token: str


def router(accounts: Accounts, throttle: AccountThrottle) -> APIRouter:
    """The `/auth` routes, serving the accounts of one app."""
    auth_router = APIRouter(prefix="/auth", tags=["auth"])
    ttl = accounts.tokens.access_ttl

    def token_response(pair: TokenPair) -> TokenResponse:
        return TokenResponse(
            access_token=pair.access.token, expires_in=ttl, refresh_token=pair.refresh.token
        )

    @auth_router.post(
        "/token", dependencies=[Depends(login_rate_limit)], max_body_size=SMALL_JSON_BODY
    )
    async def token(
        form: Annotated[LoginForm, Form()], session: Session, request: Request
    ) -> TokenResponse:
        limiter, network = services_of(request).limiter, client_key(request)
        await throttle.check(limiter, form.username, network)
        pair = await accounts.login(session, form.username, form.password, form.scope.split())
        if pair is None:
            raise unauthorized()
        await throttle.succeeded(limiter, form.username, network)
        return token_response(pair)

    @auth_router.post(
        "/refresh", dependencies=[Depends(require_json)], max_body_size=SMALL_JSON_BODY
    )
    async def refresh(body: RefreshRequest, session: Session) -> TokenResponse:
        pair = await accounts.refresh(session, body.refresh_token)
        if pair is None:
            raise unauthorized()
        return token_response(pair)

    @auth_router.post(
        "/logout",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        dependencies=[Depends(require_json)],
        max_body_size=SMALL_JSON_BODY,
    )
    async def logout(body: RefreshRequest, session: Session) -> None:
        if not await accounts.logout(session, body.refresh_token):
            raise unauthorized()

    return auth_router
