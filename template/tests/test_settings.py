# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Practice 8, secrets in the environment: unsafe production settings refused, never shown."""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from .conftest import deploy_settings, explicit_settings
from .package import Settings, UnsafeConfigurationError, create_app, deploy_problems, load_settings
from .support import Logs, assert_problem, random_secret

pytestmark = pytest.mark.anyio

SHORT = "Sh0rt-but-Sneaky-value"  # 22 bytes
PLACEHOLDER = "change-me-to-a-long-random-value-0123456789"
# Every setting that holds a secret, in this service.
SECRET_FIELDS = sorted(
    name for name, field in Settings.model_fields.items() if field.annotation == SecretStr | None
)
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
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
}


def assert_refused(
    make_settings: Callable[..., Settings], overrides: dict[str, Any], name: str
) -> None:
    """Production refuses to start with these settings: the problem names `name`, and no
    message or log line shows SHORT or PLACEHOLDER."""
    logs = Logs()
    with logs.capture_stdout(), pytest.raises(UnsafeConfigurationError) as refused:
        create_app(make_settings(**overrides))
    message = str(refused.value)
    assert name in message
    assert any(name in problem for problem in refused.value.problems)
    for value in (SHORT, PLACEHOLDER):
        assert value not in message
        assert value not in logs.text()


@pytest.mark.parametrize("case", REFUSED)
def test_production_refuses_unsafe_settings(make_settings, case: str) -> None:
    assert_refused(make_settings, *REFUSED[case])


def test_every_deploy_problem_starts_with_the_setting_it_is_about(
    make_settings, database_url: str
) -> None:
    # How `check` outside production tells a setting left unset from a value given to it.
    nothing_set = explicit_settings(database_url, env="production")
    refused = [make_settings(**overrides) for overrides, _ in REFUSED.values()]
    problems = [
        problem for settings in (nothing_set, *refused) for problem in deploy_problems(settings)
    ]
    assert len(problems) > len(REFUSED)
    for problem in problems:
        subject = re.match(r"APP_([A-Z0-9_]+)", problem)
        assert subject, problem
        assert subject.group(1).lower() in Settings.model_fields, problem


def test_proxies_in_private_networks_or_named_ranges_are_accepted(make_settings) -> None:
    proxies = ["10.0.0.0/8", "192.168.1.10", "fd00::/8", "35.191.0.0/16", "2001:db8::1"]
    assert deploy_problems(make_settings(forwarded_allow_ips=proxies)) == []


def test_safe_production_settings_have_no_problems(make_settings) -> None:
    assert deploy_problems(make_settings()) == []


INVALID = [
    ("APP_PORT", "not-a-port-Sup3rS3cret"),
    ("APP_ENV", "prod-Sup3rS3cret"),
    ("APP_WORKERS", "-Sup3rS3cret"),
    ("APP_HSTS_MAX_AGE", "-1"),
    ("APP_FORWARDED_ALLOW_IPS", "10.0.0.1,Sup3rS3cret-proxy"),
]


def assert_named_but_not_shown(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    """Settings refuse `variable=value`: the error names the setting, never the value."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as invalid:
        Settings(_env_file=None)  # type: ignore[call-arg]
    message = str(invalid.value)
    assert variable.removeprefix("APP_").lower() in message
    assert value not in message
    assert "input_value" not in message


@pytest.mark.parametrize(("variable", "value"), INVALID)
def test_invalid_values_are_named_but_not_shown(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    assert_named_but_not_shown(monkeypatch, variable, value)


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
    # What the options need besides secrets (a key file's path, an issuer's address, ...).
    for field, value in deploy_settings(tmp_path).items():
        if field not in SECRET_FIELDS:
            monkeypatch.setenv(env_name(field), str(value))
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
