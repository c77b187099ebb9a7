# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""HTTPS: trusted Host and HTTPS enforcement (HSTS is set with the other headers).

Runs after uvicorn's `ProxyHeadersMiddleware`, which rewrites the scheme and client address
from `X-Forwarded-Proto` / `X-Forwarded-For` only when the peer is in
`APP_FORWARDED_ALLOW_IPS`; a header sent by anyone else changes nothing. `exempt_paths`
(the health probes, as `create_app` derives them from their router) skip HTTPS enforcement,
never the Host check.
"""

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import send_problem


def host_from_header(value: str) -> str:
    """The host part of a `Host` header, lower-cased, without the port (IPv6 kept bracketed)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.split(":", 1)[0]


class HostMatcher:
    """Exact host names, plus `*.example.com` patterns that match any subdomain."""

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        hosts = [host.strip().lower() for host in allowed_hosts]
        self.exact = frozenset(host for host in hosts if not host.startswith("*."))
        self.suffixes = tuple(host[1:] for host in hosts if host.startswith("*."))
        self.any = "*" in self.exact

    def __contains__(self, host: str) -> bool:
        return self.any or host in self.exact or (bool(host) and host.endswith(self.suffixes))


class TransportSecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str],
        enforce_https: bool,
        https_redirect: bool,
        exempt_paths: Iterable[str] = (),
    ) -> None:
        self.app = app
        self.hosts = HostMatcher(allowed_hosts)
        self.enforce_https = enforce_https
        self.https_redirect = https_redirect
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = host_from_header(value.decode("latin-1"))
                break
        if host not in self.hosts:
            await send_problem(scope, receive, send, 400, "The Host header is not allowed.")
            return

        if (
            scope["scheme"] == "https"
            or not self.enforce_https
            or scope["path"] in self.exempt_paths
        ):
            await self.app(scope, receive, send)
            return

        if self.https_redirect and scope["method"] in {"GET", "HEAD"}:
            query = scope["query_string"].decode("latin-1")
            path = scope.get("raw_path") or scope["path"].encode()
            location = f"https://{host}{path.decode('latin-1')}"
            if query:
                location += f"?{query}"
            await send(
                {
                    "type": "http.response.start",
                    "status": 308,
                    "headers": [
                        (b"location", location.encode("latin-1")),
                        (b"content-length", b"0"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        await send_problem(scope, receive, send, 403, "This service is only available over HTTPS.")
