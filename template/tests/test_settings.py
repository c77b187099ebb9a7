# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 8, secrets in the environment: unsafe production settings refused, never shown."""

import string
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from .package import Settings, UnsafeConfigurationError, create_app, deploy_problems, load_settings
from .principals import login
from .support import Logs, assert_problem, bearer, random_secret

pytestmark = pytest.mark.anyio

SHORT = "Sh0rt-but-Sneaky-value"  # 22 bytes
PLACEHOLDER = "change-me-to-a-long-random-value-0123456789"
# Every setting that holds a secret, in this service.
SECRET_FIELDS = sorted(
    name for name, field in Settings.model_fields.items() if field.annotation == SecretStr | None
)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "jwt_secret_missing": ({"jwt_secret": None}, "APP_JWT_SECRET"),
    "jwt_secret_empty": ({"jwt_secret": ""}, "APP_JWT_SECRET"),
    "jwt_secret_short": ({"jwt_secret": SHORT}, "APP_JWT_SECRET"),
    "jwt_secret_placeholder": ({"jwt_secret": PLACEHOLDER}, "APP_JWT_SECRET"),
    "jwt_secret_repeated_character": ({"jwt_secret": "a" * 48}, "APP_JWT_SECRET"),
    "jwt_secret_repeated_word": ({"jwt_secret": "password" * 6}, "APP_JWT_SECRET"),
    "no_allowed_hosts": ({"allowed_hosts": []}, "APP_ALLOWED_HOSTS"),
    "any_host": ({"allowed_hosts": ["api.example.com", "*"]}, "APP_ALLOWED_HOSTS"),
    "any_proxy": ({"forwarded_allow_ips": ["*"]}, "APP_FORWARDED_ALLOW_IPS"),
    "every_address_as_proxy": (
        {"forwarded_allow_ips": ["0.0.0.0/0", "::/0"]},
        "APP_FORWARDED_ALLOW_IPS",
    ),
    "half_the_internet_as_proxy": (
        {"forwarded_allow_ips": ["128.0.0.0/1"]},
        "APP_FORWARDED_ALLOW_IPS",
    ),
    "ipv6_internet_as_proxy": ({"forwarded_allow_ips": ["2000::/3"]}, "APP_FORWARDED_ALLOW_IPS"),
    "any_cors_origin": ({"cors_origins": ["*"]}, "APP_CORS_ORIGINS"),
    "docs": ({"docs_enabled": True}, "APP_DOCS_ENABLED"),
    "plain_http": ({"enforce_https": False}, "APP_ENFORCE_HTTPS"),
    "workers": ({"workers": 2}, "APP_WORKERS"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_production_refuses_unsafe_settings(make_settings, case: str) -> None:
    overrides, name = REFUSED[case]
    logs = Logs()
    with logs.capture_stdout(), pytest.raises(UnsafeConfigurationError) as refused:
        create_app(make_settings(**overrides))
    message = str(refused.value)
    assert name in message
    assert any(name in problem for problem in refused.value.problems)
    for value in (SHORT, PLACEHOLDER):
        assert value not in message
        assert value not in logs.text()


def test_every_problem_is_reported_at_once(make_settings) -> None:
    settings = make_settings(jwt_secret=SHORT, allowed_hosts=["*"], workers=4, docs_enabled=True)
    problems = deploy_problems(settings)
    assert len(problems) == 4
    assert all(SHORT not in problem for problem in problems)


def test_proxies_in_private_networks_or_named_ranges_are_accepted(make_settings) -> None:
    proxies = ["10.0.0.0/8", "192.168.1.10", "fd00::/8", "35.191.0.0/16", "2001:db8::1"]
    assert deploy_problems(make_settings(forwarded_allow_ips=proxies)) == []


def test_secrets_of_32_bytes_are_long_enough_and_31_are_not(make_settings) -> None:
    varied = "".join(sorted(string.ascii_letters + string.digits, key=lambda c: (ord(c) * 7) % 62))
    assert deploy_problems(make_settings(jwt_secret=varied[:32])) == []
    (problem,) = deploy_problems(make_settings(jwt_secret=varied[:31]))
    assert "shorter than 32 bytes" in problem


def test_guessable_secrets_are_refused_with_how_to_make_one(make_settings) -> None:
    (problem,) = deploy_problems(make_settings(jwt_secret="ab" * 24))
    assert "openssl rand" in problem
    assert "ab" * 24 not in problem


def test_safe_production_settings_have_no_problems(make_settings) -> None:
    assert deploy_problems(make_settings()) == []


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("APP_PORT", "not-a-port-Sup3rS3cret"),
        ("APP_ENV", "prod-Sup3rS3cret"),
        ("APP_WORKERS", "-Sup3rS3cret"),
        ("APP_ACCESS_TOKEN_TTL_SECONDS", "5"),
        ("APP_HSTS_MAX_AGE", "-1"),
        ("APP_FORWARDED_ALLOW_IPS", "10.0.0.1,Sup3rS3cret-proxy"),
    ],
)
def test_invalid_values_are_named_but_not_shown(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as invalid:
        Settings(_env_file=None)  # type: ignore[call-arg]
    message = str(invalid.value)
    assert variable.removeprefix("APP_").lower() in message
    assert value not in message
    assert "input_value" not in message


def env_name(field: str) -> str:
    return f"APP_{field.upper()}"


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_secrets_are_read_from_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, field: str
) -> None:
    secret = random_secret()
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    (secrets_dir / env_name(field)).write_text(secret + "\n")
    monkeypatch.setenv("APP_SECRETS_DIR", str(secrets_dir))
    value = getattr(load_settings(_env_file=None), field)
    assert isinstance(value, SecretStr)
    assert value.get_secret_value() == secret


def test_secret_files_alone_make_a_deployable_configuration(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets_dir = tmp_path / "run-secrets"
    secrets_dir.mkdir()
    for field in SECRET_FIELDS:
        (secrets_dir / env_name(field)).write_text(random_secret())
    monkeypatch.setenv("APP_SECRETS_DIR", str(secrets_dir))
    monkeypatch.setenv("APP_ALLOWED_HOSTS", "api.example.com")
    assert deploy_problems(load_settings(_env_file=None)) == []


@pytest.mark.parametrize("field", SECRET_FIELDS)
def test_an_empty_secret_means_not_set(monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    monkeypatch.setenv(env_name(field), "")  # an empty line in .env means "not set"
    assert getattr(load_settings(_env_file=None), field) is None


def test_environment_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ALLOWED_HOSTS", " api.example.com, *.example.net ,")
    monkeypatch.setenv("APP_LOG_LEVEL", "debug")
    settings = load_settings(_env_file=None)
    assert settings.allowed_hosts == ["api.example.com", "*.example.net"]
    assert settings.log_level == "DEBUG"
    assert settings.is_production
    assert settings.enforce_https is True
    assert settings.docs_enabled is False


def test_secrets_never_show_in_repr_or_dumps(make_settings) -> None:
    values = {field: random_secret() for field in SECRET_FIELDS}
    settings = make_settings(**values)
    shown = [repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump())]
    for field, secret in values.items():
        assert isinstance(getattr(settings, field), SecretStr)
        for text in shown:
            assert secret not in text, field


async def test_development_generates_an_ephemeral_secret(make_app, make_client, logs: Logs) -> None:
    first = make_app(env="development", jwt_secret=None)
    second = make_app(env="development", jwt_secret=None)
    text = logs.text()
    assert "APP_JWT_SECRET is not set" in text
    assert "development" in text
    client = make_client(first)
    tokens = (await login(client)).json()
    assert (await client.get("/api/v1/me", headers=bearer(tokens["access_token"]))).is_success
    # Random per process, not a constant fallback: the other app rejects the token.
    other = make_client(second)
    assert_problem(await other.get("/api/v1/me", headers=bearer(tokens["access_token"])), 401)


async def test_docs_in_development_with_relaxed_csp_only_there(make_app, make_client) -> None:
    client = make_client(make_app(env="development"))
    docs = await client.get("/docs")
    assert docs.status_code == 200
    relaxed = docs.headers["content-security-policy"]
    assert "script-src" in relaxed
    assert "frame-ancestors 'none'" in relaxed
    assert (await client.get("/openapi.json")).status_code == 200
    for path in ("/health/live", "/api/v1/me", "/docs/nothing-here", "/docsx"):
        response = await client.get(path)
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        ), path


async def test_no_docs_in_production(app, client) -> None:
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        response = await client.get(path)
        assert_problem(response, 404)
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )
