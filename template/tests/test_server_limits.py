# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The server's own limits, probed over raw connections against a real `serve` process.

The limits here are small so that the tests are quick; each timing test waits a few times
longer than its limit and far less than the default, so it fails when a setting is ignored.
"""

import contextlib
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .conftest import serving
from .package import main
from .tls_files import SCHEME, open_connection

MAX_HEADER_BYTES = 2048
LIMITS = {
    "max_header_bytes": str(MAX_HEADER_BYTES),
    "header_timeout_seconds": "0.5",
    "body_timeout_seconds": "0.5",
    "keep_alive_seconds": "1",
}
# Longer than every limit above, shorter than every default (keep-alive 5 s, head 10 s).
PATIENCE_SECONDS = 3.0
HEALTH = b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
HTTPS = b"X-Forwarded-Proto: https\r\n"  # from 127.0.0.1, a trusted proxy by default


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def problem(self) -> dict[str, object]:
        assert self.headers["content-type"] == "application/problem+json"
        assert self.headers["x-content-type-options"] == "nosniff"
        # HSTS exactly when the connection itself is TLS, as on the application's answers.
        assert ("strict-transport-security" in self.headers) == (SCHEME == "https")
        document = json.loads(self.body)
        assert document["status"] == self.status
        assert document["request_id"] == self.headers["x-request-id"]
        return document


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with serving(tmp_path_factory.mktemp("limited"), **LIMITS) as client:
        yield client


class Connection:
    """A raw client connection (over TLS when `serve` speaks it) that reads answers one at
    a time."""

    def __init__(self, client: httpx.Client) -> None:
        self.sock = open_connection(client.base_url.port or 80, timeout=PATIENCE_SECONDS)
        self.unread = b""

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *_: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _receive(self) -> None:
        chunk = self.sock.recv(65_536)
        assert chunk, f"connection closed before a whole answer; got {self.unread!r}"
        self.unread += chunk

    def answer(self) -> Answer:
        """The next HTTP/1.1 answer; it has a Content-Length body, as this service gives."""
        while b"\r\n\r\n" not in self.unread:
            self._receive()
        head, _, self.unread = self.unread.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", 0))
        while len(self.unread) < length:
            self._receive()
        body, self.unread = self.unread[:length], self.unread[length:]
        return Answer(int(status_line.split()[1]), headers, body)

    def assert_closed(self) -> None:
        """The server closes the connection within PATIENCE_SECONDS."""
        with contextlib.suppress(ConnectionResetError):
            assert self.sock.recv(1) == b""


def head_of(size: int, request_line: bytes = b"GET /health/live HTTP/1.1") -> bytes:
    """A complete request head of exactly `size` bytes."""
    start = request_line + b"\r\nHost: 127.0.0.1\r\nX-Padding: "
    end = b"\r\n\r\n"
    return start + b"p" * (size - len(start) - len(end)) + end


def test_a_head_of_exactly_the_limit_is_served(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(head_of(MAX_HEADER_BYTES))
        assert connection.answer().status == 200


def test_a_head_one_byte_over_the_limit_is_answered_431(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(head_of(MAX_HEADER_BYTES + 1))
        answer = connection.answer()
        assert answer.status == 431
        assert answer.headers["connection"] == "close"
        assert str(MAX_HEADER_BYTES) in str(answer.problem()["detail"])
        connection.assert_closed()


def test_a_head_is_refused_as_soon_as_it_passes_the_limit(limited: httpx.Client) -> None:
    # No end of head is ever sent: waiting for it would end in 408, not 431.
    with Connection(limited) as connection:
        connection.send(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 4096)
        assert connection.answer().status == 431


def test_a_huge_head_is_never_read_to_its_end(limited: httpx.Client) -> None:
    # 64 MiB cannot fit in the socket buffers: sending it all would mean the server read it.
    # (Over TLS, the client may first see the end the server's close_notify announced.)
    closed = (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError)
    with Connection(limited) as connection, pytest.raises(closed):
        send_huge_head(connection, mebibytes=64)
    assert limited.get("/health/live").status_code == 200


def send_huge_head(connection: Connection, *, mebibytes: int) -> None:
    connection.send(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ")
    chunk = b"b" * 1_048_576
    for _ in range(mebibytes):
        connection.send(chunk)


def test_a_long_body_does_not_count_towards_the_head(limited: httpx.Client) -> None:
    body = b'{"padding": "' + b"x" * (4 * MAX_HEADER_BYTES) + b'"}'
    head = (
        b"POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n" + HTTPS
        + b"Content-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n"
    )  # fmt: skip
    with Connection(limited) as connection:
        # One write: the head, a body four times the head limit, and a second request.
        connection.send(head + body + head_of(MAX_HEADER_BYTES))
        assert connection.answer().status == 401  # the head was read; authentication said no
        assert connection.answer().status == 200


def test_a_head_that_never_ends_is_answered_408(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        answer = connection.answer()
        assert answer.status == 408
        assert "head" in str(answer.problem()["detail"])
        connection.assert_closed()


def test_a_connection_that_sends_nothing_is_closed(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.assert_closed()


def test_a_body_that_never_ends_is_answered_408(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(
            b"POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\n" + HTTPS
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )  # fmt: skip
        answer = connection.answer()
        assert answer.status == 408
        assert "body" in str(answer.problem()["detail"])
        connection.assert_closed()


def test_a_body_dribbled_after_the_answer_does_not_hold_the_connection(
    limited: httpx.Client,
) -> None:
    with Connection(limited) as connection:
        # An unknown host: refused at once, before the body is read. The client keeps sending
        # it, a byte at a time, which stops the keep-alive timer from closing the connection.
        connection.send(
            b"POST /api/v1/items HTTP/1.1\r\nHost: unknown.example\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        assert connection.answer().status == 400
        connection.sock.settimeout(0.1)
        deadline = time.monotonic() + PATIENCE_SECONDS
        closed = False
        while not closed and time.monotonic() < deadline:
            try:
                connection.sock.send(b" ")
                closed = connection.sock.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:
                closed = True
        assert closed


def test_an_idle_kept_alive_connection_is_closed(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(HEALTH)
        answer = connection.answer()
        assert answer.status == 200
        assert "connection" not in answer.headers  # kept alive, then closed when idle
        connection.assert_closed()


def test_invalid_http_is_answered_with_a_problem(limited: httpx.Client) -> None:
    with Connection(limited) as connection:
        connection.send(b"NOT HTTP AT ALL\r\n\r\n")
        answer = connection.answer()
        assert answer.status == 400
        answer.problem()
        connection.assert_closed()


def test_requests_beyond_the_connection_limit_are_answered_503(tmp_path: Path) -> None:
    with serving(tmp_path, max_connections="2") as client:
        client.close()  # its kept-alive connection would count: the server sees it go soon
        first, second = served_connection(client), served_connection(client)
        with first, second, Connection(client) as third:
            third.send(HEALTH)
            answer = third.answer()
            assert answer.status == 503
            assert answer.headers["retry-after"] == "1"
            answer.problem()
            third.assert_closed()
            second.send(HEALTH)
            assert second.answer().status == 200  # the two within the limit are still served
        # Once they are gone, new connections are served again.
        served_connection(client).sock.close()


def served_connection(client: httpx.Client) -> Connection:
    """A connection that was served a request, once the server has room for one (it notices
    closed connections within moments)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        connection = Connection(client)
        connection.send(HEALTH)
        if connection.answer().status == 200:
            return connection
        connection.sock.close()
        assert time.monotonic() < deadline, "the server stayed busy"
        time.sleep(0.05)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX resource limits")
@pytest.mark.parametrize("hard", ["unchanged", "512"])
def test_serve_raises_the_open_file_limit_to_fit_its_connections(hard: str) -> None:
    # 1000 connections and 64 spare files. In a child process: a lowered hard limit stays low.
    package = main.__module__.split(".")[0]
    code = f"""
import resource
from {package}.server.options import fit_open_files
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1] if "{hard}" == "unchanged" else {hard}
resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
shortfall = fit_open_files(1000)
allowed = 1064 if hard == resource.RLIM_INFINITY else min(hard, 1064)
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] == allowed, bool(shortfall) == (allowed < 1064))
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter and package
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["True", "True"]
