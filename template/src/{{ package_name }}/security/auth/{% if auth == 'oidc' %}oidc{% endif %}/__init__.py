# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`auth=oidc`: an OAuth 2.0 resource server for an OpenID Connect identity provider.

Clients get access tokens from the provider (Keycloak, Auth0, Entra ID, ...); this service
only verifies them, against the keys the provider publishes: no users, passwords or token
routes here. This package is the `auth` backend that `backends.py` names, with the shape of
`seams.AuthBackend`: `create`, `deploy_problems` and `add_commands`.

- `urls.py`, `fetch.py`, `discovery.py`: reaching the provider (https, bounded, async);
- `keys.py`: its signing keys and the algorithms each may verify;
- `key_source.py`: those keys fetched lazily, cached, refetched with a cooldown and backoff;
- `tokens.py`: what makes an access token valid, and the principal it names;
- `authenticator.py`: the bearer token of a request, checked once.
"""

from loguru import logger

from ....db.engine import Database
from ....seams import AddCommand, Auth, OpenDatabase
from ....settings import Settings
from .authenticator import OidcAuthenticator
from .checks import deploy_problems
from .key_source import KeySource
from .tokens import AccessTokenVerifier, subject_of

__all__ = ["OidcAuthenticator", "add_commands", "create", "deploy_problems", "subject_of"]

READINESS_NAME = "oidc_issuer"


def create(settings: Settings, _: Database) -> Auth:
    """Nothing is fetched here: the app starts while the issuer is down, and fetches later."""
    if not (settings.oidc_issuer and settings.oidc_audience):
        logger.warning("APP_OIDC_ISSUER or APP_OIDC_AUDIENCE is not set: every token is refused")
    keys = KeySource(
        issuer=settings.oidc_issuer,
        jwks_url=settings.oidc_jwks_url,
        cache_seconds=settings.oidc_jwks_cache_seconds,
        cooldown_seconds=settings.oidc_jwks_cooldown_seconds,
        timeout=settings.oidc_http_timeout_seconds,
        require_secure=settings.is_production,
    )
    verifier = AccessTokenVerifier(
        issuer=settings.oidc_issuer or "",
        audience=settings.oidc_audience or "",
        leeway=settings.oidc_leeway_seconds,
        accept_jwt_typ=settings.oidc_accept_jwt_typ,
    )
    return Auth(
        authenticator=OidcAuthenticator(verifier, keys),
        readiness={READINESS_NAME: keys.ready},
    )


def add_commands(add_command: AddCommand, open_database: OpenDatabase) -> None:
    """No commands: users and their tokens live at the identity provider."""
