"""The copy-only task that writes the git-ignored .env (hooks/create_dotenv.py)."""

from __future__ import annotations

import base64
import stat
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT, copier_copy_cli, read_dotenv, render
from tests.variants import BASE_DATA

HOOK = ROOT / "hooks" / "create_dotenv.py"


def run_hook(cwd: Path, *args: str, umask: int = 0o022) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HOOK), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        umask=umask,
    )


def test_hook_writes_a_private_dotenv_with_a_strong_secret(tmp_path: Path) -> None:
    run_hook(tmp_path, "--auth=jwt", umask=0)  # even with a permissive umask
    dotenv = tmp_path / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    values = read_dotenv(dotenv)
    assert values["APP_ENV"] == "development"
    secret = values["APP_JWT_SECRET"]
    assert len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) >= 32
    assert set(values) == {"APP_ENV", "APP_JWT_SECRET"}


def test_hook_makes_a_new_secret_each_time(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run_hook(tmp_path / "a", "--auth=jwt")
    run_hook(tmp_path / "b", "--auth=jwt")
    assert read_dotenv(tmp_path / "a" / ".env") != read_dotenv(tmp_path / "b" / ".env")


def test_hook_writes_no_jwt_secret_for_other_auth(tmp_path: Path) -> None:
    run_hook(tmp_path, "--auth=api_key")
    assert read_dotenv(tmp_path / ".env") == {"APP_ENV": "development"}


def test_hook_never_overwrites_an_existing_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("APP_ENV=production\nMINE=1\n")
    result = run_hook(tmp_path, "--auth=jwt")
    assert dotenv.read_text() == "APP_ENV=production\nMINE=1\n"
    assert "left unchanged" in result.stderr


def test_hook_accepts_an_explicit_destination(tmp_path: Path) -> None:
    target = tmp_path / "project"
    target.mkdir()
    run_hook(tmp_path, "--auth=jwt", str(target))
    assert (target / ".env").is_file()
    assert not (tmp_path / ".env").exists()


def test_copy_creates_dotenv_and_a_second_copy_keeps_it(template_src: Path, tmp_path: Path) -> None:
    destination = render(template_src, tmp_path / "svc", BASE_DATA)
    dotenv = destination / ".env"
    before = dotenv.read_bytes()
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    render(template_src, destination, BASE_DATA, overwrite=True)
    assert dotenv.read_bytes() == before
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600


def test_cli_copy_never_prints_the_secret(template_src: Path, tmp_path: Path) -> None:
    destination = tmp_path / "svc"
    result = copier_copy_cli(template_src, destination, BASE_DATA)
    secret = read_dotenv(destination / ".env")["APP_JWT_SECRET"]
    assert secret not in result.stdout + result.stderr
    assert ".env" in result.stderr  # the task said what it did
