# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Security headers on every response, errors included; HSTS on every HTTPS response."""

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc load their bundle from a CDN and run inline scripts.
DOCS_CSP = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "font-src https://fonts.gstatic.com; connect-src 'self'; worker-src blob:"
)

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


# What every response carries, outside the docs pages (HSTS aside, which depends on the scheme).
RESPONSE_HEADERS = _encode([*BASE_HEADERS, ("content-security-policy", STRICT_CSP)])


def strict_transport_security(max_age: int) -> tuple[bytes, bytes]:
    """The HSTS header, for HTTPS responses only."""
    return (b"strict-transport-security", f"max-age={max_age}".encode("latin-1"))


class SecurityHeadersMiddleware:
    """Adds the security headers, computed once at start-up, to every HTTP response.

    Headers the application set itself win, so a route can still choose e.g. its own
    `Cache-Control`. A `Server` header never leaves the application. HSTS is only sent over
    HTTPS, as judged after trusting `X-Forwarded-Proto` from the configured proxies.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age: int, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.headers = RESPONSE_HEADERS
        self.docs_headers = _encode([*BASE_HEADERS, ("content-security-policy", DOCS_CSP)])
        self.hsts = [strict_transport_security(hsts_max_age)]
        self.names = frozenset(name for name, _ in self.headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"] in self.docs_paths else self.headers

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
