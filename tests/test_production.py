"""End to end: the default service, installed with uv, configured and served for production.

Talks real HTTP to `<slug> serve`. Plain HTTP comes straight from the client; "HTTPS" is what
a TLS-terminating proxy on 127.0.0.1 (a trusted proxy by default) reports with
`X-Forwarded-Proto: https`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support import clean_env, free_port, render, run, uv_bin, uv_env
from tests.variants import BASE_DATA

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("production")]

SLUG = "secure-service"
PASSWORD = "correct horse battery staple 42"
HTTPS = {"X-Forwarded-Proto": "https"}
PROBLEM = "application/problem+json"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class Installed:
    root: Path
    env: dict[str, str]

    def cli(
        self,
        *args: str,
        check: bool = True,
        input_text: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return run(
            [self.root / ".venv" / "bin" / SLUG, *args],
            self.root,
            env=env or self.env,
            check=check,
            input_text=input_text,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("production")
    root = render(template_src, base / "service", BASE_DATA)
    (root / ".env").unlink()  # production hosts have no .env: settings come from the env
    run([uv_bin(), "sync"], root, env=uv_env(BASE_DATA["python_version"]), timeout=900)
    env = clean_env(
        APP_ENV="production",
        APP_JWT_SECRET=secrets.token_urlsafe(48),
        APP_ALLOWED_HOSTS="localhost,127.0.0.1",
        APP_DATABASE_URL=f"sqlite+aiosqlite:///{base / 'app.db'}",
        APP_METRICS_TOKEN=secrets.token_urlsafe(32),
        APP_SECRETS_DIR=str(base / "no-secrets-dir"),
    )
    return Installed(root, env)


@pytest.fixture(scope="module")
def server(installed: Installed) -> Iterator[httpx.Client]:
    installed.cli("migrate")
    installed.cli(
        "create-user",
        "alice",
        "--scope",
        "items:read",
        "--scope",
        "items:write",
        "--password-stdin",
        input_text=PASSWORD + "\n",
    )
    with serving(installed.root, installed.env, installed.root / "serve.log") as client:
        yield client


@contextmanager
def serving(root: Path, env: dict[str, str], log: Path) -> Iterator[httpx.Client]:
    """`<slug> serve` from the installed service at `root`, on a free port, until it answers
    `/health/live`; a client of it (plain HTTP, as a proxy on 127.0.0.1 talks to it)."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [root / ".venv" / "bin" / SLUG, "serve"],
            cwd=root,
            env={**env, "APP_HOST": "127.0.0.1", "APP_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"serve exited {process.returncode}:\n{log.read_text()}")
                try:
                    client.get("/health/live")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"serve did not answer in 60 s:\n{log.read_text()}")
                    time.sleep(0.2)
            yield client
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def login(client: httpx.Client, password: str = PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/auth/token",
        data={"username": "alice", "password": password},
        headers=HTTPS,
    )


def bearer(token: str) -> dict[str, str]:
    return {**HTTPS, "Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "request_id"} <= set(body)
    return body


def assert_hardened(response: httpx.Response, *, https: bool) -> None:
    assert "server" not in response.headers
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers.get("permissions-policy")
    assert response.headers.get("x-request-id")
    if https:
        assert response.headers["strict-transport-security"].startswith("max-age=63072000")
    else:
        assert "strict-transport-security" not in response.headers


def test_health_answers_over_plain_http(server: httpx.Client) -> None:
    response = server.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_hardened(response, https=False)


def test_plain_http_never_reaches_the_api(server: httpx.Client) -> None:
    response = server.get("/api/v1/me")
    assert_problem(response, 403)
    assert_hardened(response, https=False)


def test_unknown_host_is_rejected(server: httpx.Client) -> None:
    response = server.get("/health/live", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "server" not in response.headers


def test_wrong_password_and_missing_token_get_the_same_401(server: httpx.Client) -> None:
    wrong = login(server, "not the password")
    assert_problem(wrong, 401)
    assert wrong.headers.get("www-authenticate", "").lower().startswith("bearer")
    missing = server.get("/api/v1/me", headers=HTTPS)
    assert_problem(missing, 401)
    bad = server.get("/api/v1/me", headers=bearer("not-a-token"))
    assert_problem(bad, 401)
    assert missing.headers["www-authenticate"] == bad.headers["www-authenticate"]


def test_token_flow_and_items_over_https(server: httpx.Client) -> None:
    response = login(server)
    assert response.status_code == 200, response.text
    assert_hardened(response, https=True)
    tokens = response.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] > 0
    auth = bearer(tokens["access_token"])

    me = server.get("/api/v1/me", headers=auth)
    assert me.status_code == 200
    assert me.json()["subject"]
    assert {"items:read", "items:write"} <= set(me.json()["scopes"])
    assert_hardened(me, https=True)

    created = server.post(
        "/api/v1/items", json={"name": "first", "description": "hello"}, headers=auth
    )
    assert created.status_code == 201, created.text
    item = created.json()
    assert (item["name"], item["description"]) == ("first", "hello")
    listed = server.get("/api/v1/items", headers=auth)
    assert [entry["id"] for entry in listed.json()] == [item["id"]]
    assert server.get(f"/api/v1/items/{item['id']}", headers=auth).json()["name"] == "first"

    rejected = server.post("/api/v1/items", json={"name": "x", "owner": "mallory"}, headers=auth)
    body = assert_problem(rejected, 422)
    assert "mallory" not in rejected.text, body
    assert_problem(server.get("/api/v1/items?limit=101", headers=auth), 422)

    deleted = server.delete(f"/api/v1/items/{item['id']}", headers=auth)
    assert deleted.status_code == 204
    assert_problem(server.get(f"/api/v1/items/{item['id']}", headers=auth), 404)


def test_refresh_rotation_reuse_detection_and_logout(server: httpx.Client) -> None:
    first = login(server).json()
    second = server.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, headers=HTTPS
    )
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert server.get("/api/v1/me", headers=bearer(rotated["access_token"])).status_code == 200

    # Replaying the spent token revokes the whole family, the fresh token included.
    replay = server.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}, headers=HTTPS
    )
    assert_problem(replay, 401)
    after = server.post(
        "/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]}, headers=HTTPS
    )
    assert_problem(after, 401)

    session = login(server).json()
    out = server.post(
        "/api/v1/auth/logout", json={"refresh_token": session["refresh_token"]}, headers=HTTPS
    )
    assert out.status_code == 204
    assert_problem(
        server.post(
            "/api/v1/auth/refresh",
            json={"refresh_token": session["refresh_token"]},
            headers=HTTPS,
        ),
        401,
    )


def test_metrics_need_the_bearer_token(server: httpx.Client, installed: Installed) -> None:
    assert server.get("/metrics", headers=HTTPS).status_code in {401, 403, 404}
    wrong = server.get("/metrics", headers=bearer("wrong-token"))
    assert wrong.status_code in {401, 403, 404}
    response = server.get("/metrics", headers=bearer(installed.env["APP_METRICS_TOKEN"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text


def test_oversized_and_non_json_bodies_are_refused(server: httpx.Client) -> None:
    too_big = b"x" * (1_048_576 + 1)
    by_length = server.post(
        "/api/v1/items", content=too_big, headers={**HTTPS, "Content-Type": "application/json"}
    )
    assert_problem(by_length, 413)

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 65_536

    chunked = server.post(
        "/api/v1/items", content=chunks(), headers={**HTTPS, "Content-Type": "application/json"}
    )
    assert "content-length" not in chunked.request.headers
    assert_problem(chunked, 413)
    as_text = server.post(
        "/api/v1/items", content=b'{"name": "x"}', headers={**HTTPS, "Content-Type": "text/plain"}
    )
    assert_problem(as_text, 415)
    assert_hardened(as_text, https=True)


def test_request_ids_are_kept_only_when_well_formed(server: httpx.Client) -> None:
    kept = server.get("/health/live", headers={"X-Request-ID": "trace-42.a_b"})
    assert kept.headers["x-request-id"] == "trace-42.a_b"
    replaced = server.get("/health/live", headers={"X-Request-ID": "x" * 65})
    assert replaced.headers["x-request-id"] != "x" * 65
    assert len(replaced.headers["x-request-id"]) == 32


def test_login_is_rate_limited(server: httpx.Client) -> None:
    """Runs last in this module: it spends the login budget of 127.0.0.1."""
    for _ in range(10):
        response = login(server, "still not the password")
        if response.status_code == 429:
            break
        assert response.status_code == 401
    assert_problem(response, 429)
    assert int(response.headers["retry-after"]) > 0
    assert response.headers.get("x-ratelimit-limit")


def test_check_passes_with_good_settings(installed: Installed) -> None:
    result = installed.cli("check")
    assert result.returncode == 0


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("APP_JWT_SECRET", "Tq7short-Xz", "APP_JWT_SECRET"),
        ("APP_ALLOWED_HOSTS", "*", "APP_ALLOWED_HOSTS"),
        ("APP_FORWARDED_ALLOW_IPS", "*", "APP_FORWARDED_ALLOW_IPS"),
        ("APP_METRICS_TOKEN", "Tq7short-Xz", "APP_METRICS_TOKEN"),
    ],
)
def test_unsafe_production_settings_are_refused(
    installed: Installed, setting: str, value: str, named: str
) -> None:
    env = {**installed.env, setting: value, "APP_PORT": str(free_port())}
    for command in ("check", "serve"):
        started = time.monotonic()
        result = installed.cli(command, check=False, env=env, timeout=60)
        output = result.stdout + result.stderr
        assert result.returncode != 0, f"{command} accepted {setting}={value}:\n{output}"
        assert time.monotonic() - started < 30
        assert named in output
        if value != "*":
            assert value not in output, f"{command} printed the secret value"


def test_server_log_has_access_records_and_no_secrets(
    server: httpx.Client, installed: Installed
) -> None:
    """Reads what `serve` printed, including everything the tests above made it log."""
    server.get("/health/live", headers={"X-Request-ID": "log-check-1"})
    server.get("/api/v1/me", headers={**HTTPS, "X-Request-ID": "log-check-2"})
    server.post(
        "/api/v1/items",
        content=b"{}",
        headers={**HTTPS, "Content-Type": "text/plain", "X-Request-ID": "log-check-3"},
    )
    # Request records reach the log in batches, within 0.1 s.
    deadline = time.monotonic() + 10
    log = (installed.root / "serve.log").read_text()
    while "log-check-3" not in log and time.monotonic() < deadline:
        time.sleep(0.05)
        log = (installed.root / "serve.log").read_text()
    lines = log.splitlines()

    def logged(request_id: str) -> str:
        found = [line for line in lines if request_id in line]
        assert found, log[-2000:]
        return "\n".join(found)

    access = logged("log-check-1")
    for field in ("method=GET", "route=/health/live", "status=200", "duration_ms=", "client_ip="):
        assert field in access, access
    assert "event=auth.failure" in logged("log-check-2")
    assert "event=input.rejected" in logged("log-check-3")
    for secret in (
        PASSWORD,
        installed.env["APP_JWT_SECRET"],
        installed.env["APP_METRICS_TOKEN"],
        "still not the password",
    ):
        assert secret not in log
    assert "eyJ" not in log  # no JSON Web Token, access or refresh, reached the log


# What Chromium logs when a Content-Security-Policy blocks a script, a style or a fetch.
CSP_VIOLATION = "violates the following Content Security Policy"
# A headless browser that reaches nothing but the service (this machine's network is closed).
HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",
    "--enable-logging=stderr",
    "--v=0",
)


def test_docs_page_renders_offline_under_its_policy(installed: Installed, tmp_path: Path) -> None:
    """The API docs (development) draw every operation in a real browser, with no CDN and no
    Content-Security-Policy violation: Swagger UI is served by the service itself."""
    browser = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs it")
        pytest.skip("chromium is not installed: the docs page is checked as HTML only")
    env = {**installed.env, "APP_ENV": "development", "APP_DOCS_ENABLED": "true"}
    with serving(installed.root, env, tmp_path / "serve.log") as client:
        page = str(client.base_url.join("/docs"))
        profile = f"--user-data-dir={tmp_path / 'profile'}"
        shown = run([browser, *HEADLESS, profile, "--dump-dom", page], tmp_path, timeout=120)
    assert CSP_VIOLATION not in shown.stderr, shown.stderr[-5000:]
    # Swagger UI ran, fetched the schema and drew its operations.
    assert 'class="opblock-summary-path"' in shown.stdout, shown.stdout[-5000:]
    for path in ("/health/live", "/api/v1/me", "/api/v1/items"):
        assert f'data-path="{path}"' in shown.stdout, path
