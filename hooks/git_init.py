"""Make a newly copied service a git repository with one initial commit.

``copier update`` works only in a git repository whose work tree is clean, so the copy
leaves one behind: ``git init``, every file staged (``.env`` is git-ignored, so it never
is), and one commit whose message names the template version. Nothing happens when

* the destination is already inside a git work tree (a monorepo, or a second run of this
  script): git is left alone and the script says so;
* git is not installed: the script says how to do it by hand.

Without a git identity (``user.name`` and ``user.email``) the files are staged and the one
command that commits them is printed: the script never makes up an identity. It respects
the user's git configuration otherwise (``init.defaultBranch``, commit signing).

Standard library only: Copier runs it with its own interpreter.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

DEFAULT_BRANCH = "main"


def commit_message(template_version: str) -> str:
    version = template_version or "an unversioned copy"
    return f"Generate the service from the template ({version})"


def _git(destination: Path, *args: str) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("git") or "git"
    # Fixed git subcommands; the only free text is the commit message, passed as one argument.
    return subprocess.run(  # noqa: S603
        [executable, *args], cwd=destination, capture_output=True, text=True, check=False
    )


def _inside_work_tree(destination: Path) -> str | None:
    """The top level of the work tree that contains ``destination``, if there is one."""
    result = _git(destination, "rev-parse", "--is-inside-work-tree", "--show-toplevel")
    lines = result.stdout.split()
    if result.returncode == 0 and lines[:1] == ["true"]:
        return lines[1] if len(lines) > 1 else str(destination)
    return None


def _has_identity(destination: Path) -> bool:
    """True when git has a configured author and committer (never auto-detected ones)."""
    return all(
        _git(destination, "-c", "user.useConfigOnly=true", "var", ident).returncode == 0
        for ident in ("GIT_AUTHOR_IDENT", "GIT_COMMITTER_IDENT")
    )


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = (result.stderr or result.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"


def git_init(destination: Path, template_version: str) -> str:
    """Initialise and commit ``destination``; return what was done, for the user."""
    if shutil.which("git") is None:
        return (
            "git not found: `copier update` needs the service in a git repository. "
            "Install git, then run `git init && git add --all && git commit` here."
        )
    top_level = _inside_work_tree(destination)
    if top_level is not None:
        return (
            f"Already inside the git work tree at {top_level}: left git alone. "
            "Commit the new files there before running `copier update`."
        )
    init = ["init", "--quiet"]
    if _git(destination, "config", "--get", "init.defaultBranch").returncode != 0:
        init.append(f"--initial-branch={DEFAULT_BRANCH}")
    for step in (init, ["add", "--all"]):
        result = _git(destination, *step)
        if result.returncode != 0:
            return f"`git {' '.join(step)}` failed: {_last_line(result)}"
    message = commit_message(template_version)
    commit_command = f'git commit -m "{message}"'
    if not _has_identity(destination):
        return (
            "Created a git repository and staged every file, but git has no identity "
            "(user.name and user.email) to commit with. Set one, then run: "
            f"{commit_command}"
        )
    result = _git(destination, "-c", "user.useConfigOnly=true", "commit", "--quiet", "-m", message)
    if result.returncode != 0:
        return (
            f"Created a git repository and staged every file; the commit failed "
            f"({_last_line(result)}). Fix that, then run: {commit_command}"
        )
    return f"Created a git repository with one commit: {message}."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--template-version",
        default="",
        help="the template's `_commit` (a tag such as v1.2.0, or a git describe string)",
    )
    parser.add_argument(
        "destination", nargs="?", type=Path, default=Path(), help="project directory"
    )
    args = parser.parse_args(argv)
    print(git_init(args.destination.resolve(), args.template_version), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
