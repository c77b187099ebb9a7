# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""What one connection may cost a worker: head size, read time, and how many at once."""

from dataclasses import dataclass
from functools import cache

from ..settings import Settings, load_settings


@dataclass(frozen=True, slots=True)
class ServerLimits:
    max_connections: int
    max_header_bytes: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> "ServerLimits":
        return cls(
            max_connections=settings.max_connections,
            max_header_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout_seconds,
            body_timeout=settings.body_timeout_seconds,
        )


@cache
def process_settings() -> Settings:
    """This process's settings, for the server's own code. uvicorn builds a protocol per
    connection and gives it no way to receive them, so each worker process reads them once."""
    return load_settings()


@cache
def current_limits() -> ServerLimits:
    return ServerLimits.of(process_settings())
