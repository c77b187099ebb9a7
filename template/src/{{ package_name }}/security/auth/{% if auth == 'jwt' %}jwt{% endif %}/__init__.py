# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`auth=jwt`: the service keeps its own users and issues its own tokens.

Password login (argon2id), short-lived signed access tokens and rotating refresh tokens. This
package is the `auth` backend that `backends.py` names, with the shape of
`seams.AuthBackend`: `create`, `deploy_problems` and `add_commands`. `keys.py` is the
`jwt_algorithm` choice: where the signing and verifying keys come from.
"""

from ....db.engine import Database
from ....seams import Auth
from ....settings import Settings
from . import keys, routes
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
    signing_keys = keys.signing_keys(settings)
    tokens = TokenService(
        keys=signing_keys,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_token_ttl_seconds,
        refresh_ttl=settings.refresh_token_ttl_seconds,
        session_max_age=settings.session_max_age_seconds,
    )
    accounts = Accounts(tokens, PasswordHasher())
    throttle = AccountThrottle(settings.rate_limit_login_account)
    return Auth(
        authenticator=BearerAuthenticator(tokens),
        routers=(routes.router(accounts, throttle),),
        public_routers=keys.public_routers(signing_keys),
    )


def deploy_problems(settings: Settings) -> list[str]:
    return keys.deploy_problems(settings)
