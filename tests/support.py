"""Helpers shared by the template's tests: snapshots, rendering, subprocesses, file walks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from copier import run_copy

ROOT = Path(__file__).resolve().parent.parent

# Service endpoints for the rendered suites (SPEC 4.1); the environment may override them.
SERVICE_ENV_DEFAULTS = {
    "APP_TEST_REDIS_URL": "redis://127.0.0.1:6379/15",
    "APP_TEST_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
}

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}

# Directories that tools create inside a rendered project; never part of what was rendered.
TOOL_DIRS = frozenset({".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"})


def tool(name: str) -> str:
    """An executable of the template's own dev environment (copier, ruff), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found; run the tests with `python3 scripts/test.py`")
    return found


@cache
def uv_bin() -> str:
    """The uv executable: the one running us (`uv run` sets UV), else PATH, else pip's uv."""
    for candidate in (os.environ.get("UV"), shutil.which("uv")):
        if candidate and Path(candidate).exists():
            return candidate
    try:
        from uv import find_uv_bin  # noqa: PLC0415  (optional: `pip install uv`)
    except ImportError as error:
        raise RuntimeError("uv not found: run the tests with `python3 scripts/test.py`") from error
    return find_uv_bin()


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment minus what would leak into a rendered project's tools or settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("APP_", "PYTEST_", "UV_PROJECT", "UV_PYTHON"))
        and key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "REQUIRE_SERVICES"}
    }
    env.update(GIT_IDENTITY)
    env["UV_NO_PROGRESS"] = "1"
    env.update(extra)
    return env


def run(
    cmd: Sequence[str | Path],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    check: bool = True,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, and fail with that output when it fails."""
    result = subprocess.run(
        [str(part) for part in cmd],
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(map(str, cmd))} exited {result.returncode} in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-20000:]}\n--- stderr ---\n{result.stderr[-20000:]}"
        )
    return result


def copier_copy_cli(
    template: Path,
    destination: Path,
    data: Mapping[str, Any],
    *,
    ref: str = "HEAD",
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """`copier copy --trust --defaults` of ``ref`` through the command line, as a user runs
    it (tasks included)."""
    data_args = [f"--data={key}={value}" for key, value in data.items()]
    command = [tool("copier"), "copy", "--trust", "--defaults", f"--vcs-ref={ref}", *data_args]
    return run(
        [*command, template, destination], destination.parent, env=env, check=check, timeout=300
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def uv_env(python_version: str, **extra: str) -> dict[str, str]:
    """The environment for uv in a rendered service: its Python, never a download.
    UV_CACHE_DIR is left alone: every render shares the user's uv cache."""
    return clean_env(UV_PYTHON=python_version, UV_PYTHON_DOWNLOADS="never", **extra)


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout


def _working_tree_files() -> list[Path]:
    """Files of the working tree, tracked or not, minus what .gitignore ignores."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        # Not a git checkout (an unpacked archive): take everything but tool directories.
        return [
            path.relative_to(ROOT)
            for path in ROOT.rglob("*")
            if path.is_file() and not TOOL_DIRS.intersection(path.relative_to(ROOT).parts)
        ]
    names = [name for name in out.decode().split("\0") if name]
    return [Path(name) for name in dict.fromkeys(names) if (ROOT / name).is_file()]


def snapshot_template(destination: Path) -> Path:
    """Copy the working tree into a fresh git repo with one commit, so that Copier's
    ``vcs_ref="HEAD"`` renders exactly what is on disk now, committed or not."""
    destination.mkdir(parents=True, exist_ok=True)
    for relative in _working_tree_files():
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    git(destination, "init", "--quiet", "--initial-branch=main")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--no-gpg-sign", "--message", "template snapshot")
    return destination


def render(src: Path, dst: Path, data: Mapping[str, Any], **kwargs: Any) -> Path:
    """Render the template at ``src`` (a git repo, absolute path) into ``dst``."""
    options: dict[str, Any] = {
        "vcs_ref": "HEAD",
        "unsafe": True,
        "defaults": True,
        "quiet": True,
    }
    options.update(kwargs)
    run_copy(str(src.resolve()), str(dst), data=dict(data), **options)
    return dst


def project_files(root: Path) -> Iterator[Path]:
    """Every file below ``root``, skipping tool directories (.git, .venv, caches)."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if TOOL_DIRS.intersection(relative.parts) or not path.is_file():
            continue
        yield path


def read_text(path: Path) -> str | None:
    """The file's text, or None for binary files."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def tree_contents(root: Path, *, skip: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """Relative path -> bytes of every project file, for comparing two renders."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in project_files(root)
        if path.relative_to(root).as_posix() not in skip
    }


def read_dotenv(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and "=" in stripped:
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


@cache
def python_available(version: str) -> bool:
    """True when uv finds an installed interpreter for ``version`` (no download)."""
    result = subprocess.run(
        [uv_bin(), "python", "find", version],
        env=clean_env(UV_PYTHON_DOWNLOADS="never"),
        capture_output=True,
        check=False,
        timeout=60,
    )
    return result.returncode == 0
