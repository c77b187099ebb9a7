# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""The console script: check, migrate, and serve refusing unsafe settings; usage errors."""

import re
from pathlib import Path

import pytest
from sqlalchemy import inspect

from .databases import connect
from .package import TEMPLATE_VERSION, load_settings, main

# `production_env` (conftest.py): a safe production environment, with its empty database.
ANSWERS_FILE = Path(__file__).resolve().parent.parent / ".copier-answers.yml"
TEMPLATE_LINE = f"template: {TEMPLATE_VERSION}"
DEVELOPMENT_HEADER = "APP_ENV is 'development': checking these settings as APP_ENV=production would"


def tables(database_url: str) -> set[str]:
    with connect(database_url) as connection:
        return set(inspect(connection).get_table_names())


def test_check_passes_with_safe_settings(production_env, capsys) -> None:
    assert main(["check"]) == 0
    output = capsys.readouterr()
    assert output.out.splitlines() == [TEMPLATE_LINE, "ok: every deploy check passed"]
    assert output.err == ""


def test_check_in_production_fails_on_any_problem(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # Left unset, as a development project leaves it: production has no stand-in for it.
    monkeypatch.delenv("APP_ALLOWED_HOSTS")
    monkeypatch.setenv("APP_ENFORCE_HTTPS", "false")
    assert main(["check"]) == 1
    output = capsys.readouterr()
    assert output.out.splitlines() == [TEMPLATE_LINE]
    assert output.err.splitlines() == [
        "FAIL APP_ALLOWED_HOSTS is empty: list the host names clients use",
        "FAIL APP_ENFORCE_HTTPS is off: production serves HTTPS only",
    ]


def test_check_in_development_passes_with_settings_production_accepts(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_ENV", "development")
    assert main(["check"]) == 0
    output = capsys.readouterr()
    assert output.out.splitlines() == [
        TEMPLATE_LINE,
        DEVELOPMENT_HEADER,
        "ok: production would accept every value set here",
    ]
    assert output.err == ""


def test_check_in_development_lists_what_production_needs_without_failing(
    tmp_path: Path, capsys
) -> None:
    # A fresh project: its .env says development, and nothing that production needs is set.
    # Development stands in for it (local hosts, plain HTTP, the docs on, generated secrets).
    (tmp_path / ".env").write_text("APP_ENV=development\n")
    assert main(["check"]) == 0
    output = capsys.readouterr()
    lines = output.out.splitlines()
    assert lines[:2] == [TEMPLATE_LINE, DEVELOPMENT_HEADER]
    assert "TODO APP_ALLOWED_HOSTS is empty: list the host names clients use" in lines
    assert all(line.startswith("TODO APP_") for line in lines[2:-1]), lines
    assert lines[-1] == "ok: production would accept every value set here"
    # Production has defaults of its own for what development relaxes: nothing to report.
    assert "APP_ENFORCE_HTTPS" not in output.out
    assert "APP_DOCS_ENABLED" not in output.out
    assert output.err == ""


def test_check_in_development_fails_on_values_production_refuses(
    production_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.delenv("APP_ENV")
    monkeypatch.delenv("APP_ALLOWED_HOSTS")
    (tmp_path / ".env").write_text(
        "APP_ENV=development\nAPP_ALLOWED_HOSTS=*\nAPP_ENFORCE_HTTPS=false\n"
    )
    assert main(["check"]) == 1
    output = capsys.readouterr()
    assert output.out.splitlines() == [TEMPLATE_LINE, DEVELOPMENT_HEADER]
    assert output.err.splitlines() == [
        "FAIL APP_ALLOWED_HOSTS contains '*': list the host names explicitly",
        "FAIL APP_ENFORCE_HTTPS is off: production serves HTTPS only",
    ]


def test_the_template_version_is_the_one_copier_recorded() -> None:
    if not ANSWERS_FILE.is_file():
        pytest.skip(f"no {ANSWERS_FILE.name} here: `copier update` needs it")
    recorded = re.search(r"^_commit: (.+)$", ANSWERS_FILE.read_text(), re.MULTILINE)
    expected = recorded.group(1).strip("'\"") if recorded else "unknown"
    assert expected == TEMPLATE_VERSION


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


def test_migrate_creates_the_tables(production_env: str, capsys) -> None:
    assert main(["migrate"]) == 0
    assert {"items", "alembic_version"} <= tables(production_env)
    assert main(["migrate"]) == 0  # idempotent
    assert "up to date" in capsys.readouterr().out


COMMANDS = ["check", "serve", "migrate"]
# Values no command could use: each is named on one line, never shown.
UNUSABLE = {
    "rate_limit": ("APP_RATE_LIMIT_DEFAULT", "banana-Sup3rS3cret"),
    "database_url_kind": ("APP_DATABASE_URL", "postgres://admin:Sup3rS3cret@db/app"),
    "database_url_syntax": ("APP_DATABASE_URL", "Sup3rS3cret not a url"),
}


def assert_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
    variable: str,
    value: str,
) -> None:
    """`command` with `variable=value` (containing `Sup3rS3cret`) stops with a usage error: one
    line naming the variable, without its value or a traceback."""
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


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", UNUSABLE)
def test_settings_no_command_could_use_are_one_line_each_without_a_traceback(
    production_env, monkeypatch: pytest.MonkeyPatch, capsys, case: str, command: str
) -> None:
    assert_refused_in_one_line(monkeypatch, capsys, command, *UNUSABLE[case])


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


def test_unknown_command_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_production_never_reads_the_development_dotenv(
    production_env, tmp_path: Path, capsys
) -> None:
    # A developer's .env left in the folder: development mode, docs on, plain HTTP, any host.
    (tmp_path / ".env").write_text(
        "APP_ENV=development\nAPP_DOCS_ENABLED=true\nAPP_ENFORCE_HTTPS=false\nAPP_ALLOWED_HOSTS=*\n"
    )
    settings = load_settings()
    assert settings.is_production
    assert settings.docs_enabled is False
    assert settings.enforce_https is True
    assert "*" not in settings.allowed_hosts
    assert main(["check"]) == 0
