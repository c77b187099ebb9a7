# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""A guard on the work one request costs: counted, never timed.

The template's benchmark measures speed against bare FastAPI. These budgets catch a change
that quietly adds work to every request: more Python calls (this package's own, or all of
them), another middleware layer, another log record. A change that adds work on purpose
raises the budget here in the same commit, with the benchmark's numbers in its message.
"""

import sys
from collections import Counter
from collections.abc import Awaitable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from fastapi import FastAPI

from .package import backends
from .principals import credentials
from .support import asgi_call

pytestmark = pytest.mark.anyio

PACKAGE = str(Path(backends.__file__).parent)
MIDDLEWARE_LAYERS = 6
# Python function calls (coroutine resumptions included) for one request, once a first one
# has warmed the caches. `ours`: this package's code, held exactly (Python 3.11 reports a few
# more of the same calls); `all`: with the libraries, whose releases move it a little.
BUDGETS = {
    "/health/live": {"ours": 24, "ours on 3.11": 28, "all": 230},
    "/api/v1/me": {"ours": 39, "ours on 3.11": 44, "all": 445},
}
# An authenticated request costs what its `auth` choice does; above, a cached token check.
# `api_key` reads the key's row on every request (so that a revocation holds at once): the
# database driver's awaits resume this package's frames too, counted in `ours`.
AUTH_BUDGETS = {
    "api_key": {"/api/v1/me": {"ours": 100, "ours on 3.11": 100, "all": 1100}},
}
BUDGETS |= AUTH_BUDGETS.get(backends.auth.__name__.rpartition(".")[2], {})
# With `redis`, the limiter waits on Redis twice per API request: each round trip resumes the
# frames that await it (every middleware layer's), and runs redis-py's and asyncio's own code.
# Python 3.11's streams suspend more often per round trip.
STORAGE_COSTS = {
    "redis": {"/api/v1/me": {"ours": 24, "ours on 3.11": 42, "all": 550}},
}
STORAGE = backends.rate_limit_storage.__name__.rpartition(".")[2]
for path, cost in STORAGE_COSTS.get(STORAGE, {}).items():
    BUDGETS[path] = {key: budget + cost[key] for key, budget in BUDGETS[path].items()}
OURS = "ours on 3.11" if sys.version_info < (3, 12) else "ours"
LIBRARY_MARGIN = 1.25


async def count_calls(call: Awaitable[Any]) -> Counter[str]:
    counts: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, _: object) -> None:
        if event == "call":
            code = frame.f_code
            counts["all"] += 1
            if code.co_filename.startswith(PACKAGE):
                counts["ours"] += 1
                if code.co_name == "append" and code.co_filename.endswith("batching.py"):
                    counts["access lines"] += 1
            elif code.co_name == "_log" and "loguru" in code.co_filename:
                counts["loguru records"] += 1

    sys.setprofile(profile)
    try:
        await call
    finally:
        sys.setprofile(None)
    return counts


def request_headers(app: FastAPI, path: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"testserver"), (b"x-forwarded-proto", b"https")]
    if path.startswith("/api/"):
        headers += [(k.lower().encode(), v.encode()) for k, v in credentials(app).items()]
    return headers


@pytest.mark.parametrize("path", list(BUDGETS))
async def test_one_request_stays_within_its_call_budget(app: FastAPI, path: str) -> None:
    headers = request_headers(app, path)
    status, _ = await asgi_call(app, "GET", path.encode(), headers=headers)
    assert status == 200
    # The least of three requests: what one request happens to meet (a batch of log lines
    # written out, a new second's timestamp formatted) is not work that every request does.
    runs = [await count_calls(asgi_call(app, "GET", path.encode(), headers=headers)) for _ in "abc"]
    counts = Counter({key: min(run[key] for run in runs) for key in set().union(*runs)})
    budget = BUDGETS[path]
    assert counts["ours"] <= budget[OURS], f"{path}: {counts['ours']} calls in the package"
    assert counts["all"] <= budget["all"] * LIBRARY_MARGIN, f"{path}: {counts['all']} calls"
    # The access record, written without loguru (whose records cost more than the rest).
    assert (counts["access lines"], counts["loguru records"]) == (1, 0)


async def test_the_middleware_stack_has_its_known_layers(app: FastAPI) -> None:
    assert len(app.user_middleware) == MIDDLEWARE_LAYERS, [m.cls for m in app.user_middleware]
