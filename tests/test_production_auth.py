"""End to end, per `auth` choice: the service installed, served with `APP_ENV=production`,
and probed over real HTTP as its clients would (the default variant: test_production.py).

Credentials come the way they do in a deployment: a signing key in a file for RS256/Ed25519,
`create-api-key` for api_key, and for oidc an identity provider on 127.0.0.1 (the rendered
suite's own test issuer, run from the service's folder).
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support import clean_env, render, run, uv_bin
from tests.test_production import HTTPS, SLUG, assert_problem, serving
from tests.variants import BASE_DATA

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("production")]

READ_WRITE = ("items:read", "items:write")
PASSWORD = "correct horse battery staple 42"
IDENTITY_PROVIDER = """
import json, sys, threading, time
from tests.principals import AUDIENCE, access_token, issuer
day = int(time.time()) + 86400
tokens = {
    name: access_token(name, scopes, exp=day)
    for name, scopes in (("alice", ("items:read", "items:write")), ("reader", ("items:read",)))
}
print(json.dumps({"issuer": issuer().url, "audience": AUDIENCE, "tokens": tokens}), flush=True)
threading.Event().wait()
"""
CHOICES = {
    "jwt-rs256": {"jwt_algorithm": "RS256"},
    "jwt-ed25519": {"jwt_algorithm": "Ed25519"},
    "oidc": {"auth": "oidc"},
    "api_key": {"auth": "api_key"},
}
OPENSSL_KEYS = {
    "RS256": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "Ed25519": ["-algorithm", "ed25519"],
}


@dataclass
class Service:
    root: Path
    env: dict[str, str]
    challenge: str = "Bearer"
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    """Request headers of a read-write client ("alice") and a read-only one ("reader")."""
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [self.root / ".venv" / "bin" / SLUG, *args]
        return run(command, self.root, env=self.env, check=check, timeout=60)


def install(template_src: Path, base: Path, answers: dict[str, str]) -> Service:
    root = render(template_src, base / "service", {**BASE_DATA, **answers})
    (root / ".env").unlink()
    run([uv_bin(), "sync"], root, env=clean_env(UV_PYTHON=BASE_DATA["python_version"]), timeout=900)
    env = clean_env(
        APP_ENV="production",
        APP_ALLOWED_HOSTS="localhost,127.0.0.1",
        APP_DATABASE_URL=f"sqlite+aiosqlite:///{base / 'app.db'}",
        APP_SECRETS_DIR=str(base / "no-secrets-dir"),
    )
    return Service(root, env)


def sign_in(service: Service, answers: dict[str, str], base: Path) -> None:
    """Give the service what production requires of its auth choice, and clients their
    credentials."""
    if "jwt_algorithm" in answers:
        key = base / "jwt_private_key.pem"
        run(["openssl", "genpkey", "-out", key, *OPENSSL_KEYS[answers["jwt_algorithm"]]], base)
        key.chmod(0o600)
        service.env["APP_JWT_PRIVATE_KEY_FILE"] = str(key)
        service.cli("migrate")
        for name, scopes in (("alice", READ_WRITE), ("reader", ("items:read",))):
            flags = [item for scope in scopes for item in ("--scope", scope)]
            command = [service.root / ".venv" / "bin" / SLUG, "create-user", name, *flags]
            run(
                [*command, "--password-stdin"],
                service.root,
                env=service.env,
                input_text=PASSWORD + "\n",
            )
    elif answers.get("auth") == "api_key":
        service.challenge = "ApiKey"
        service.cli("migrate")
        for name, scopes in (("alice", READ_WRITE), ("reader", ("items:read",))):
            flags = [item for scope in scopes for item in ("--scope", scope)]
            key = service.cli("create-api-key", name, *flags).stdout.strip()
            service.credentials[name] = {"X-API-Key": key}
    else:
        provider = subprocess.Popen(
            [service.root / ".venv" / "bin" / "python", "-c", IDENTITY_PROVIDER],
            cwd=service.root,
            env=clean_env(),
            stdout=subprocess.PIPE,
        )
        service.helpers.append(provider)
        assert provider.stdout is not None
        found = json.loads(provider.stdout.readline())
        service.env |= {"APP_OIDC_ISSUER": found["issuer"], "APP_OIDC_AUDIENCE": found["audience"]}
        service.cli("migrate")
        for name, token in found["tokens"].items():
            service.credentials[name] = {"Authorization": f"Bearer {token}"}


def log_in(client: httpx.Client, service: Service) -> None:
    """jwt: the users log in through the token endpoint, as clients do."""
    for name in ("alice", "reader"):
        answer = client.post(
            "/api/v1/auth/token", data={"username": name, "password": PASSWORD}, headers=HTTPS
        )
        assert answer.status_code == 200, answer.text
        service.credentials[name] = {"Authorization": f"Bearer {answer.json()['access_token']}"}


@pytest.fixture(scope="module", params=list(CHOICES))
def served(
    request: pytest.FixtureRequest, template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, httpx.Client]]:
    answers = CHOICES[request.param]
    base = tmp_path_factory.mktemp(f"production-{request.param}")
    service = install(template_src, base, answers)
    sign_in(service, answers, base)
    try:
        with serving(service.root, service.env, base / "serve.log") as client:
            if "jwt_algorithm" in answers:
                log_in(client, service)
            yield service, client
    finally:
        for helper in service.helpers:
            helper.kill()
            helper.wait(timeout=15)


def test_check_passes_with_the_choice_configured(served: tuple[Service, httpx.Client]) -> None:
    service, _ = served
    assert "every deploy check passed" in service.cli("check").stdout


def test_missing_and_wrong_credentials_get_the_same_401(
    served: tuple[Service, httpx.Client],
) -> None:
    service, client = served
    wrong = {
        name: value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
        for name, value in service.credentials["alice"].items()
    }
    bodies = []
    for headers in ({}, wrong):
        response = client.get("/api/v1/me", headers={**HTTPS, **headers})
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == service.challenge
        bodies.append({key: value for key, value in body.items() if key != "request_id"})
    assert bodies[0] == bodies[1]


def test_credentials_in_the_query_string_are_ignored(
    served: tuple[Service, httpx.Client],
) -> None:
    service, client = served
    (value,) = service.credentials["alice"].values()
    secret = value.removeprefix("Bearer ")
    for name in ("access_token", "api_key", "token"):
        assert_problem(client.get("/api/v1/me", params={name: secret}, headers=HTTPS), 401)


def test_scopes_are_enforced_with_403(served: tuple[Service, httpx.Client]) -> None:
    service, client = served
    me = client.get("/api/v1/me", headers={**HTTPS, **service.credentials["reader"]})
    assert me.status_code == 200, me.text
    assert me.json()["scopes"] == ["items:read"]
    refused = client.post(
        "/api/v1/items", json={"name": "x"}, headers={**HTTPS, **service.credentials["reader"]}
    )
    body = assert_problem(refused, 403)
    assert body["error"] == "insufficient_scope"
    assert refused.headers["www-authenticate"].startswith(
        f'{service.challenge} error="insufficient_scope"'
    )


def test_items_belong_to_their_principal(served: tuple[Service, httpx.Client]) -> None:
    service, client = served
    alice = {**HTTPS, **service.credentials["alice"]}
    created = client.post("/api/v1/items", json={"name": "alice's"}, headers=alice)
    assert created.status_code == 201, created.text
    item = f"/api/v1/items/{created.json()['id']}"
    assert client.get(item, headers=alice).status_code == 200
    reader = {**HTTPS, **service.credentials["reader"]}
    assert_problem(client.get(item, headers=reader), 404)


def test_plain_http_never_reaches_authentication(served: tuple[Service, httpx.Client]) -> None:
    service, client = served
    assert_problem(client.get("/api/v1/me", headers=service.credentials["alice"]), 403)


def test_signing_keys_are_published_without_private_parts(
    served: tuple[Service, httpx.Client], request: pytest.FixtureRequest
) -> None:
    service, client = served
    response = client.get("/.well-known/jwks.json", headers=HTTPS)
    if "jwt_algorithm" not in CHOICES[request.node.callspec.params["served"]]:
        assert_problem(response, 404)  # no keys of its own to publish
        return
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert not {"d", "p", "q"} & set(key)
    token = service.credentials["alice"]["Authorization"].removeprefix("Bearer ")
    part = token.split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert header["kid"] == key["kid"]
