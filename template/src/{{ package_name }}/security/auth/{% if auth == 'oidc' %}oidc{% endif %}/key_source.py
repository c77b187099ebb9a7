# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The issuer's keys as this process knows them: fetched lazily, cached, refetched with limits.

- Nothing is fetched at start-up: the app starts while the issuer is down, and the first
  request (or readiness probe) fetches. A request waits for at most one refresh (discovery and
  JWK Set, each within APP_OIDC_HTTP_TIMEOUT_SECONDS), and only when there are no current keys
  or its token names an unknown one.
- Keys are trusted for `cache_seconds` after they were fetched; from 80% of that age on, a
  request starts a refetch in the background. Expired keys verify nothing (fail closed).
- A token naming an unknown `kid` refetches at most once per `cooldown_seconds`, so a storm of
  made-up key ids costs the issuer one fetch per cooldown; concurrent callers share one fetch.
- After a failure, fetching waits 1, 2, 4, ... seconds (at most the cooldown) before it tries
  again: a down issuer is not hammered, and one that comes back is used without a restart.
- The discovery document is read once, and again after any failed fetch (the `jwks_uri` may
  have moved).
"""

import asyncio
import time

from loguru import logger

from .discovery import jwks_url
from .fetch import fetch_json
from .keys import IssuerKeys, parse_key_set

REFRESH_AHEAD = 0.8
MAX_DOUBLINGS = 12  # of the backoff: beyond an hour, the cooldown bounds it anyway


class IssuerUnavailableError(RuntimeError):
    """No current keys of the issuer: tokens cannot be verified."""


class KeySource:
    def __init__(
        self,
        *,
        issuer: str | None,
        jwks_url: str | None,
        cache_seconds: float,
        cooldown_seconds: float,
        timeout: float,
        require_secure: bool,
    ) -> None:
        self.issuer = issuer
        self.configured_jwks_url = jwks_url
        self.cache_seconds = cache_seconds
        self.cooldown_seconds = cooldown_seconds
        self.timeout = timeout
        self.require_secure = require_secure
        self.generation = 0
        """Changes whenever the key set does: verdicts reached with older keys are void."""
        self.settled_until = -float("inf")
        """Until when (`time.monotonic()`) `current()` has nothing to do but return the keys."""
        self._keys: IssuerKeys | None = None
        self._document: object = None
        self._fetched_at = -float("inf")
        self._attempted_at = -float("inf")
        self._retry_at = -float("inf")
        self._failures = 0
        self._discovered: str | None = None
        self._refresh: asyncio.Task[None] | None = None

    def fresh(self) -> IssuerKeys | None:
        """The keys, while they may still be trusted."""
        if time.monotonic() - self._fetched_at < self.cache_seconds:
            return self._keys
        return None

    async def current(self) -> IssuerKeys | None:
        """The keys to verify with now; fetched first when there are none or they expired
        (as the backoff allows), refetched in the background when they are about to."""
        if time.monotonic() < self.settled_until:
            return self._keys
        age = time.monotonic() - self._fetched_at
        if age < self.cache_seconds:
            if not self._in_flight() and time.monotonic() >= self._retry_at:
                self._start()
            return self._keys
        if self._in_flight():
            await self._join(self._refresh)
        elif time.monotonic() >= self._retry_at:
            await self._join(self._start())
        return self.fresh()

    async def refetched(self) -> IssuerKeys | None:
        """The keys after a token named one we do not know: fetched again if the cooldown since
        the last attempt is over (or a fetch is running), else as they are."""
        if self._in_flight():
            await self._join(self._refresh)
        elif time.monotonic() - self._attempted_at >= self.cooldown_seconds:
            await self._join(self._start())
        return self.fresh()

    async def ready(self) -> None:
        """A readiness check: raises while no current keys can be had."""
        if await self.current() is None:
            raise IssuerUnavailableError("the issuer's keys could not be fetched")

    def _in_flight(self) -> bool:
        task = self._refresh
        return (
            task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()
        )

    def _start(self) -> asyncio.Task[None]:
        self._attempted_at = time.monotonic()
        self._refresh = asyncio.get_running_loop().create_task(self._fetch())
        return self._refresh

    @staticmethod
    async def _join(task: asyncio.Task[None] | None) -> None:
        # Shielded: a caller that gives up (a client gone, a probe's time limit) does not
        # cancel the fetch that others wait for.
        if task is not None:
            await asyncio.shield(task)

    async def _fetch(self) -> None:
        try:
            url = await self._jwks_url()
            document = await fetch_json(url, time_limit=self.timeout)
            keys = parse_key_set(document)
            if not keys:
                raise IssuerUnavailableError(f"{url} holds no key that can verify tokens")
        except Exception as error:  # whatever went wrong: keep what we have, retry later
            self._failures += 1
            self._discovered = None  # the jwks_uri may have moved: rediscover next time
            backoff = min(self.cooldown_seconds, 2.0 ** min(self._failures - 1, MAX_DOUBLINGS))
            self._retry_at = time.monotonic() + backoff
            logger.warning("Fetching the OIDC issuer's keys failed: {}", error)
            return
        self._failures = 0
        self._retry_at = -float("inf")
        self._fetched_at = time.monotonic()
        self.settled_until = self._fetched_at + self.cache_seconds * REFRESH_AHEAD
        if document != self._document:
            if self._document is not None:
                logger.info("The OIDC issuer's keys changed: {} usable now", len(keys))
            self._document = document
            self._keys = keys
            self.generation += 1

    async def _jwks_url(self) -> str:
        if self.configured_jwks_url is not None:
            return self.configured_jwks_url
        if self._discovered is None:
            if self.issuer is None:
                raise IssuerUnavailableError("APP_OIDC_ISSUER is not set")
            self._discovered = await jwks_url(
                self.issuer, time_limit=self.timeout, require_secure=self.require_secure
            )
        return self._discovered
