"""Side-by-side benchmark: the rendered default service against bare FastAPI.

    python3 -m uv run python benchmarks/run.py [--seconds 5] [--rounds 3] [--workers 1]

Renders the default variant, installs it with uv, and serves it (`<slug> serve`, production
settings) beside `bare_app.py` (the same routes and JSON, no middleware, no auth) with the same
uvicorn settings: one worker, the default loop, httptools, no access log for the bare app.
With two CPUs or more and one worker, both servers run on CPU 0 and the load on CPU 1. Each
scenario loads both servers, alternating which goes first, for `--rounds` rounds of
`--seconds` each, with wrk when installed, else `load.py`. Prints medians of requests/s,
p50, p99 and server CPU per request, each with its ratio to bare FastAPI; idle RSS; one
`copier copy` time; the service's cold start; and the per-layer cost table (`layers.py`).
"""

import argparse
import atexit
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
CONNECTIONS = 32
PASSWORD = secrets.token_urlsafe(16)
USER = "benchmark"
SERVER_CPU, LOAD_CPU = 0, 1
HTTPS = "X-Forwarded-Proto: https"  # the service trusts it from 127.0.0.1, as from a proxy


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    headers: tuple[str, ...] = ()
    body: str = ""
    server: str = "service"  # which service instance: "service" or "limited"
    status: int = 200

    @property
    def method(self) -> str:
        return "POST" if self.body else "GET"


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    cold_start: float

    def pids(self) -> list[int]:
        """The server and its worker processes."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                todo.extend(int(child) for child in task.read_text().split())
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return total / 1024


@dataclass
class Result:
    rps: list[float] = field(default_factory=list)
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cpu: int | None) -> Any:
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def render(destination: Path, answers: Sequence[str] = ()) -> float:
    started = time.monotonic()
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    data = [item for answer in answers for item in ("-d", answer)]
    subprocess.run(
        [
            sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet",
            "-d", f"python_version={version}", *data, str(ROOT), str(destination),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return time.monotonic() - started


def run(command: Sequence[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, input=stdin.encode(), capture_output=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])
        raise SystemExit(f"{command[0]} {command[1]} ... failed with status {done.returncode}")
    return done.stdout.decode()


@contextmanager
def serving(
    name: str, command: Sequence[str], *, cwd: Path, env: dict[str, str], port: int, cpu: int | None
) -> Iterator[Server]:
    log = (cwd / f"{name}.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pinned(cpu)
    )
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=5) as client:
            while True:
                try:
                    if client.get("/health/live").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() - started > 60:
                    raise SystemExit(f"{name} did not start; see {log.name}")
                time.sleep(0.02)
        yield Server(name, process, url, time.monotonic() - started)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def wrk_latency(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        raise SystemExit(f"no {percentile}% latency in wrk's output:\n{text}")
    value, unit = float(match[1]), match[2]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(url: str, scenario: Scenario, seconds: float, workdir: Path, cpu: int | None) -> dict:
    headers = [*scenario.headers]
    if scenario.body:
        headers.append("Content-Type: application/json")
    wrk = shutil.which("wrk")
    if wrk:
        command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
        for header in headers:
            command += ["-H", header]
        if scenario.body:
            script = workdir / "post.lua"
            script.write_text(f"wrk.method = 'POST'\nwrk.body = {json.dumps(scenario.body)}\n")
            command += ["-s", str(script)]
        done = subprocess.run(
            [*command, url + scenario.path],
            capture_output=True, text=True, check=True, preexec_fn=pinned(cpu),
        )  # fmt: skip
        total = re.search(r"(\d+) requests in ([\d.]+)(m?s)", done.stdout)
        if not total:
            raise SystemExit(f"unexpected wrk output:\n{done.stdout}")
        elapsed = float(total[2]) / (1000 if total[3] == "ms" else 1)
        return {
            "requests": int(total[1]),
            "seconds": elapsed,
            "p50_ms": wrk_latency(done.stdout, "50"),
            "p99_ms": wrk_latency(done.stdout, "99"),
        }
    command = [
        sys.executable, str(BENCHMARKS / "load.py"), "--url", url + scenario.path,
        "--seconds", str(seconds), "--connections", str(CONNECTIONS), "--method", scenario.method,
    ]  # fmt: skip
    for header in headers:
        command += ["--header", header]
    if scenario.body:
        command += ["--body", scenario.body]
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, preexec_fn=pinned(cpu)
    )
    return json.loads(done.stdout)


def status_of(url: str, scenario: Scenario) -> int:
    headers = dict(header.split(": ", 1) for header in scenario.headers)
    method, body = scenario.method, scenario.body.encode() or None
    if body:
        headers["Content-Type"] = "application/json"
    return httpx.request(method, url + scenario.path, headers=headers, content=body).status_code


def check(url: str, scenario: Scenario, expected: int) -> None:
    status = status_of(url, scenario)
    if status != expected:
        raise SystemExit(f"{scenario.name}: {url} answered {status}, expected {expected}")


def ratio_row(label: str, service: float, bare: float, unit: str, digits: int = 0) -> str:
    ours, theirs = (f"{value:,.{digits}f} {unit}".strip() for value in (service, bare))
    return f"| {label} | {ours} | {theirs} | {service / bare:.2f}x |"


@dataclass
class Setup:
    """A rendered, installed and migrated service, and how to run it and the bare app."""

    work: Path
    python: str
    package: str
    env: dict[str, str]
    settings: dict[str, str]
    copy_seconds: float
    api_key: str | None = None
    """The key a client of an `auth=api_key` service sends."""
    access_token: str | None = None
    """A token of the local identity provider, for an `auth=oidc` service."""
    bare_database_url: str | None = None
    """The bare app's database on the service's PostgreSQL server (`database=postgresql`)."""

    def serve_command(self) -> list[str]:
        return [self.python, "-m", self.package, "serve"]

    def bare_command(self, port: int, workers: int) -> list[str]:
        return [
            self.python, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--http",
            "httptools", "--no-access-log", "--no-server-header", "--log-level", "warning",
            "--workers", str(workers),
        ]  # fmt: skip

    def bare_env(self, database: str) -> dict[str, str]:
        return self.env | {
            "PYTHONPATH": str(BENCHMARKS),
            "BARE_DATABASE": str(self.work / database),
            "BARE_DATABASE_URL": self.bare_database_url or "",
        }


def prepare(work: Path, workers: int, cleanup: ExitStack, answers: Sequence[str] = ()) -> Setup:
    service_dir = work / "service"
    copy_seconds = render(service_dir, answers)
    answers_text = (service_dir / ".copier-answers.yml").read_text()
    package = re.search(r"^package_name: (\S+)$", answers_text, re.MULTILINE)[1]
    auth = re.search(r"^auth: (\S+)$", answers_text, re.MULTILINE)[1]
    env = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
    env.pop("VIRTUAL_ENV", None)
    uv = os.environ.get("UV") or shutil.which("uv")  # `uv run` names itself in $UV
    if not uv:
        raise SystemExit("uv not found: run this through `python3 -m uv run`")
    run([uv, "sync", "--quiet"], service_dir, env)
    python = str(service_dir / ".venv" / "bin" / "python")
    settings = {
        "APP_ENV": "production",
        "APP_ALLOWED_HOSTS": "127.0.0.1",
        "APP_JWT_SECRET": secrets.token_urlsafe(48),
        "APP_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'service.db'}",
        "APP_SECRETS_DIR": str(work / "no-secrets"),
        "APP_RATE_LIMIT_DEFAULT": "100000000/minute",
        "APP_RATE_LIMIT_LOGIN": "1000/minute",
        "APP_ACCESS_TOKEN_TTL_SECONDS": "86400",
        "APP_WORKERS": str(workers),
    }
    shared = {
        name: re.search(rf"^{name}: (\S+)$", answers_text, re.MULTILINE)[1]
        for name in ("rate_limit_backend", "database")
    }
    if shared["rate_limit_backend"] == "redis":
        settings |= {
            "APP_RATE_LIMIT_STORAGE_URL": service_url("APP_TEST_REDIS_URL"),
            "APP_RATE_LIMIT_KEY_PREFIX": f"benchmark-{secrets.token_hex(6)}",
        }
    bare_database_url = None
    if shared["database"] == "postgresql":
        settings["APP_DATABASE_URL"] = postgres_database(python, service_dir, env, cleanup)
        bare_database_url = postgres_database(python, service_dir, env, cleanup)
    algorithm = re.search(r"^jwt_algorithm: (\S+)$", answers_text, re.MULTILINE)
    if algorithm and algorithm[1] != "HS256":
        key_file = work / "jwt_private_key.pem"
        openssl = ["openssl", "genpkey", "-out", str(key_file), "-algorithm"]
        rsa = ["RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        run([*openssl, *(rsa if algorithm[1] == "RS256" else ["ed25519"])], work, env)
        key_file.chmod(0o600)
        settings["APP_JWT_PRIVATE_KEY_FILE"] = str(key_file)
    if workers > 1 and shared["rate_limit_backend"] == "memory":
        # The in-memory limiter counts per process, so production refuses more workers; test
        # mode with production's transport settings runs the same stack.
        settings |= {"APP_ENV": "test", "APP_ENFORCE_HTTPS": "true", "APP_DOCS_ENABLED": "false"}
    setup = Setup(work, python, package, env, settings, copy_seconds)
    setup.bare_database_url = bare_database_url
    if auth == "oidc":
        provider = identity_provider(python, service_dir, env)
        settings |= {
            "APP_OIDC_ISSUER": provider["issuer"],
            "APP_OIDC_AUDIENCE": provider["audience"],
        }
        setup.access_token = provider["token"]
    run([python, "-m", package, "migrate"], service_dir, env | settings)
    scopes = ["--scope", "items:read", "--scope", "items:write"]
    if auth == "oidc":
        pass  # the users live at the identity provider
    elif auth == "jwt":
        create_user = [python, "-m", package, "create-user", USER, "--password-stdin", *scopes]
        run(create_user, service_dir, env | settings, stdin=PASSWORD + "\n")
    else:
        create_key = [python, "-m", package, "create-api-key", USER, *scopes]
        setup.api_key = run(create_key, service_dir, env | settings).strip()
    return setup


def service_url(name: str) -> str:
    """Where the Redis or PostgreSQL of the template's tests is (the environment may say)."""
    defaults = {
        "APP_TEST_REDIS_URL": "redis://127.0.0.1:6379/15",
        "APP_TEST_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    }
    return os.environ.get(name, defaults[name])


# Creates or drops one database on the test server, with the rendered service's own driver.
POSTGRES = """
import asyncio, sys, asyncpg
async def main(server, statement):
    connection = await asyncpg.connect(server)
    await connection.execute(statement)
    await connection.close()
asyncio.run(main(*sys.argv[1:]))
"""


def postgres_database(
    python: str, service_dir: Path, env: dict[str, str], cleanup: ExitStack
) -> str:
    """A new database on the tests' PostgreSQL server, dropped by `cleanup`; its URL."""
    server = service_url("APP_TEST_DATABASE_URL").rsplit("/", 1)[0]
    name = f"benchmark_{secrets.token_hex(6)}"
    maintenance = server.replace("postgresql+asyncpg", "postgresql") + "/postgres"
    run([python, "-c", POSTGRES, maintenance, f'CREATE DATABASE "{name}"'], service_dir, env)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    cleanup.callback(run, [python, "-c", POSTGRES, maintenance, drop], service_dir, env)
    return f"{server}/{name}"


# Serves the rendered suite's own local identity provider (tests/issuer.py) for the length of
# the benchmark, after printing where it is and a token of a day for the benchmark's user.
IDENTITY_PROVIDER = """
import json, threading, time
from tests.principals import AUDIENCE, access_token, issuer
token = access_token("benchmark", ("items:read", "items:write"), exp=int(time.time()) + 86400)
print(json.dumps({"issuer": issuer().url, "audience": AUDIENCE, "token": token}), flush=True)
threading.Event().wait()
"""


def identity_provider(python: str, service_dir: Path, env: dict[str, str]) -> dict[str, str]:
    """Start the local identity provider of an `auth=oidc` service (stopped at exit)."""
    process = subprocess.Popen(
        [python, "-c", IDENTITY_PROVIDER], cwd=service_dir, env=env, stdout=subprocess.PIPE
    )
    atexit.register(process.kill)
    line = process.stdout.readline() if process.stdout else b""
    if not line:
        raise SystemExit("the local identity provider did not start")
    found: dict[str, str] = json.loads(line)
    return found


def credentials(setup: Setup, service_url: str) -> str:
    """The header line an authenticated client of the service sends."""
    if setup.api_key is not None:
        return f"X-API-Key: {setup.api_key}"
    if setup.access_token is not None:
        return f"Authorization: Bearer {setup.access_token}"
    token = httpx.post(
        f"{service_url}/api/v1/auth/token",
        headers={"X-Forwarded-Proto": "https"},
        data={"grant_type": "password", "username": USER, "password": PASSWORD},
    ).json()["access_token"]
    return f"Authorization: Bearer {token}"


def scenarios_for(bearer: str) -> list[Scenario]:
    return [
        Scenario("authenticated GET /api/v1/me", "/api/v1/me", (HTTPS, bearer)),
        Scenario("GET /api/v1/me, no token (401)", "/api/v1/me", (HTTPS,), status=401),
        Scenario(
            "GET /api/v1/me over the limit (429)", "/api/v1/me", (HTTPS, bearer),
            server="limited", status=429,
        ),
        Scenario("GET /health/live", "/health/live", (HTTPS,)),
        Scenario(
            "authenticated POST /api/v1/items", "/api/v1/items", (HTTPS, bearer),
            body='{"name": "benchmark item"}', status=201,
        ),
    ]  # fmt: skip


def measure(
    scenarios: list[Scenario],
    servers: dict[str, Server],
    args: argparse.Namespace,
    work: Path,
    load_cpu: int | None,
) -> dict[tuple[str, str], Result]:
    results: dict[tuple[str, str], Result] = {}
    for round_number in range(args.rounds):
        for scenario in scenarios:
            pair = [("service", servers[scenario.server]), ("bare", servers["bare"])]
            for side, server in pair if round_number % 2 == 0 else pair[::-1]:
                before = server.cpu_seconds()
                measured = load(server.url, scenario, args.seconds, work, load_cpu)
                cpu = server.cpu_seconds() - before
                result = results.setdefault((scenario.name, side), Result())
                result.rps.append(measured["requests"] / measured["seconds"])
                result.p50.append(measured["p50_ms"])
                result.p99.append(measured["p99_ms"])
                result.cpu_us.append(cpu / measured["requests"] * 1e6)
    return results


def print_results(
    scenarios: list[Scenario], results: dict[tuple[str, str], Result], idle: dict[str, float]
) -> None:
    print("| scenario | measure | service | bare FastAPI | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for scenario in scenarios:
        ours, theirs = results[(scenario.name, "service")], results[(scenario.name, "bare")]
        for label, values, unit, digits in (
            ("req/s", "rps", "", 0),
            ("p50", "p50", "ms", 2),
            ("p99", "p99", "ms", 2),
            ("CPU/request", "cpu_us", "µs", 0),
        ):
            mine = statistics.median(getattr(ours, values))
            base = statistics.median(getattr(theirs, values))
            print(f"| {scenario.name} " + ratio_row(label, mine, base, unit, digits))
    print("| idle " + ratio_row("RSS", idle["service"], idle["bare"], "MiB", 1))


def print_layers(setup: Setup, header: str) -> None:
    output = setup.work / "layers.json"
    command = [setup.python, str(BENCHMARKS / "layers.py"), setup.package, header, str(output)]
    env = setup.bare_env("layers.db") | setup.settings
    with (setup.work / "layers.log").open("wb") as log:  # the access log goes to a file
        subprocess.run(command, cwd=setup.work / "service", env=env, stdout=log, check=True)
    found = json.loads(output.read_text())
    print("\n## Per-layer cost (authenticated GET /api/v1/me, in process, CPU µs per request)\n")
    print("| stack | µs/request | added by the layer |")
    print("| --- | --- | --- |")
    previous = None
    for row in found["stacks"]:
        added = "" if previous is None else f"{row['us'] - previous:+.1f}"
        print(f"| {row['layer']} | {row['us']:.1f} | {added} |")
        previous = None if row["layer"].startswith("bare") else row["us"]
    for part in found["parts"]:
        print(f"| of the routes' cost: {part['part']}, called directly | {part['us']:.1f} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="QUESTION=VALUE",
        help="render another variant, e.g. --answer jwt_algorithm=RS256 (repeatable)",
    )
    parser.add_argument("--no-layers", action="store_true", help="skip the per-layer table")
    parser.add_argument("--only-layers", action="store_true", help="only the per-layer table")
    args = parser.parse_args()
    pin = len(os.sched_getaffinity(0)) >= 2 and args.workers == 1
    server_cpu, load_cpu = (SERVER_CPU, LOAD_CPU) if pin else (None, None)

    with tempfile.TemporaryDirectory(prefix="benchmark-") as scratch, ExitStack() as cleanup:
        setup = prepare(Path(scratch), args.workers, cleanup, args.answer)
        ports = {name: free_port() for name in ("service", "limited", "bare")}
        service_env = setup.env | setup.settings | {"APP_PORT": str(ports["service"])}
        limited_env = service_env | {
            "APP_PORT": str(ports["limited"]),
            "APP_RATE_LIMIT_DEFAULT": "1/hour",
            "APP_RATE_LIMIT_KEY_PREFIX": f"benchmark-limited-{secrets.token_hex(6)}",
        }
        work = setup.work
        commands = {
            "service": (setup.serve_command(), service_env),
            "limited": (setup.serve_command(), limited_env),
            "bare": (setup.bare_command(ports["bare"], args.workers), setup.bare_env("bare.db")),
        }
        with ExitStack() as running:
            servers = {
                name: running.enter_context(
                    serving(name, command, cwd=work, env=env, port=ports[name], cpu=server_cpu)
                )
                for name, (command, env) in commands.items()
            }
            service, bare = servers["service"], servers["bare"]
            header = credentials(setup, service.url)
            if args.only_layers:
                print_layers(setup, header)
                return
            scenarios = scenarios_for(header)
            # Warm up, and put the limited service's one client over its limit: in every
            # worker, since each counts for itself (connections go to any of them).
            for scenario in scenarios:
                url = servers[scenario.server].url
                check(url, scenario, 200 if scenario.status == 429 else scenario.status)
                if scenario.status == 429:
                    for _ in range(20 * args.workers):
                        status_of(url, scenario)
                check(url, scenario, scenario.status)
                check(bare.url, scenario, 201 if scenario.body else 200)
            idle = {"service": service.rss_mib(), "bare": bare.rss_mib()}
            results = measure(scenarios, servers, args, work, load_cpu)

        print(
            f"\n## Service ({' '.join(args.answer) or 'default variant'}) vs bare FastAPI: "
            f"{args.workers} worker(s), "
            f"{'servers on CPU 0, load on CPU 1' if pin else 'not pinned'}, {CONNECTIONS} "
            f"connections, medians of {args.rounds} rounds of {args.seconds:g} s, load by "
            f"{'wrk' if shutil.which('wrk') else 'load.py'}\n"
        )
        print_results(scenarios, results, idle)
        print(
            f"\n`copier copy` of the variant: {setup.copy_seconds:.2f} s; service cold "
            f"start (process start to first 200): {service.cold_start:.2f} s"
        )
        if not args.no_layers:
            print_layers(setup, header)


if __name__ == "__main__":
    main()
