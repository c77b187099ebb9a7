# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The API gate: before routing, every request under the API prefix names its caller once and
spends one request of the default rate limit, keyed by that caller or by its network.

One pure ASGI layer does both instead of FastAPI dependencies on every route: the dependency
machinery cost more than the checks themselves. Routes read the caller it found with
`CurrentPrincipal` (`security/auth/principal.py`); a 429 (or the 503 of a rate-limit storage
that cannot count) is answered here, and its access record still names the route it was meant
for.
"""

from collections.abc import Callable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Problem, send_problem
from .auth.principal import Authenticator, remember_principal
from .ratelimit import RateLimiter, RateLimitUnavailable, client_key, refusal

LIMIT_HEADER = b"x-ratelimit-limit"


class ApiGateMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        authenticator: Authenticator,
        limiter: RateLimiter,
        route_of: Callable[[Scope], object | None],
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.subtree = prefix + "/"
        self.authenticator = authenticator
        self.limiter = limiter
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith(self.subtree) or path == self.prefix):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        principal = await self.authenticator.authenticate(request)
        remember_principal(scope, principal)
        if principal is not None:
            key = f"principal:{principal.subject}"
        else:
            key = f"client:{client_key(request)}"
        try:
            decision = await self.limiter.hit("default", key)
        except RateLimitUnavailable as unavailable:
            await self.refuse(scope, receive, send, unavailable)
            return
        if not decision.allowed:
            await self.refuse(scope, receive, send, refusal(decision, "default"))
            return
        limit_headers = decision.encoded_headers()

        async def send_with_limit_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # A route with a limit of its own (login) has set these already.
                if all(name != LIMIT_HEADER for name, _ in headers):
                    message["headers"] = headers + limit_headers
            await send(message)

        await self.app(scope, receive, send_with_limit_headers)

    async def refuse(self, scope: Scope, receive: Receive, send: Send, problem: Problem) -> None:
        route = self.route_of(scope)
        if route is not None:
            scope["route"] = route  # for the access record
        await send_problem(
            scope, receive, send, problem.status, problem.detail, headers=problem.headers
        )
