# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Password guessing spread over many addresses: a ceiling on the login attempts for one
account from networks it has never logged in from.

The per-client login limit stops guessing from one place. An attacker with many addresses
meets this ceiling instead. The account's own networks (where it logged in within the last
30 days) are not subject to it, so the ceiling cannot lock the real user out from there.
"""

from limits import parse

from ...ratelimit import RateLimiter, refusal

KNOWN_NETWORK_SECONDS = 30 * 86_400
NAMESPACE = "login_account"


class AccountThrottle:
    def __init__(self, ceiling: str) -> None:
        self.ceiling = parse(ceiling)

    async def check(self, limiter: RateLimiter, username: str, network: str) -> None:
        """Raise a 429 problem when an unknown network tries an account over its ceiling."""
        if await limiter.remembers(_known(username, network)):
            return
        decision = await limiter.hit_item(self.ceiling, NAMESPACE, username)
        if not decision.allowed:
            raise refusal(decision, NAMESPACE)

    async def succeeded(self, limiter: RateLimiter, username: str, network: str) -> None:
        await limiter.remember(_known(username, network), KNOWN_NETWORK_SECONDS)


def _known(username: str, network: str) -> str:
    return f"{NAMESPACE}/{username}/{network}"
