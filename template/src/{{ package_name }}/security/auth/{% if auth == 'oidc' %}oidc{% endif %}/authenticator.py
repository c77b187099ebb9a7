# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""`Authorization: Bearer <access token>` from the identity provider, once per API request."""

import time

from fastapi import Request

from ..principal import Principal, bearer_token
from .key_source import KeySource
from .tokens import AccessTokenVerifier, InvalidTokenError


class OidcAuthenticator:
    """Turns a valid access token into its principal; never raises for a bad one.

    Tokens that verified are remembered until they expire, in a bounded table, so a client
    that sends the same token again costs a lookup instead of a signature check. Only
    successes are remembered, and only while the keys that verified them are current: a change
    of the issuer's keys, or keys due for a refetch, send the token through the full check.
    """

    challenge = "Bearer"
    """The scheme of `WWW-Authenticate` on 401 and 403 answers (RFC 6750)."""

    def __init__(
        self, verifier: AccessTokenVerifier, keys: KeySource, *, cache_size: int = 4096
    ) -> None:
        self.verifier = verifier
        self.keys = keys
        self.cache_size = cache_size
        self._verified: dict[str, tuple[Principal, int, int]] = {}

    async def authenticate(self, request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            return None
        cached = self._verified.get(token)
        if (
            cached is not None
            and cached[1] > time.time()
            and cached[2] == self.keys.generation
            and self.keys.settled_until > time.monotonic()
        ):
            return cached[0]
        return await self._verify(token)

    async def _verify(self, token: str) -> Principal | None:
        keys = await self.keys.current()
        if keys is None:
            return None  # no current keys: fail closed
        generation = self.keys.generation
        try:
            header = self.verifier.header(token)
            key = keys.find(header.kid, header.algorithm)
            if key is None and header.kid is not None and not keys.knows(header.kid):
                # A key we do not know yet (a rotation at the issuer), or a made-up kid: the
                # key source refetches at most once per cooldown.
                refetched = await self.keys.refetched()
                key = refetched.find(header.kid, header.algorithm) if refetched else None
                generation = self.keys.generation
            if key is None:
                return None
            principal, expires_at = self.verifier.verify(header, key.key)
        except InvalidTokenError:
            return None
        if len(self._verified) >= self.cache_size:
            del self._verified[next(iter(self._verified))]  # oldest first
        self._verified[token] = (principal, expires_at, generation)
        return principal
