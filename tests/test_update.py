"""`copier update` brings a template security fix into a service and keeps the owner's edits."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from copier import run_update

from tests.support import git, project_files, read_text, render, run, snapshot_template, tool
from tests.variants import BASE_DATA

HEADERS = Path("template/src/{{ package_name }}/security/headers.py")
ANCHOR = '    ("cache-control", "no-store"),\n'
FIX = '    ("x-permitted-cross-domain-policies", "none"),\n'
CONFLICT_MARKER = re.compile(r"^(<<<<<<<|>>>>>>>)( |$)", re.MULTILINE)

OWNER_ROUTE = '''"""Reports: a route the service owner added after generating the service."""

from fastapi import APIRouter

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary")
async def summary() -> dict[str, int]:
    return {"reports": 0}
'''
OWNER_README_NOTE = "\n## Team notes\n\nOn call: the payments team.\n"
# An owner's edit inside a template-owned module, away from the lines the fix touches.
OWNER_HEADERS_NOTE = "\n\n# Reviewed by the payments team: no extra headers needed.\n"


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "--message", message)


def security_fix(template: Path) -> None:
    """A template-side fix in a template-owned module: one more security header."""
    path = template / HEADERS
    text = path.read_text(encoding="utf-8")
    assert ANCHOR in text, f"{HEADERS} changed: pick another line for the update test"
    path.write_text(text.replace(ANCHOR, ANCHOR + FIX), encoding="utf-8")


def test_update_brings_the_fix_and_keeps_owner_edits(tmp_path: Path) -> None:
    template = snapshot_template(tmp_path / "template")
    git(template, "tag", "v0.1.0")

    service = render(template, tmp_path / "service", BASE_DATA, vcs_ref="v0.1.0")
    dotenv_before = (service / ".env").read_bytes()
    git(service, "init", "--quiet", "--initial-branch=main")
    commit_all(service, "Generate the service")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    package = service / "src" / answers["package_name"]
    assert FIX.strip() not in (package / "security" / "headers.py").read_text()

    # The owner grows the service.
    (package / "api" / "reports.py").write_text(OWNER_ROUTE, encoding="utf-8")
    readme = service / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + OWNER_README_NOTE, encoding="utf-8")
    headers = package / "security" / "headers.py"
    headers.write_text(headers.read_text(encoding="utf-8") + OWNER_HEADERS_NOTE, encoding="utf-8")
    commit_all(service, "Add reports and team notes")

    # The template ships a security fix.
    security_fix(template)
    commit_all(template, "Send X-Permitted-Cross-Domain-Policies")
    git(template, "tag", "v0.2.0")

    run_update(str(service), unsafe=True, defaults=True, overwrite=True, quiet=True)

    assert FIX.strip() in headers.read_text()
    assert headers.read_text().endswith(OWNER_HEADERS_NOTE)
    assert (package / "api" / "reports.py").read_text() == OWNER_ROUTE
    assert readme.read_text().endswith(OWNER_README_NOTE)
    updated = yaml.safe_load((service / ".copier-answers.yml").read_text())
    assert updated["_commit"] == "v0.2.0"
    assert (service / ".env").read_bytes() == dotenv_before  # the copy-only task did not run
    assert git(service, "ls-files", "--unmerged") == ""
    assert not list(service.rglob("*.rej"))
    conflicted = [
        str(path.relative_to(service))
        for path in project_files(service)
        if (text := read_text(path)) is not None and CONFLICT_MARKER.search(text)
    ]
    assert not conflicted
    # The updated service is still lint-clean.
    run([tool("ruff"), "check", "--no-cache", "."], service)
    run([tool("ruff"), "format", "--check", "--no-cache", "."], service)
