# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`auth=api_key`: machine clients send a long random key in the `X-API-Key` header.

Keys are made with `create-api-key` (shown once) and stored only as hashes; each request looks
its key up by the key's non-secret id, so `revoke-api-key` holds in every worker from the next
request on. There are no password or token routes. This package is the `auth` backend that
`backends.py` names, with the shape of `seams.AuthBackend`: `create`, `deploy_problems` and
`add_commands`.
"""

from ....db.engine import Database
from ....seams import Auth
from ....settings import Settings
from .authenticator import ApiKeyAuthenticator
from .commands import add_commands
from .keys import KEY_PATTERN, NewKey, digest, new_key
from .store import ApiKeyError, create_key, revoke_key
from .tables import ApiKey

__all__ = [
    "KEY_PATTERN",
    "ApiKey",
    "ApiKeyAuthenticator",
    "ApiKeyError",
    "NewKey",
    "add_commands",
    "create",
    "create_key",
    "deploy_problems",
    "digest",
    "new_key",
    "revoke_key",
]


def create(settings: Settings, database: Database) -> Auth:
    return Auth(
        authenticator=ApiKeyAuthenticator(
            database, last_used_interval_seconds=settings.api_key_last_used_interval_seconds
        )
    )


def deploy_problems(_: Settings) -> list[str]:
    """Keys live in the database as hashes: there is no secret to configure."""
    return []
