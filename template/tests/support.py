# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Constants and helpers shared by the tests; the fixtures live in conftest.py."""

import io
import secrets
import sys
from contextlib import AbstractContextManager, redirect_stdout, suppress
from dataclasses import dataclass, field
from typing import Any

import httpx
from loguru import logger
from starlette.types import ASGIApp, Message, Receive

from .package import drain_all
from .sink_lines import encoded, parse_event, written

TRUSTED_PROXY = "127.0.0.1"  # the default APP_FORWARDED_ALLOW_IPS
UNTRUSTED_PEER = "203.0.113.7"  # TEST-NET-3: some client on the internet
PROBLEM_JSON = "application/problem+json"


def random_secret() -> str:
    return secrets.token_urlsafe(36)  # 48 characters


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def asgi_call(
    app: ASGIApp,
    method: str,
    target: bytes,
    *,
    headers: list[tuple[bytes, bytes]],
    receive: Receive | None = None,
    scheme: str = "http",
) -> tuple[int, dict[bytes, bytes]]:
    """Call the app straight through ASGI, for what no HTTP client would send (`*@evil/x`)
    or to watch how the body is read. Returns the status and the response headers."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": target.decode("latin-1"),
        "raw_path": target,
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": (TRUSTED_PROXY, 40000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def no_body() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive or no_body, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    return start["status"], dict(start.get("headers", []))


async def raw_get(
    app: ASGIApp, target: bytes, *, host: bytes, scheme: str = "http"
) -> tuple[int, dict[bytes, bytes]]:
    return await asgi_call(app, "GET", target, headers=[(b"host", host)], scheme=scheme)


def without_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "request_id"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem document with every member the service promises."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "request_id"} <= body.keys()
    assert body["status"] == status
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class _Tee(io.StringIO):
    """Keeps what a sink wrote, and passes it on to pytest's capture (shown on failures)."""

    def write(self, text: str) -> int:
        if sys.stdout is not self:
            sys.stdout.write(text)
        return super().write(text)


@dataclass
class Logs:
    """What the log sinks received during one test.

    `text()` is everything the service's own sink wrote (`sink_lines.written`): a sink that
    prints binds `sys.stdout` when the app is created, and `capture_stdout()` puts this stream
    there meanwhile. `records` are the records loguru emitted, at any level, as the sinks
    receive them (after the service's patcher escaped them). Events (access records and
    security events) do not pass through loguru: `events()` and `access()` read them back
    from the written lines (`sink_lines.parse_event`).
    """

    stream: _Tee = field(default_factory=_Tee)
    records: list[Any] = field(default_factory=list)
    _handler: int | None = None

    def capture_stdout(self) -> AbstractContextManager[object]:
        return redirect_stdout(self.stream)

    def attach(self) -> None:
        """Listen (again): `create_app` reconfigures loguru and removes every handler."""
        self.detach()
        self._handler = logger.add(self.records.append, level="TRACE", format="{message}")

    def detach(self) -> None:
        drain_all()  # what this test's services logged stays in this test's stream
        if self._handler is not None:
            with suppress(ValueError):
                logger.remove(self._handler)
            self._handler = None

    def text(self) -> str:
        drain_all()  # access records wait a moment before the sink writes them
        return written(self.stream.getvalue())

    def shows(self, value: str) -> bool:
        """The sink wrote `value` (a value as it reaches the sink, escaped), in its format."""
        return encoded(value) in self.text()

    def events(self, name: str) -> list[dict[str, Any]]:
        """Every event `name` the sink wrote: its fields, `request_id`, `level`, `message`."""
        events = (parse_event(line) for line in self.text().splitlines())
        return [event for event in events if event is not None and event["event"] == name]

    def access(self) -> list[dict[str, Any]]:
        return [
            record | {"status": int(record["status"]), "duration_ms": float(record["duration_ms"])}
            for record in self.events("http.access")
        ]
