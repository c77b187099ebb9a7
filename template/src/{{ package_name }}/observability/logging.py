# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Logging: loguru for everything, standard `logging` routed into it, values made safe.

Nothing here logs headers or bodies, so `Authorization`, cookies, API keys, passwords and
tokens never reach a sink. Control characters in logged values are escaped so a client cannot
forge log lines, and tracebacks never show local variables (which may hold secrets).
"""

import logging
import re
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from ..context import current_request_id

if TYPE_CHECKING:
    from loguru import Record


class AddSink(Protocol):
    """Adds the one log sink this service was generated with (`log_sink`)."""

    def __call__(self, level: str, *, backtrace: bool) -> object: ...


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


def configure_logging(level: str, *, development: bool, add_sink: AddSink) -> None:
    """Send every log record at `level` or above, escaped, to the sink `add_sink` installs.

    Extended tracebacks in development only; never with variable values (`diagnose`).
    """
    logger.remove()
    logger.configure(patcher=_patch)
    add_sink(level, backtrace=development)
    logging.basicConfig(handlers=[_InterceptHandler()], level=logging.INFO, force=True)
    for name in ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic"):
        std_logger = logging.getLogger(name)
        std_logger.handlers.clear()
        std_logger.propagate = True
    # The application writes its own access records (with route templates and principals).
    logging.getLogger("uvicorn.access").disabled = True
    # SQLAlchemy logs statements and their parameters at INFO: keep them out of the sinks.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)


def security_event(event: str, *, level: str = "WARNING", **fields: Any) -> None:
    """Log a security event (`auth.failure`, `authz.denied`, ...) under its own name."""
    logger.bind(event=event, **fields).log(level, event)
