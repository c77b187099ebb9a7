"""Render the default service from this checkout and serve it in development mode.

    python3 scripts/quickstart.py [DEST]      (DEST defaults to ../my-service)

Every command it runs is printed first, spelled the way you would type it with uv.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
from pathlib import Path

import _uv

COPIER_YML = _uv.ROOT / "copier.yml"


def python_question() -> tuple[str, list[str]]:
    """The default and the choices of `python_version` in copier.yml.

    A small reader for that one block, so that this script needs only the standard library.
    """
    lines = COPIER_YML.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("python_version:") + 1 :]
    default, choices, section = None, [], ""
    for line in block:
        if line.strip() and not line.startswith(" "):
            break
        indent = len(line) - len(line.lstrip())
        key, _, value = line.strip().partition(":")
        if indent == 2:
            section = key
            if key == "default":
                default = _unquote(value)
        elif section == "choices" and line.strip():
            # `label: value`, or a list item `- value`
            item = line.strip()[2:] if line.strip().startswith("- ") else (value or key)
            choices.append(_unquote(item))
    if default is None or not choices:
        raise _uv.BootstrapError(f"{COPIER_YML} has no default or choices for python_version")
    return default, choices


def _unquote(text: str) -> str:
    return text.strip().strip("\"'")


def python_found(uv: str, version: str) -> bool:
    """True when uv finds an installed Python ``version`` (it downloads nothing here)."""
    command = [uv, "python", "find", version]
    found = subprocess.run(command, capture_output=True, check=False)
    return found.returncode == 0


def choose_python(uv: str) -> str:
    """The template's default Python when uv finds or fetches it, else the newest choice here."""
    default, choices = python_question()
    if python_found(uv, default):
        return default
    _uv.show(f"uv python install {default}")
    # One attempt without retries: where downloads are blocked, uv's retries take ~9 s to fail.
    fetch = subprocess.run(
        [uv, "python", "install", default],
        capture_output=True,
        check=False,
        env={**os.environ, "UV_HTTP_RETRIES": "0"},
    )
    if fetch.returncode == 0:
        return default
    newest_first = sorted(choices, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    for version in newest_first:
        if python_found(uv, version):
            print(
                f"Python {default} (the template's default) is not installed and uv could not "
                f"download it, so the service uses Python {version}, the newest supported "
                "version on this machine.",
                flush=True,
            )
            return version
    raise _uv.BootstrapError(
        f"no Python {', '.join(choices)} was found and uv could not download Python {default}: "
        f"install one of them (with network access, `uv python install {default}`), then run "
        "this again."
    )


def project_slug(service: Path) -> str:
    """The slug recorded in the service's .copier-answers.yml: the name of its command."""
    answers = (service / ".copier-answers.yml").read_text(encoding="utf-8")
    match = re.search(r"^project_slug: *['\"]?([a-z][a-z0-9-]*)", answers, re.MULTILINE)
    if match is None:
        raise _uv.BootstrapError(f"{service}/.copier-answers.yml records no project_slug")
    return match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "dest",
        nargs="?",
        type=Path,
        default=_uv.ROOT.parent / "my-service",
        help="folder to create (default: my-service beside this checkout)",
    )
    dest = parser.parse_args().dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise _uv.BootstrapError(
            f"{dest} already exists and is not empty: give another folder, "
            "e.g. `python3 scripts/quickstart.py ../another-service`."
        )
    uv = _uv.find_or_install()
    default, _ = python_question()
    version = choose_python(uv)
    answers = [] if version == default else ["-d", f"python_version={version}"]
    copy = ["copier", "copy", "--trust", "--defaults", "--quiet", "--vcs-ref=HEAD", *answers]
    places = [str(_uv.ROOT), _uv.shown_path(dest)]
    _uv.show(shlex.join(["uvx", *copy, *places]))
    rendered = subprocess.run([*_uv.uvx(uv), *copy, str(_uv.ROOT), str(dest)], check=False)
    if rendered.returncode:
        raise _uv.BootstrapError("copier could not render the service (its message is above).")

    slug = project_slug(dest)
    _uv.show(f"cd {shlex.quote(_uv.shown_path(dest))}")
    _uv.show(f"uv run {slug} serve")
    if Path(uv).parent == _uv.PRIVATE_UV / _uv.BIN:
        print(f"(uv and uvx are in {_uv.PRIVATE_UV / _uv.BIN}: add that folder to your PATH.)")
    _uv.replace_process([uv, "run", slug, "serve"], dest)


if __name__ == "__main__":
    _uv.main_guard(main)
