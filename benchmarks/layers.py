"""Per-layer cost: CPU microseconds each security layer adds to one request, in process.

Builds the service with its own app factory, then serves the same request through stacks that
grow by one layer at a time, from the routes alone (authentication and the rate limit replaced
by constants through FastAPI's `dependency_overrides`) to the whole stack. Each request is
driven through the ASGI interface directly, so no socket or HTTP parsing is counted.

Run by `benchmarks/run.py` in the rendered service's environment and folder, with the
service's settings in the environment:

    python layers.py PACKAGE "HEADER: VALUE" OUTPUT.json

where the header is the one an authenticated client sends (`Authorization: Bearer ...`,
`X-API-Key: ...`).
"""

import asyncio
import gc
import importlib
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request

REQUESTS = 2000
REPEATS = 7
HEADERS = [
    (b"host", b"127.0.0.1"),
    (b"user-agent", b"benchmark"),
    (b"accept", b"*/*"),
    (b"x-forwarded-proto", b"https"),
]


BASE_SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    # HTTPS already: the stacks that lack the proxy-headers layer must not be refused for
    # plain HTTP. The header stays, so that layer does its usual work once it is there.
    "scheme": "https",
    "query_string": b"",
    "root_path": "",
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def request(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    scope = {**BASE_SCOPE, "path": path, "raw_path": path.encode(), "headers": headers}
    scope["state"] = {}
    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def answer(app: FastAPI, headers: list[tuple[bytes, bytes]]) -> Any:
    """The JSON body of `GET /api/v1/me`."""
    body = b""

    async def send(message: dict[str, Any]) -> None:
        nonlocal body
        body += message.get("body", b"")

    path = "/api/v1/me"
    scope = {**BASE_SCOPE, "path": path, "raw_path": path.encode(), "headers": headers}
    async with app.router.lifespan_context(app):
        await app({**scope, "state": {}}, receive, send)
    return json.loads(body)


async def cost(app: FastAPI, path: str, headers: list[tuple[bytes, bytes]]) -> float:
    """CPU microseconds per request: the least of several runs (noise only adds)."""
    gc.collect()
    async with app.router.lifespan_context(app):
        if (status := await request(app, path, headers)) != 200:
            raise SystemExit(f"{path} answered {status}, not 200")
        for _ in range(300):
            await request(app, path, headers)
        runs = []
        for _ in range(REPEATS):
            started = time.process_time()
            for _ in range(REQUESTS):
                await request(app, path, headers)
            runs.append((time.process_time() - started) / REQUESTS * 1e6)
    return min(runs)


async def dependency_costs(
    app: FastAPI, headers: list[tuple[bytes, bytes]], subject: str, package: str
) -> list[dict[str, Any]]:
    """What the route's two security dependencies cost when called directly."""
    found = importlib.import_module(f"{package}.services").services_of(app)
    request = Request({**BASE_SCOPE, "path": "/api/v1/me", "headers": headers, "state": {}})

    async def token_check() -> None:
        await found.authenticator.authenticate(request)

    async def rate_limit() -> None:
        await found.limiter.hit("default", f"principal:{subject}")

    parts = []
    async with app.router.lifespan_context(app):
        for label, call in (("credential check", token_check), ("rate limit", rate_limit)):
            for _ in range(300):
                await call()
            runs = []
            for _ in range(REPEATS):
                started = time.process_time()
                for _ in range(REQUESTS):
                    await call()
                runs.append((time.process_time() - started) / REQUESTS * 1e6)
            parts.append({"part": label, "us": min(runs)})
    return parts


def main() -> None:
    package, header, output = sys.argv[1:4]
    name, _, value = header.partition(": ")
    app_module = importlib.import_module(f"{package}.app")
    settings_module = importlib.import_module(f"{package}.settings")
    authenticated = [*HEADERS, (name.lower().encode(), value.encode())]

    def service(layers: int, observers: int = 99) -> Any:
        app = app_module.create_app(settings_module.load_settings())
        stack = app.user_middleware
        app.user_middleware = stack[max(0, len(stack) - layers) :] if layers else []
        for entry in app.user_middleware:
            if "observers" in entry.kwargs:
                entry.kwargs["observers"] = entry.kwargs["observers"][:observers]
        return app

    me = asyncio.run(answer(service(99), authenticated))

    probe = app_module.create_app(settings_module.load_settings())
    names = [entry.cls.__name__ for entry in probe.user_middleware]  # outermost first
    steps: list[tuple[str, Callable[[], Any]]] = [("routes, no middleware", lambda: service(0))]
    for depth, name in enumerate(reversed(names), start=1):
        if name == "RequestContextMiddleware":
            steps.append(("+ request id (no observers)", lambda d=depth: service(d, observers=0)))
            steps.append(("+ access log", lambda d=depth: service(d, observers=1)))
            steps.append(("+ other observers (metrics)", lambda d=depth: service(d)))
        else:
            steps.append((f"+ {name}", lambda d=depth: service(d)))

    bare = importlib.import_module("bare_app").app
    stacks: list[tuple[str, Callable[[], Any], list[tuple[bytes, bytes]]]] = [
        ("bare FastAPI, same route", lambda: bare, HEADERS),
        *((label, build, authenticated) for label, build in steps),
    ]
    # Two passes over every stack, keeping the least: the first pass also warms the process.
    least: dict[str, float] = {}
    for _ in range(2):
        for label, build, headers in stacks:
            us = asyncio.run(cost(build(), "/api/v1/me", headers))
            least[label] = min(us, least.get(label, us))
    results = [{"layer": label, "us": us} for label, us in least.items()]
    parts = asyncio.run(dependency_costs(service(0), authenticated, me["subject"], package))
    with open(output, "w") as file:
        json.dump({"stacks": results, "parts": parts}, file)


if __name__ == "__main__":
    main()
