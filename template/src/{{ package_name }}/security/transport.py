# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""HTTPS: trusted Host and HTTPS enforcement (HSTS is set with the other headers).

Runs after uvicorn's `ProxyHeadersMiddleware`, which rewrites the scheme and client address
from `X-Forwarded-Proto` / `X-Forwarded-For` only when the peer is in
`APP_FORWARDED_ALLOW_IPS`; a header sent by anyone else changes nothing. `exempt_paths`
(the health probes, as `create_app` derives them from their router) skip HTTPS enforcement,
never the Host check.
"""

import functools
import ipaddress
import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import send_problem

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# RFC 3986 host [":" port], narrowed to what a server name can be: a DNS name (which covers
# IPv4 addresses) or a bracketed IPv6 address. No userinfo, path, query or fragment.
_HOST_HEADER = re.compile(
    r"(?P<host>\[[0-9a-f:.]+\]|(?:" + _LABEL + r"\.)*" + _LABEL + r"\.?)(?::(?P<port>\d{1,5}))?"
)


@functools.lru_cache(maxsize=1024)  # the same few Host values arrive again and again
def host_from_header(value: str) -> str | None:
    """The host of a `Host` header, lower-cased and without the port; None unless the whole
    value follows the host and port grammar (so `a:@b`, `a/.b`, `a?b` or `a\\b` are None)."""
    match = _HOST_HEADER.fullmatch(value.lower())
    if match is None or (match["port"] is not None and int(match["port"]) > 65_535):
        return None
    host = match["host"]
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        return host
    return host.removesuffix(".")


class HostMatcher:
    """Exact host names, and `*.example.com` patterns: one or more labels followed by exactly
    the pattern's labels, compared label by label."""

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        hosts = [host.strip().lower() for host in allowed_hosts]
        self.any = "*" in hosts
        self.exact = frozenset(host for host in hosts if not host.startswith("*."))
        self.suffixes = tuple(tuple(host[2:].split(".")) for host in hosts if host.startswith("*."))

    def __contains__(self, host: str) -> bool:
        if self.any or host in self.exact:
            return True
        labels = tuple(host.split("."))
        return any(
            len(labels) > len(suffix) and labels[-len(suffix) :] == suffix
            for suffix in self.suffixes
        )


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

        host = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = host_from_header(value.decode("latin-1"))
                break
        if host is None or host not in self.hosts:
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
            path = scope.get("raw_path") or scope["path"].encode("latin-1")
            if not path.startswith(b"/") or path.startswith(b"//"):
                # Only an origin-form target (`/path`) may follow the host in `Location`.
                await send_problem(scope, receive, send, 400, "The request target is not a path.")
                return
            query = scope["query_string"].decode("latin-1")
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
