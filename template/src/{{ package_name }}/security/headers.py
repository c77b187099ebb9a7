# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Security headers on every response, errors included; HSTS on every HTTPS response."""

from collections.abc import Iterable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"

BASE_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
    (
        "permissions-policy",
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
        "microphone=(), payment=(), usb=()",
    ),
    ("cache-control", "no-store"),
)


def _encode(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def with_policy(policy: str) -> list[tuple[bytes, bytes]]:
    return _encode([*BASE_HEADERS, ("content-security-policy", policy)])


# What every response carries, outside the docs pages (HSTS aside, which depends on the scheme).
RESPONSE_HEADERS = with_policy(STRICT_CSP)


def strict_transport_security(max_age: int) -> tuple[bytes, bytes]:
    """The HSTS header, for HTTPS responses only."""
    return (b"strict-transport-security", f"max-age={max_age}".encode("latin-1"))


class SecurityHeadersMiddleware:
    """Adds the security headers, computed once at start-up, to every HTTP response.

    Headers the application set itself win, so a route can still choose e.g. its own
    `Cache-Control`. A `Server` header never leaves the application. HSTS is only sent over
    HTTPS, as judged after trusting `X-Forwarded-Proto` from the configured proxies.
    `page_policies` gives the few pages that need another Content-Security-Policy theirs, by
    path (the API docs, when on).
    """

    def __init__(
        self, app: ASGIApp, *, hsts_max_age: int, page_policies: Mapping[str, str] | None = None
    ) -> None:
        self.app = app
        self.headers = RESPONSE_HEADERS
        self.page_headers = {
            path: with_policy(policy) for path, policy in (page_policies or {}).items()
        }
        self.hsts = [strict_transport_security(hsts_max_age)]
        self.names = frozenset(name for name, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.page_headers.get(scope["path"], self.headers)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Read at response time: the proxy-headers layer may have set the scheme.
                hsts = self.hsts if scope["scheme"] == "https" else []
                own = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != b"server"
                ]
                present = {name.lower() for name, _ in own} & self.names
                message["headers"] = own + [h for h in extra if h[0] not in present] + hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)
