# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""How `serve` runs uvicorn: address, workers, protocol and limits, all from the settings."""

import sys
from typing import Any

from ..settings import Settings
from .protocol import LimitedHttpToolsProtocol

if sys.platform != "win32":
    import resource

# Open files a worker needs besides its connections: listening socket, database, logs, ...
SPARE_FILES = 64
# With several workers, uvicorn kills and replaces one that does not answer its ping for
# this long. Its default of 5 s also kills workers that are only slow to start (imports on a
# busy or CPU-limited machine), again and again.
WORKER_HEALTHCHECK_SECONDS = 30


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        "http": LimitedHttpToolsProtocol,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "proxy_headers": False,  # the application itself trusts APP_FORWARDED_ALLOW_IPS
        "server_header": False,
        "access_log": False,  # the application writes its own access records
        "log_config": None,
    }


def fit_open_files(max_connections: int) -> str | None:
    """Raise this process's soft limit on open files (inherited by the workers) so that
    `max_connections` fit; describe the shortfall when the hard limit does not allow it."""
    if sys.platform == "win32":
        return None
    needed = max_connections + SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return None
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # e.g. above the system's own ceiling
        target = soft
    if target < needed:
        return (
            f"APP_MAX_CONNECTIONS needs {needed} open files per worker but the system allows "
            f"{target} (ulimit -n): lower it, or raise the limit"
        )
    return None
