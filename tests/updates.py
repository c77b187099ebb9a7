"""Helpers of the update tests: template releases in a temporary repository, services copied
and updated through Copier's command line, and the checks that an update merged cleanly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support import clean_env, copier_copy_cli, git, project_files, read_text, run, tool

CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)
COPIER_TIMEOUT = 300


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "--message", message)


def release(template: Path, tag: str, message: str) -> None:
    """Commit the template's working tree and tag it: what a maintainer does for a release."""
    commit_all(template, message)
    git(template, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``path``; fail clearly when the file changed."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path.name}: {old!r} not found once; pick another anchor"
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def copier_copy(
    template: Path,
    destination: Path,
    data: Mapping[str, Any],
    *,
    ref: str,
    env: Mapping[str, str] | None = None,
) -> str:
    """`copier copy --trust` of the release ``ref``, as a user runs it; returns its output."""
    result = copier_copy_cli(template, destination, data, ref=ref, env=env)
    return result.stdout + result.stderr


def copier_update(service: Path, *options: str) -> str:
    """`uvx copier update --trust --defaults` inside the service; returns its output."""
    result = run(
        [tool("copier"), "update", "--trust", "--defaults", *options],
        service,
        env=clean_env(),
        timeout=COPIER_TIMEOUT,
    )
    return result.stdout + result.stderr


def merge_problems(service: Path) -> list[str]:
    """What `copier update` leaves behind when a hunk did not merge (it exits 0 regardless):
    unmerged index entries, `.rej` files and conflict markers."""
    problems = [f"unmerged: {line}" for line in git(service, "ls-files", "--unmerged").splitlines()]
    for path in project_files(service):
        relative = path.relative_to(service).as_posix()
        if relative.endswith(".rej"):
            problems.append(f"rejected hunks: {relative}")
        elif (text := read_text(path)) is not None and CONFLICT_MARKER.search(text):
            problems.append(f"conflict markers: {relative}")
    return problems
