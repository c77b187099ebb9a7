# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Rate limiting on `limits` (the engine behind slowapi), with its non-blocking async API.

The key is the authenticated principal when there is one, else the client address as the
trusted-proxy logic resolved it (`X-Forwarded-For` from an untrusted peer changes nothing),
IPv6 clients by their /64 network.
Where the counters live is the `rate_limit_backend` choice: one module beside this one.
"""

import functools
import ipaddress
import math
import time
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from fastapi import Request, Response
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from ...errors import Problem
from ...observability.logging import security_event
from ...services import services_of

LimitName = Literal["default", "login"]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
        }

    def encoded_headers(self) -> list[tuple[bytes, bytes]]:
        return [(name.lower().encode(), value.encode()) for name, value in self.headers().items()]

    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.reset_at - time.time())))


class RateLimitUnavailable(Problem):
    """Raised by a storage that cannot count right now and is set to refuse rather than let
    requests through uncounted: the client gets a 503 and retries."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            503,
            "Rate limiting is unavailable: retry shortly.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


@runtime_checkable
class Closable(Protocol):
    """A storage that holds connections (to a server) to close when the app stops."""

    async def aclose(self) -> None: ...


class RateLimiter:
    def __init__(self, storage: Storage, *, default: str, login: str) -> None:
        self.storage = storage
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self.limits: dict[LimitName, RateLimitItem] = {
            "default": parse(default),
            "login": parse(login),
        }

    async def hit(self, name: LimitName, key: str) -> Decision:
        return await self.hit_item(self.limits[name], name, key)

    async def hit_item(self, item: RateLimitItem, namespace: str, key: str) -> Decision:
        """Spend one request of `item` (a limit of the caller's own) for `key`."""
        allowed = await self.strategy.hit(item, namespace, key)
        stats = await self.strategy.get_window_stats(item, namespace, key)
        return Decision(allowed, item.amount, stats.remaining, stats.reset_time)

    async def remember(self, key: str, seconds: int) -> None:
        """Note `key` for `seconds`, in the limiter's storage (shared like the counters)."""
        await self.storage.incr(f"remembered/{key}", seconds)

    async def remembers(self, key: str) -> bool:
        return await self.storage.get(f"remembered/{key}") > 0

    async def close(self) -> None:
        if isinstance(self.storage, Closable):
            await self.storage.aclose()


def refusal(decision: Decision, limit: str) -> Problem:
    """The 429 for a refused `decision`, logged as a security event."""
    security_event("ratelimit.exceeded", limit=limit)
    headers = {**decision.headers(), "Retry-After": decision.retry_after()}
    return Problem(429, "Too many requests: slow down and retry later.", headers=headers)


def client_key(request: Request) -> str:
    """The client as the limits count it: its IPv4 address, or the /64 network of its IPv6
    address (a subscriber usually holds a whole /64 and can rotate addresses inside it)."""
    return _network_of(request.client.host if request.client else "")


@functools.lru_cache(maxsize=4096)
def _network_of(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class RateLimit:
    """A dependency that spends one request of the named limit for the client's network, or
    answers 429. (The default limit is spent for every API request by `security/gate.py`.)"""

    def __init__(self, name: LimitName) -> None:
        self.name: LimitName = name

    async def __call__(self, request: Request, response: Response) -> None:
        decision = await services_of(request).limiter.hit(
            self.name, f"client:{client_key(request)}"
        )
        if not decision.allowed:
            raise refusal(decision, self.name)
        response.headers.update(decision.headers())


login_rate_limit = RateLimit("login")
