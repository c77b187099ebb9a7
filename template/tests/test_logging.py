# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 4, logging: request ids, access records, escaping, no secrets, security events."""

import io
import logging
import re
import time
import uuid

import httpx
import pytest
from fastapi import FastAPI
from loguru import logger
from pydantic import SecretStr
from starlette.routing import Route

from .package import AccessBatchingStream, escape, services_of
from .principals import SUBJECTS, bad_credentials, credentials, secret_values
from .sink_lines import is_record
from .support import Logs

pytestmark = pytest.mark.anyio

VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


async def test_request_id_is_generated(client, logs: Logs) -> None:
    first = await client.get("/health/live")
    second = await client.get("/no/such/route")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(VALID_REQUEST_ID.fullmatch(request_id) for request_id in ids)
    assert ids[0] != ids[1]
    assert second.json()["request_id"] == ids[1]
    assert [record["request_id"] for record in logs.access()] == ids


async def test_valid_client_request_id_is_kept(client, logs: Logs) -> None:
    valid = ["abc-123.DEF_x", "a", "A" * 64, str(uuid.uuid4())]
    for request_id in valid:
        response = await client.get("/no/such/route", headers={"X-Request-ID": request_id})
        assert response.headers["x-request-id"] == request_id
        assert response.json()["request_id"] == request_id
    assert [record["request_id"] for record in logs.access()] == valid


async def test_invalid_client_request_id_is_replaced(client, logs: Logs) -> None:
    invalid = ["A" * 65, "has space", "tab\there", "new\nline", "esc\x1b[2J", "<script>", "a/b", ""]
    for request_id in invalid:
        response = await client.get("/health/live", headers={"X-Request-ID": request_id})
        replaced = response.headers["x-request-id"]
        assert replaced != request_id
        assert VALID_REQUEST_ID.fullmatch(replaced)
        assert logs.access()[-1]["request_id"] == replaced
    text = logs.text()
    assert all(request_id not in text for request_id in invalid if request_id)


async def test_access_record_fields(app, client, logs: Logs) -> None:
    item_id = uuid.uuid4()
    response = await client.get(
        f"/api/v1/items/{item_id}", headers={**credentials(app, "bob"), "X-Request-ID": "req-1"}
    )
    assert response.status_code == 404
    (record,) = logs.access()
    assert record["request_id"] == "req-1"
    assert record["method"] == "GET"
    assert record["route"] == "/api/v1/items/{item_id}"
    assert record["status"] == 404
    assert isinstance(record["duration_ms"], float)
    assert record["duration_ms"] >= 0
    assert record["client_ip"] == "127.0.0.1"
    assert record["principal"] == SUBJECTS["bob"]
    line = next(line for line in logs.text().splitlines() if "http.access" in line)
    assert "req-1" in line
    assert "/api/v1/items/{item_id}" in line
    assert str(item_id) not in line  # the route template, not the raw path


async def test_access_record_of_anonymous_and_unmatched_requests(client, logs: Logs) -> None:
    await client.get("/api/v1/me")
    await client.get("/nowhere/at/all")
    me, nowhere = logs.access()
    assert (me["route"], me["status"]) == ("/api/v1/me", 401)
    assert (nowhere["route"], nowhere["status"]) == ("<unmatched>", 404)
    assert me["principal"] in {None, "-"}
    assert "/nowhere/at/all" not in logs.text()


async def test_access_record_names_every_route_outside_the_api_routers(
    make_app, make_client, logs: Logs
) -> None:
    # The routes added to the app itself, not through a router: FastAPI's schema, the docs
    # pages and their files (on in development), and any the owner adds.
    app: FastAPI = make_app(env="development")
    app.add_api_route("/owner/status", lambda: {"ok": True})
    paths = [
        route.path
        for route in app.routes
        if isinstance(route, Route) and "GET" in (route.methods or ()) and "{" not in route.path
    ]
    assert {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/owner/status"} <= set(paths)
    assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= set(paths)
    client = make_client(app)
    for path in paths:
        assert (await client.get(path)).status_code == 200, path
    assert [record["route"] for record in logs.access()] == paths


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("line\nforged | INFO | admin logged in", "line\\nforged | INFO | admin logged in"),
        ("cr\rlf", "cr\\rlf"),
        ("ansi\x1b[31mred", "ansi\\x1b[31mred"),
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("c1\x85next", "c1\\x85next"),
        ("unicode\u2028separator\u2029", "unicode\\u2028separator\\u2029"),
        ("tab\tkept visible", "tab\\tkept visible"),
        ("{braces} stay", "{braces} stay"),
        ("é ü 中文", "é ü 中文"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


async def test_client_controlled_values_are_escaped_in_the_log(client, logs: Logs) -> None:
    # A proxy that passes X-Forwarded-For through, and an odd HTTP method: both are logged.
    forged_ip = "198.51.100.1\nFAKE | INFO | admin=true"
    await client.get("/health/live", headers={"X-Forwarded-For": forged_ip})
    await client.request("GE\x1b[2JT{0}", "/health/live")
    text = logs.text()
    assert "\nFAKE" not in text
    assert "\x1b" not in text
    assert logs.shows("198.51.100.1\\nFAKE | INFO | admin=true")
    assert logs.shows("GE\\x1b[2JT{0}")
    client_ip, method = logs.access()[0]["client_ip"], logs.access()[1]["method"]
    assert "\n" not in client_ip
    assert "\x1b" not in method
    # Every line the sink wrote is one log record: nothing was split or forged.
    assert all(is_record(line) for line in text.splitlines())


def secret_parts(headers: dict[str, str]) -> list[str]:
    """The credential in each header value, without its scheme (`Bearer ...`)."""
    return [value.rsplit(" ", 1)[-1] for value in headers.values()]


async def test_secrets_never_reach_the_logs(make_app, make_client, logs: Logs) -> None:
    app = make_app(log_level="DEBUG")
    client = make_client(app)
    sent: list[httpx.Request] = []

    async def count(request: httpx.Request) -> None:
        sent.append(request)

    client.event_hooks["request"].append(count)
    settings = services_of(app).settings

    headers, wrong = credentials(app), bad_credentials(app)
    created = await client.post("/api/v1/items", headers=headers, json={"name": "n"})
    await client.get(f"/api/v1/items/{created.json()['id']}", headers=headers)
    await client.get("/api/v1/items", headers=headers)
    await client.get("/api/v1/me", headers={"Cookie": "session=cookie-secret-value"})
    await client.get("/api/v1/me", headers=wrong)

    configured = {  # every secret setting of this service, whichever its options
        name: value.get_secret_value() for name, value in settings if isinstance(value, SecretStr)
    }
    secrets = {
        **configured,
        "cookie": "cookie-secret-value",
        **{f"credentials {n}": part for n, part in enumerate(secret_parts(headers))},
        **{f"wrong credentials {n}": part for n, part in enumerate(secret_parts(wrong))},
        **await secret_values(app, client),  # the auth choice's own requests and secrets
    }
    secrets = {name: value for name, value in secrets.items() if len(value) > 8}
    printed = logs.text()
    structured = " ".join(f"{r} {r.record['extra']}" for r in logs.records)
    assert len(sent) >= 5
    assert len(logs.access()) == len(sent)  # every request left its record, checked below
    for name, value in secrets.items():
        assert value not in printed, f"{name} was printed to the log"
        assert value not in structured, f"{name} reached a log sink"


@pytest.mark.usefixtures("whole_minute")
async def test_security_events_are_logged_as_such(make_app, make_client, logs: Logs) -> None:
    app: FastAPI = make_app(rate_limit_default="3/minute")
    client = make_client(app)
    await client.get("/api/v1/me", headers=bad_credentials(app))  # auth.failure
    reader = credentials(app, "reader")
    await client.post("/api/v1/items", headers=reader, json={"name": "x"})  # authz.denied
    await client.post("/api/v1/items", headers=credentials(app), json={"bad": 1})  # input.rejected
    for _ in range(4):
        await client.get("/api/v1/me", headers=credentials(app, "bob"))  # ratelimit.exceeded
    expected = {
        "auth.failure": {"WARNING"},
        "authz.denied": {"WARNING"},
        "input.rejected": {"WARNING"},
        "ratelimit.exceeded": {"WARNING"},
    }
    for event, levels in expected.items():
        (record,) = logs.events(event)
        assert record["level"] in levels
        assert record["message"] == event
    # Events are written by the sink itself, not through loguru.
    assert not [r for r in logs.records if "event" in r.record["extra"]]


async def test_standard_logging_reaches_the_loguru_sinks(app, logs: Logs) -> None:
    logging.getLogger("uvicorn.error").warning("uvicorn says %s", "hello")
    logging.getLogger("alembic.runtime").info("alembic reports\nsomething")
    [uvicorn, alembic] = [r.record for r in logs.records]
    assert (uvicorn["message"], uvicorn["level"].name) == ("uvicorn says hello", "WARNING")
    assert uvicorn["extra"]["logger"] == "uvicorn.error"
    assert alembic["message"] == "alembic reports\\nsomething"
    assert "uvicorn says hello" in logs.text()


async def test_sqlalchemy_statements_and_parameters_stay_out(app, client, logs: Logs) -> None:
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT * FROM users WHERE pw = 'x'")
    name = "a-name-only-the-database-sees"
    created = await client.post("/api/v1/items", headers=credentials(app), json={"name": name})
    assert created.status_code == 201
    assert (await client.get("/api/v1/items", headers=credentials(app))).status_code == 200
    assert "SELECT" not in logs.text()
    assert name not in logs.text()  # no parameter, and no value from a logged row either


async def boom() -> None:
    card_number = "4111-1111-1111-1111"  # a local variable loguru's `diagnose` would print
    raise RuntimeError("failed: " + card_number[:4])


@pytest.mark.parametrize("env", ["production", "development", "test"])
async def test_tracebacks_show_no_local_variables(
    make_app, make_client, logs: Logs, env: str
) -> None:
    app = make_app(env=env)
    app.add_api_route("/boom", boom)
    response = await make_client(app).get("/boom")
    assert response.status_code == 500
    text = logs.text()
    assert "Traceback" in text
    assert "RuntimeError: failed: 4111" in text
    assert "4111-1111-1111-1111" not in text


def test_request_records_wait_and_others_write_them_out_in_order() -> None:
    stream = io.StringIO()
    sink = AccessBatchingStream(stream, interval=60)
    handler = logger.add(sink, format="{message}")
    try:
        logger.bind(event="http.access").info("first request")
        logger.bind(event="auth.failure").warning("second request")
        assert stream.getvalue() == ""  # waiting, not written one system call each
        logger.info("server started")
        assert stream.getvalue() == "first request\nsecond request\nserver started\n"
    finally:
        logger.remove(handler)


def test_waiting_request_records_are_written_within_the_interval() -> None:
    stream = io.StringIO()
    handler = logger.add(AccessBatchingStream(stream, interval=0.05), format="{message}")
    try:
        logger.bind(event="http.access").info("a request")
        deadline = time.monotonic() + 5
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "a request\n"
    finally:
        logger.remove(handler)


class _FailsOnce(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def write(self, text: str) -> int:
        if not self.failed:
            self.failed = True
            raise OSError("the pipe is gone for a moment")
        return super().write(text)


def test_the_writer_keeps_going_after_a_failed_write(capsys: pytest.CaptureFixture[str]) -> None:
    stream = _FailsOnce()
    handler = logger.add(AccessBatchingStream(stream, interval=0.02), format="{message}")
    try:
        logger.bind(event="http.access").info("lost with the failed write")
        deadline = time.monotonic() + 5
        while not stream.failed and time.monotonic() < deadline:
            time.sleep(0.01)
        logger.bind(event="http.access").info("written later")
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stream.getvalue() == "written later\n"
        assert "the pipe is gone" in capsys.readouterr().err
    finally:
        logger.remove(handler)
