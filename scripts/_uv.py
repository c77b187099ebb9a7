"""Find uv, or install it privately under .tools/ in this checkout (standard library only).

The scripts next to this file run on any Python 3.8+ that can make a virtual environment,
including a Debian or Ubuntu system Python that refuses `pip install` (PEP 668). Nothing
outside this checkout changes: no system package, nothing in your home directory.

Where uv comes from, first found wins:
1. `uv` on PATH;
2. the uv that `python3 -m pip install uv` put in this interpreter (`python3 -m uv`);
3. a previous private install in .tools/uv;
4. a new private install: `python3 -m venv .tools/uv`, then that environment's pip installs
   uv. Without ensurepip (Debian without python3-venv) the environment is made without pip
   and a pip wheel, checked against PyPI's sha256, installs uv into it once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_UV = ROOT / ".tools" / "uv"
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""
# Oldest uv with everything the scripts and the template's pyproject use (dependency groups,
# `uv python find/install`, `uv tool run`, UV_HTTP_RETRIES).
MIN_UV = (0, 5)
PIP_JSON = "https://pypi.org/pypi/pip/json"
INSTALL_HELP = (
    "Install uv (https://docs.astral.sh/uv/getting-started/installation/), or on Debian and "
    "Ubuntu `sudo apt install python3-venv` so that Python can make the private install, "
    "then run this again."
)


class BootstrapError(Exception):
    """uv could not be found or installed; the message says what to do."""


def show(command: str) -> None:
    """Print a command the way a user would type it, before running it."""
    print(f"$ {command}", flush=True)


def shown_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when that is short."""
    relative = os.path.relpath(path, Path.cwd())
    return relative if not relative.startswith(os.path.join(os.pardir, os.pardir)) else str(path)


def uv_version(uv: str) -> tuple[int, ...] | None:
    """The (major, minor) of a uv executable, or None when it does not run."""
    try:
        out = subprocess.run(
            [uv, "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    words = out.split()
    try:
        return tuple(int(part) for part in words[1].split(".")[:2])
    except (IndexError, ValueError):
        return None


def candidates() -> list[tuple[str, str]]:
    """(executable, where it came from) for every uv already on this machine, in order."""
    found = []
    on_path = shutil.which("uv")
    if on_path:
        found.append((on_path, "uv on PATH"))
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        pass
    else:
        with contextlib.suppress(FileNotFoundError):  # the module without its binary
            found.append((find_uv_bin(), "`python3 -m uv`"))
    private = PRIVATE_UV / BIN / f"uv{EXE}"
    if private.exists():
        found.append((str(private), f"the private uv in {shown_path(PRIVATE_UV)}"))
    return found


def find_or_install() -> str:
    """The path of a working uv, installing one into .tools/uv when there is none."""
    for uv, origin in candidates():
        version = uv_version(uv)
        if version is not None and version >= MIN_UV:
            return uv
        if version is not None:
            wanted = ".".join(map(str, MIN_UV))
            print(f"Skipping {origin} ({uv}): older than uv {wanted}.", file=sys.stderr)
    return install_private(PRIVATE_UV)


def install_private(venv: Path, *, ensurepip: bool = True) -> str:
    """Install uv into a virtual environment of its own at ``venv``; return its uv.

    ``ensurepip=False`` takes the route of a Python without ensurepip even where it exists.
    """
    print(f"uv was not found: installing it privately into {shown_path(venv)}.", flush=True)
    python = str(venv / BIN / f"python{EXE}")
    try:
        if ensurepip and _make_venv(venv, with_pip=True):
            _run([python, "-m", "pip", "install", "--quiet", "uv"])
        else:
            print("Making the environment without pip (this Python has no ensurepip) and")
            print("fetching pip from PyPI for this one install.", flush=True)
            if not _make_venv(venv, with_pip=False):
                raise BootstrapError(f"`python3 -m venv --without-pip {venv}` failed")
            with tempfile.TemporaryDirectory(dir=venv) as folder:
                wheel = _download_pip(Path(folder))
                _run([python, str(wheel / "pip"), "install", "--quiet", "uv"])
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as error:
        raise BootstrapError(f"could not install uv into {venv}: {error}\n{INSTALL_HELP}") from None
    uv = str(venv / BIN / f"uv{EXE}")
    if uv_version(uv) is None:
        raise BootstrapError(f"the uv installed into {venv} does not run.\n{INSTALL_HELP}")
    print(f"Installed uv at {shown_path(Path(uv))}.", flush=True)
    return uv


def _make_venv(venv: Path, *, with_pip: bool) -> bool:
    """Create (or recreate) the environment; False when this Python cannot."""
    options = ["--clear"] if with_pip else ["--clear", "--without-pip"]
    show(shlex.join(["python3", "-m", "venv", *options, shown_path(venv)]))
    command = [sys.executable, "-m", "venv", *options, str(venv)]
    result = subprocess.run(command, check=False)
    return result.returncode == 0


def _download_pip(folder: Path) -> Path:
    """Download the newest pip wheel into ``folder`` and check its sha256 against PyPI's."""
    with urllib.request.urlopen(PIP_JSON, timeout=60) as answer:
        release = json.load(answer)
    wheels = [item for item in release["urls"] if item["packagetype"] == "bdist_wheel"]
    if not wheels:
        raise BootstrapError(f"PyPI lists no pip wheel at {PIP_JSON}.\n{INSTALL_HELP}")
    wheel = wheels[0]
    url = urllib.parse.urljoin(PIP_JSON, wheel["url"])  # a mirror may answer relative URLs
    if urllib.parse.urlsplit(url).scheme != "https":
        raise BootstrapError(f"PyPI gave a pip wheel address that is not https: {url}")
    target = folder / wheel["filename"]
    print(f"Downloading {url} (sha256 checked against PyPI's)", flush=True)
    with urllib.request.urlopen(url, timeout=120) as answer:
        data = answer.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        raise BootstrapError(
            f"{wheel['filename']} does not match the sha256 PyPI lists for it; not using it."
        )
    target.write_bytes(data)
    return target


def _run(command: list[str]) -> None:
    show(shlex.join(shown_path(Path(part)) if os.sep in part else part for part in command))
    subprocess.run(command, check=True)


def uvx(uv: str) -> list[str]:
    """The command that runs a tool with uv: its `uvx`, or `uv tool run`, which is the same."""
    sibling = Path(uv).with_name(f"uvx{EXE}")
    return [str(sibling)] if sibling.exists() else [uv, "tool", "run"]


def replace_process(command: list[str], cwd: Path) -> None:
    """Run ``command`` in ``cwd`` in place of this process (signals reach it directly)."""
    os.chdir(cwd)
    if os.name == "posix":
        os.execv(command[0], command)
    sys.exit(subprocess.call(command))


def main_guard(function: Callable[[], None]) -> None:
    """Run a script's main, turning a BootstrapError into its message and exit status 1."""
    try:
        function()
    except BootstrapError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
