"""A small HTTP/1.1 load generator, for machines without wrk.

Keeps `--connections` keep-alive connections busy for `--seconds`, each sending the same
request and reading its answer, and prints one JSON line: requests, seconds, p50_ms, p99_ms.
Only for answers with a Content-Length, as the benchmarked services give.

    python benchmarks/load.py --url http://127.0.0.1:8000/health/live --seconds 5 \
        [--connections 32] [--header 'Name: value' ...] [--method POST --body '{...}']
"""

import argparse
import asyncio
import json
import statistics
import time
from urllib.parse import urlsplit

try:
    from uvloop import run as run_loop
except ImportError:  # uvloop is faster, but optional
    from asyncio import run as run_loop


def build_request(args: argparse.Namespace) -> tuple[str, int, bytes]:
    url = urlsplit(args.url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    body = args.body.encode() if args.body else b""
    lines = [f"{args.method} {url.path or '/'} HTTP/1.1", f"Host: {host}:{port}", *args.header]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def connection(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if b"connection: close" in head.lower():
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict[str, float]:
    host, port, request = build_request(args)
    latencies: list[float] = []
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(
        *(connection(host, port, request, deadline, latencies) for _ in range(args.connections))
    )
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body", default="")
    args = parser.parse_args()
    print(json.dumps(run_loop(run(args))))


if __name__ == "__main__":
    main()
