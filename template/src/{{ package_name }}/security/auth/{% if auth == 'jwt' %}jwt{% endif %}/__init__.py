# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`auth=jwt`: the service keeps its own users and issues its own tokens.

Password login (argon2id), short-lived signed access tokens and rotating refresh tokens. This
package is the `auth` backend that `backends.py` names, with the shape of
`seams.AuthBackend`: `create`, `deploy_problems` and `add_commands`.
"""

import secrets

from loguru import logger
from pydantic import SecretStr

from ....db.engine import Database
from ....seams import Auth
from ....settings import Settings, secret_problems
from . import routes
from .accounts import Accounts, create_user
from .commands import add_commands
from .passwords import PasswordHasher
from .throttle import AccountThrottle
from .tokens import BearerAuthenticator, TokenService

__all__ = [
    "BearerAuthenticator",
    "PasswordHasher",
    "add_commands",
    "create",
    "create_user",
    "deploy_problems",
]


def create(settings: Settings, _: Database) -> Auth:
    tokens = TokenService(
        secret=_signing_secret(settings).get_secret_value().encode(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
        session_max_age=settings.session_max_age_seconds,
    )
    accounts = Accounts(tokens, PasswordHasher())
    throttle = AccountThrottle(settings.rate_limit_login_account)
    return Auth(
        authenticator=BearerAuthenticator(tokens), routers=(routes.router(accounts, throttle),)
    )


def deploy_problems(settings: Settings) -> list[str]:
    return secret_problems("APP_JWT_SECRET", settings.jwt_secret)


def _signing_secret(settings: Settings) -> SecretStr:
    if settings.jwt_secret is not None:
        return settings.jwt_secret
    # Only outside production: there a missing secret is a deploy problem.
    logger.warning(
        "APP_JWT_SECRET is not set: using an ephemeral secret, tokens end with this process"
    )
    return SecretStr(secrets.token_urlsafe(48))
