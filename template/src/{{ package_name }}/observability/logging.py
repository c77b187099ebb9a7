# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Logging: loguru for everything, standard `logging` routed into it, values made safe.

Nothing here logs headers or bodies, so `Authorization`, cookies, API keys, passwords and
tokens never reach a sink. Control characters in logged values are escaped so a client cannot
forge log lines, and tracebacks never show local variables (which may hold secrets).

The records of requests (one access record each, and the security events) are events: the
sink formats them itself, in the shape of its other lines, without building a loguru record,
which cost more than all the security layers together. Everything else goes through loguru.
"""

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from ..context import current_request_id
from ..settings import Settings
from .access import AccessObserver, AccessRecord

if TYPE_CHECKING:
    from loguru import Record


EventValue = str | int | float | None
"""A field of an event: text (already escaped), a number, or None for "unknown"."""


class EventWriter(Protocol):
    """Writes one event record (values already escaped) the way the sink writes records."""

    def __call__(
        self, level: str, request_id: str, message: str, fields: Mapping[str, EventValue]
    ) -> None: ...


class AddSink(Protocol):
    """Adds the one log sink this service was generated with (`log_sink`), for records at
    `settings.log_level` and above, and returns the writer of its event records."""

    def __call__(self, settings: Settings) -> EventWriter: ...


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_char(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def escape(value: str) -> str:
    """Render control characters (newlines included) visibly instead of acting on them."""
    if value.isprintable():  # the usual case, decided in C: nothing to escape
        return value
    return _CONTROL_CHARS.sub(_escape_char, value)


def _patch(record: "Record") -> None:
    record["message"] = escape(record["message"])
    extra = record["extra"]
    for key, value in extra.items():
        if isinstance(value, str):
            extra[key] = escape(value)
    extra.setdefault("request_id", current_request_id() or "-")


class _InterceptHandler(logging.Handler):
    """Send standard `logging` records (uvicorn, SQLAlchemy, alembic) to loguru."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=6, exception=record.exc_info).bind(logger=record.name).log(
            level, record.getMessage()
        )


LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")


def _through_loguru(
    level: str, request_id: str, message: str, fields: Mapping[str, EventValue]
) -> None:
    logger.bind(request_id=request_id, **fields).log(level, message)


class _Events:
    """Where events go: the sink's writer once `configure_logging` ran, else loguru."""

    def __init__(self) -> None:
        self.write: EventWriter = _through_loguru
        self.levels: frozenset[str] = frozenset(LEVELS)

    def configure(self, write: EventWriter, level: str) -> None:
        threshold = logger.level(level).no
        self.write = write
        self.levels = frozenset(name for name in LEVELS if logger.level(name).no >= threshold)


_events = _Events()


def configure_logging(settings: Settings, *, add_sink: AddSink) -> AccessObserver | None:
    """Send every log record at `settings.log_level` or above, escaped, to the sink `add_sink`
    installs, and return the writer of access records (INFO), or None when the level is
    above INFO.

    Sinks show extended tracebacks in development only, never with variable values
    (`diagnose`).
    """
    logger.remove()
    logger.configure(patcher=_patch)
    _events.configure(add_sink(settings), settings.log_level)
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
    for name in ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic"):
        std_logger = logging.getLogger(name)
        std_logger.handlers.clear()
        std_logger.propagate = True
    # The application writes its own access records (with route templates and principals).
    logging.getLogger("uvicorn.access").disabled = True
    # SQLAlchemy logs statements and their parameters at INFO: keep them out of the sinks.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    return log_access if "INFO" in _events.levels else None


def log_access(record: AccessRecord) -> None:
    """The access record of one request, as an `http.access` event."""
    method = escape(record.method)
    _events.write(
        "INFO",
        record.request_id,
        f"{method} {record.route} {record.status} {record.duration_ms}ms",
        {
            "event": "http.access",
            "method": method,
            "route": record.route,
            "status": record.status,
            "duration_ms": record.duration_ms,
            "client_ip": None if record.client_ip is None else escape(record.client_ip),
            "principal": None if record.principal is None else escape(record.principal),
        },
    )


def security_event(event: str, *, level: str = "WARNING", **fields: Any) -> None:
    """Log a security event (`auth.failure`, `authz.denied`, ...) under its own name.

    A `request_id` field names the request when no request context is open (the server's
    own refusals); otherwise the context's is used.
    """
    if level not in _events.levels:
        return
    request_id = fields.pop("request_id", None) or current_request_id() or "-"
    values = {"event": event} | {name: escape(str(value)) for name, value in fields.items()}
    _events.write(level, escape(str(request_id)), event, values)
