# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The console script: check, migrate, create-user, and serve refusing unsafe settings."""

import io
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest
from anyio import to_thread

from .package import load_settings, main
from .principals import PASSWORD, login
from .support import random_secret

pytestmark = pytest.mark.anyio

SHORT_SECRET = "Sh0rt-but-Sneaky-value"


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A safe production environment; returns the path of its (empty) SQLite database."""
    database = tmp_path / "cli.db"
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_ALLOWED_HOSTS", "api.example.com")
    monkeypatch.setenv("APP_JWT_SECRET", random_secret())
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    return database


def users(database: Path) -> set[str]:
    with closing(sqlite3.connect(database)) as connection:
        return {name for (name,) in connection.execute("SELECT username FROM users")}


def tables(database: Path) -> set[str]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_check_passes_with_safe_settings(production_env, capsys) -> None:
    assert main(["check"]) == 0
    assert "ok" in capsys.readouterr().out


def test_check_lists_every_problem_without_values(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_JWT_SECRET", SHORT_SECRET)
    monkeypatch.setenv("APP_ALLOWED_HOSTS", "*")
    monkeypatch.setenv("APP_WORKERS", "3")
    assert main(["check"]) != 0
    output = capsys.readouterr()
    for name in ("APP_JWT_SECRET", "APP_ALLOWED_HOSTS", "APP_WORKERS"):
        assert name in output.err
    assert SHORT_SECRET not in output.err + output.out
    assert "ok" not in output.out


def test_check_fails_outside_production(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    assert main(["check"]) != 0
    assert "APP_ENV" in capsys.readouterr().err


def test_invalid_setting_is_named_without_its_value(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_PORT", "Sup3rS3cret-port")
    with pytest.raises(SystemExit) as exited:
        main(["check"])
    assert exited.value.code != 0
    output = capsys.readouterr()
    assert "APP_PORT" in output.err
    assert "Sup3rS3cret-port" not in output.err + output.out


def test_migrate_creates_the_tables(production_env: Path, capsys) -> None:
    assert main(["migrate"]) == 0
    assert {"items", "users", "refresh_tokens", "alembic_version"} <= tables(production_env)
    assert main(["migrate"]) == 0  # idempotent
    assert "up to date" in capsys.readouterr().out


async def migrate_and_create_user(monkeypatch: pytest.MonkeyPatch, username: str) -> None:
    """`migrate`, then `create-user USERNAME --scope items:read` with the password on stdin."""
    # The commands run their own event loops, as they do in a shell: give them a thread.
    assert await to_thread.run_sync(main, ["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    command = ["create-user", username, "--scope", "items:read", "--password-stdin"]
    assert await to_thread.run_sync(main, command) == 0


async def test_created_user_can_log_in(
    production_env: Path, monkeypatch: pytest.MonkeyPatch, capsys, make_app, make_client
) -> None:
    await migrate_and_create_user(monkeypatch, "carol")
    assert PASSWORD not in capsys.readouterr().out

    client = make_client(make_app(database_url=f"sqlite+aiosqlite:///{production_env}"))
    response = await login(client, "carol", PASSWORD)
    assert response.status_code == 200
    me = await client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["scopes"] == ["items:read"]
    assert uuid.UUID(me.json()["subject"])  # carol's id, not her name


BAD_USERS = {
    "short_password": ("dave", "too short", "at least"),
    "empty_password": ("dave", "", "at least"),
    "newline_in_name": ("bad name\n", PASSWORD, "usernames"),
    "long_name": ("x" * 65, PASSWORD, "usernames"),
}


@pytest.mark.parametrize("case", BAD_USERS)
def test_create_user_refuses_bad_input(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys, case: str
) -> None:
    username, password, reason = BAD_USERS[case]
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert main(["create-user", username, "--scope", "items:read", "--password-stdin"]) == 1
    output = capsys.readouterr()
    assert reason in output.err
    if password:
        assert password not in output.err + output.out


def test_create_user_refuses_a_bad_scope(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["create-user", "erin", "--scope", "items:read; DROP", "--password-stdin"]) == 1
    assert "scope" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("scopes", "reason"),
    [([], "no --scope given"), (["items:read", "admin"], "unknown scopes admin")],
)
def test_create_user_wants_known_scopes(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys, scopes: list[str], reason: str
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    options = [option for scope in scopes for option in ("--scope", scope)]
    assert main(["create-user", "ivan", *options, "--password-stdin"]) == 1
    error = capsys.readouterr().err.strip()
    assert error == f"cannot create user: {reason} (known: items:read, items:write)"
    assert not {"ivan"} & users(production_env)


def test_create_user_refuses_a_duplicate(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["create-user", "frank", "--scope", "items:read", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert main(["create-user", "frank", "--scope", "items:read", "--password-stdin"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_serve_refuses_unsafe_production_settings(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_JWT_SECRET", SHORT_SECRET)
    # Were the checks skipped, uvicorn would fail to bind this address and exit differently.
    monkeypatch.setenv("APP_HOST", "203.0.113.254")
    assert main(["serve"]) == 1
    output = capsys.readouterr()
    assert "APP_JWT_SECRET" in output.err
    assert "refusing to start" in output.err
    assert SHORT_SECRET not in output.err + output.out


UNUSABLE = {
    "rate_limit": ("APP_RATE_LIMIT_DEFAULT", "banana-Sup3rS3cret"),
    "login_limit": ("APP_RATE_LIMIT_LOGIN", "5 per Sup3rS3cret"),
    "database_url_kind": ("APP_DATABASE_URL", "postgres://admin:Sup3rS3cret@db/app"),
    "database_url_syntax": ("APP_DATABASE_URL", "Sup3rS3cret not a url"),
}


@pytest.mark.parametrize("command", ["check", "serve", "migrate"])
@pytest.mark.parametrize("case", UNUSABLE)
def test_settings_no_command_could_use_are_one_line_each_without_a_traceback(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys, case: str, command: str
) -> None:
    variable, value = UNUSABLE[case]
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("APP_HOST", "203.0.113.254")  # serve must stop before binding
    with pytest.raises(SystemExit) as exited:
        main([command])
    assert exited.value.code == 2
    output = capsys.readouterr()
    lines = output.err.strip().splitlines()
    assert len(lines) == 1
    assert variable in lines[0]
    assert "Sup3rS3cret" not in output.err + output.out
    assert "Traceback" not in output.err


def test_create_user_without_a_password_is_one_line(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    assert main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["create-user", "gina", "--scope", "items:read", "--password-stdin"]) == 1

    def no_terminal(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", no_terminal)
    assert main(["create-user", "gina", "--scope", "items:read"]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert (
        errors == ["cannot create user: no password given (use a terminal or --password-stdin)"] * 2
    )


def test_production_never_reads_the_development_dotenv(
    production_env, tmp_path: Path, capsys
) -> None:
    # A developer's .env left in the folder: development secret, docs on, plain HTTP.
    (tmp_path / ".env").write_text(
        "APP_ENV=development\nAPP_JWT_SECRET=Dev-Sup3rS3cret-value-0123456789abcdef\n"
        "APP_DOCS_ENABLED=true\nAPP_ENFORCE_HTTPS=false\n"
    )
    settings = load_settings()
    assert settings.is_production
    assert settings.docs_enabled is False
    assert settings.enforce_https is True
    assert settings.jwt_secret is not None
    assert "Sup3rS3cret" not in settings.jwt_secret.get_secret_value()
    assert main(["check"]) == 0


# Every interface, IPv4 and IPv6, a public address, a name: all refused outside production.
@pytest.mark.parametrize("host", ["0.0.0.0", "::0", "203.0.113.254", "api.example.com"])  # noqa: S104
def test_development_serves_on_loopback_addresses_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys, host: str
) -> None:
    # No APP_ENV in the environment: the .env of a fresh project makes it development.
    (tmp_path / ".env").write_text(f"APP_ENV=development\nAPP_HOST={host}\n")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "APP_HOST must be a loopback address" in err
    assert host not in err


async def test_prune_sessions_deletes_expired_refresh_tokens_only(
    production_env: Path, monkeypatch: pytest.MonkeyPatch, capsys, make_app, make_client
) -> None:
    await migrate_and_create_user(monkeypatch, "hana")
    client = make_client(make_app(database_url=f"sqlite+aiosqlite:///{production_env}"))
    for _ in range(3):
        assert (await login(client, "hana", PASSWORD)).status_code == 200
    with closing(sqlite3.connect(production_env)) as connection, connection:
        connection.execute(
            "UPDATE refresh_tokens SET expires_at = '2000-01-01 00:00:00.000000' "
            "WHERE rowid IN (SELECT rowid FROM refresh_tokens LIMIT 2)"
        )
    assert await to_thread.run_sync(main, ["prune-sessions"]) == 0
    assert "deleted 2 expired refresh tokens" in capsys.readouterr().out
    with closing(sqlite3.connect(production_env)) as connection:
        assert connection.execute("SELECT count(*) FROM refresh_tokens").fetchone() == (1,)


def test_unknown_command_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
