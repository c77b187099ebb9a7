# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The OAuth 2.0 token endpoint (RFC 6749: password and refresh_token grants, public
clients), token revocation (RFC 7009), and the JSON refresh and logout routes.

Every error of these routes is a problem document that also carries the RFC 6749 section 5.2
`error` and `error_description`, so standard OAuth 2.0 clients understand it. Bad
credentials and bad refresh tokens get the same 401 `invalid_grant`, whatever the reason.
"""

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ....db.engine import Session
from ....errors import Problem
from ....services import services_of
from ...body import SMALL_JSON_BODY, media_type, require_json
from ...ratelimit import client_key, login_rate_limit
from ..principal import UNAUTHORIZED_HEADERS
from .accounts import SCOPE_PATTERN, Accounts, ScopeError, TokenPair
from .passwords import MAX_PASSWORD_LENGTH
from .throttle import AccountThrottle

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class TokenRequest(BaseModel):
    """A token request from a public client (RFC 6749 sections 3.2.1, 4.3 and 6)."""

    model_config = ConfigDict(extra="forbid")

    grant_type: str = Field(default="password", max_length=64)
    username: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=MAX_PASSWORD_LENGTH)
    refresh_token: str | None = Field(default=None, max_length=4096)
    scope: str | None = Field(default=None, max_length=1000)
    client_id: str | None = Field(default=None, max_length=255)


class RevocationRequest(BaseModel):
    """A revocation request (RFC 7009 section 2.1)."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=4096)
    token_type_hint: str | None = Field(default=None, max_length=64)
    client_id: str | None = Field(default=None, max_length=255)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - not a secret
    expires_in: int
    refresh_token: str
    scope: str | None = None
    """Present when the scopes granted differ from those requested (RFC 6749 section 5.1)."""


def oauth_error(error: str, description: str) -> Problem:
    """An RFC 6749 section 5.2 error as a problem: 401 for `invalid_grant`, else 400."""
    status_code, headers = (401, UNAUTHORIZED_HEADERS) if error == "invalid_grant" else (400, {})
    return Problem(
        status_code, description, headers=headers, error=error, error_description=description
    )


def invalid_grant() -> Problem:
    return oauth_error("invalid_grant", "The credentials or the refresh token are not valid.")


def requested_scopes(scope: str | None) -> frozenset[str] | None:
    if scope is None:
        return None
    scopes = frozenset(scope.split())
    if not all(SCOPE_PATTERN.fullmatch(name) for name in scopes):
        raise oauth_error("invalid_scope", "The scope parameter is malformed.")
    return scopes


async def form_fields(request: Request) -> dict[str, str]:
    """The parameters of an RFC 6749 form: URL-encoded, each at most once, empty ones
    omitted (section 3.2). Anything else is `invalid_request`."""
    if media_type(request) != FORM_MEDIA_TYPE:
        raise oauth_error("invalid_request", f"Send the parameters as {FORM_MEDIA_TYPE}.")
    form = await request.form()
    fields: dict[str, str] = {}
    for name in form:
        values = form.getlist(name)
        if len(values) != 1 or not isinstance(values[0], str):
            raise oauth_error("invalid_request", "Each parameter may be sent once.")
        if values[0]:
            fields[name] = values[0]
    return fields


def invalid_parameters(error: ValidationError) -> Problem:
    # Names of the parameters only: their values are never echoed.
    names = sorted({str(problem["loc"][0]) for problem in error.errors() if problem["loc"]})
    return oauth_error(
        "invalid_request", f"Missing, unknown or invalid parameters: {', '.join(names)}."
    )


def form_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI description of a form body that the route parses itself."""
    schema = model.model_json_schema()
    content = {FORM_MEDIA_TYPE: {"schema": schema}}
    return {"requestBody": {"required": True, "content": content}}


def router(accounts: Accounts, throttle: AccountThrottle) -> APIRouter:
    """The `/auth` routes, serving the accounts of one app."""
    auth_router = APIRouter(prefix="/auth", tags=["auth"])
    ttl = accounts.tokens.access_ttl

    def token_response(pair: TokenPair, requested: frozenset[str] | None) -> TokenResponse:
        scope = " ".join(sorted(pair.scopes)) if pair.scopes != requested else None
        return TokenResponse(
            access_token=pair.access.token,
            expires_in=ttl,
            refresh_token=pair.refresh.token,
            scope=scope,
        )

    async def refresh_grant(
        session: Session, refresh_token: str, scope: frozenset[str] | None
    ) -> TokenResponse:
        try:
            pair = await accounts.refresh(session, refresh_token, scope)
        except ScopeError:
            raise oauth_error(
                "invalid_scope", "A refresh cannot ask for scopes its login was not granted."
            ) from None
        if pair is None:
            raise invalid_grant()
        return token_response(pair, scope if scope is not None else pair.scopes)

    @auth_router.post(
        "/token",
        dependencies=[Depends(login_rate_limit)],
        max_body_size=SMALL_JSON_BODY,
        response_model_exclude_none=True,
        openapi_extra=form_body(TokenRequest),
    )
    async def token(request: Request, session: Session) -> TokenResponse:
        try:
            form = TokenRequest.model_validate(await form_fields(request))
        except ValidationError as error:
            raise invalid_parameters(error) from None
        scope = requested_scopes(form.scope)
        if form.grant_type == "refresh_token":
            if form.refresh_token is None:
                raise oauth_error("invalid_request", "The refresh_token parameter is missing.")
            return await refresh_grant(session, form.refresh_token, scope)
        if form.grant_type != "password":
            raise oauth_error("unsupported_grant_type", "Use grant_type password or refresh_token.")
        if form.username is None or form.password is None:
            raise oauth_error("invalid_request", "The username and password are required.")
        limiter, network = services_of(request).limiter, client_key(request)
        await throttle.check(limiter, form.username, network)
        pair = await accounts.login(
            session, form.username, form.password, sorted(scope) if scope else None
        )
        if pair is None:
            raise invalid_grant()
        await throttle.succeeded(limiter, form.username, network)
        return token_response(pair, scope)

    @auth_router.post(
        "/revoke",
        status_code=status.HTTP_200_OK,
        response_class=Response,
        max_body_size=SMALL_JSON_BODY,
        openapi_extra=form_body(RevocationRequest),
    )
    async def revoke(request: Request, session: Session) -> None:
        """RFC 7009: a refresh token ends its session. The answer is 200 for any token, valid
        or not; access tokens cannot be revoked and simply expire (`expires_in`)."""
        try:
            form = RevocationRequest.model_validate(await form_fields(request))
        except ValidationError as error:
            raise invalid_parameters(error) from None
        await accounts.logout(session, form.token)

    @auth_router.post(
        "/refresh",
        dependencies=[Depends(require_json)],
        max_body_size=SMALL_JSON_BODY,
        response_model_exclude_none=True,
    )
    async def refresh(body: RefreshRequest, session: Session) -> TokenResponse:
        return await refresh_grant(session, body.refresh_token, None)

    @auth_router.post(
        "/logout",
        status_code=status.HTTP_204_NO_CONTENT,
        response_class=Response,
        dependencies=[Depends(require_json)],
        max_body_size=SMALL_JSON_BODY,
    )
    async def logout(body: RefreshRequest, session: Session) -> None:
        if not await accounts.logout(session, body.refresh_token):
            raise invalid_grant()

    return auth_router
