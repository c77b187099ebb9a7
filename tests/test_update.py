"""`copier update` years after the copy: a template security fix reaches a service that its
owner has grown, every owner edit survives, and the updated service's own suite passes.

One scenario per variant (the default and one of each other `auth` choice), through the
command line as a user runs it: release v1.0.0 of a temporary template repository, a service
copied from it (a git repository from the first minute), edits and dependencies of its owner,
release v1.0.1 with a security fix, `copier update --trust --defaults`. Both sides edit
pyproject.toml, .gitignore and .env.example, which must merge without a conflict (the rule in
docs/updating.md). Renamed and added questions have their own test in test_update_answers.py.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.support import git, run, snapshot_template, tool, uv_bin, uv_env
from tests.updates import (
    append,
    commit_all,
    copier_copy,
    copier_update,
    edit,
    merge_problems,
    release,
)
from tests.variants import VARIANTS, Variant, by_id

SYNC_TIMEOUT = 900
SUITE_TIMEOUT = 900
PACKAGE = Path("template/src/{{ package_name }}")


def first_variant(auth: str) -> Variant:
    """The first variant of the list with this `auth` choice and no Redis or PostgreSQL."""
    return next(v for v in VARIANTS if v.full_answers["auth"] == auth and not v.needs_services)


UPDATE_VARIANTS = (
    by_id("default"),
    by_id("jwt-ed25519"),
    first_variant("oidc"),
    first_variant("api_key"),
)

# --- The owner's side ---------------------------------------------------------------------

OWNER_ROUTE = '''"""Reports: a route the service owner added after generating the service."""

from fastapi import APIRouter

from .deps import CurrentPrincipal

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/summary")
async def summary(principal: CurrentPrincipal) -> dict[str, str]:
    return {"owner": principal.subject}
'''
OWNER_README = "\n## Team notes\n\nOn call: the payments team.\n"
# An edit inside a template-owned module, far from the lines the fix changes.
OWNER_HEADERS_NOTE = "\n\n# Reviewed by the payments team: no extra headers needed.\n"
OWNER_GITIGNORE = "/reports/\n"
OWNER_ENV_EXAMPLE = "REPORTS_BUCKET=s3://reports.example\n"
OWNER_DEV_DEPENDENCY = "pytest-timeout"
OWNER_DROPPED_DEPENDENCY = "humanize"  # added, committed, then removed with `uv remove`


def uv(service: Path, variant: Variant, *args: str) -> None:
    run([uv_bin(), *args], service, env=uv_env(variant.python_version), timeout=SYNC_TIMEOUT)


def dependency_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0] for requirement in requirements}


def pyproject(service: Path) -> dict:
    return tomllib.loads((service / "pyproject.toml").read_text(encoding="utf-8"))


def owner_dependency(service: Path) -> str:
    """`httpx`, the package of the issue that found the conflict, unless the template already
    depends on it (auth=oidc): then another one."""
    template_owned = dependency_names(pyproject(service)["project"]["dependencies"])
    return next(name for name in ("httpx", "tenacity") if name not in template_owned)


def grow_the_service(service: Path, package: Path, variant: Variant) -> str:
    """The owner's work over the years, in three commits; returns the added dependency."""
    (package / "api" / "reports.py").write_text(OWNER_ROUTE, encoding="utf-8")
    router = package / "api" / "router.py"
    edit(router, "from . import items, me\n", "from . import items, me, reports\n")
    append(router, "router.include_router(reports.router)\n")
    # A changed setting default, documented where the template documents it.
    edit(package / "settings.py", '= "60/minute"', '= "120/minute"')
    edit(
        service / ".env.example",
        "# APP_RATE_LIMIT_DEFAULT=60/minute",
        "# APP_RATE_LIMIT_DEFAULT=120/minute",
    )
    append(service / "README.md", OWNER_README)
    append(package / "security" / "headers.py", OWNER_HEADERS_NOTE)
    (service / "compose.yaml").unlink()  # an optional file the owner does not want
    append(service / ".gitignore", OWNER_GITIGNORE)
    append(service / ".env.example", OWNER_ENV_EXAMPLE)
    commit_all(service, "Add reports and team notes")

    added = owner_dependency(service)
    uv(service, variant, "add", "--no-sync", added, OWNER_DROPPED_DEPENDENCY)
    uv(service, variant, "add", "--no-sync", "--dev", OWNER_DEV_DEPENDENCY)
    commit_all(service, f"Depend on {added}")
    uv(service, variant, "remove", "--no-sync", OWNER_DROPPED_DEPENDENCY)
    commit_all(service, f"Drop {OWNER_DROPPED_DEPENDENCY}")
    return added


# --- The template's side ------------------------------------------------------------------

PERMISSIONS_BEFORE = '"microphone=(), payment=(), usb=()"'
PERMISSIONS_AFTER = '"microphone=(), payment=(), usb=(), browsing-topics=()"'
NEW_CHECK = (
    "        if self.max_body_bytes > 104_857_600:\n"
    "            problems.append("
    '"APP_MAX_BODY_BYTES is over 100 MiB: a request could exhaust memory")\n'
)
NEW_CHECK_CASE = '    "huge_bodies": ({"max_body_bytes": 2**30}, "APP_MAX_BODY_BYTES"),\n'
NEW_DEPENDENCY = '"idna>=3.7"'
NEW_RUFF_IGNORE = "PLR0911"
NEW_GITIGNORE = "Thumbs.db\n"
NEW_ENV_EXAMPLE_LINE = "# Rotate every secret above at least once a year.\n"


def insert_before(path: Path, section_start: str, anchor: str, text: str) -> None:
    """Insert ``text`` before the first ``anchor`` after ``section_start`` in ``path``."""
    content = path.read_text(encoding="utf-8")
    start = content.index(section_start)
    at = content.index(anchor, start)
    path.write_text(content[:at] + text + content[at:], encoding="utf-8")


def security_fix(template: Path, fastapi_floor: str) -> None:
    """Release v1.0.1: a changed header value, a new deploy check with its test, a raised
    floor, a new dependency, a lint setting, and additions to .gitignore and .env.example."""
    package = template / PACKAGE
    edit(package / "security" / "headers.py", PERMISSIONS_BEFORE, PERMISSIONS_AFTER)
    edit(
        template / "template" / "tests" / "test_headers.py",
        '    assert "geolocation=()" in response.headers["permissions-policy"]\n',
        '    assert "geolocation=()" in response.headers["permissions-policy"]\n'
        '    assert "browsing-topics=()" in response.headers["permissions-policy"]\n',
    )
    insert_before(
        package / "settings.py.jinja",
        "    def deploy_problems(self)",
        "        return problems\n",
        NEW_CHECK,
    )
    insert_before(
        template / "template" / "tests" / "test_settings.py", "REFUSED: dict", "}\n", NEW_CHECK_CASE
    )
    toml = template / "template" / "pyproject.toml.jinja"
    text = toml.read_text(encoding="utf-8")
    text, raised = re.subn(r'"fastapi>=[^"]+"', f'"fastapi>={fastapi_floor}"', text)
    assert raised == 1, "pyproject.toml.jinja: no fastapi floor to raise"
    toml.write_text(text, encoding="utf-8")
    # A new dependency joins the end of the template's block, right above the owner's lines.
    edit(toml, "    # Your dependencies:", f"    {NEW_DEPENDENCY},\n    # Your dependencies:")
    edit(
        toml,
        'ignore = ["PLR2004", "PLR0913"',
        f'ignore = ["PLR2004", "PLR0913", "{NEW_RUFF_IGNORE}"',
    )
    # Both files end with the owner's section; the template adds at the end of its own part.
    edit(template / "template" / ".gitignore.jinja", ".DS_Store\n", ".DS_Store\n" + NEW_GITIGNORE)
    edit(
        template / "template" / ".env.example.jinja",
        "\n# --- Yours ---\n",
        NEW_ENV_EXAMPLE_LINE + "\n# --- Yours ---\n",
    )


def locked_version(service: Path, name: str) -> str:
    lock = tomllib.loads((service / "uv.lock").read_text(encoding="utf-8"))
    return next(package["version"] for package in lock["package"] if package["name"] == name)


@pytest.mark.slow
@pytest.mark.parametrize("variant", UPDATE_VARIANTS, ids=lambda v: v.id)
def test_update_brings_the_fix_and_keeps_every_owner_edit(tmp_path: Path, variant: Variant) -> None:
    template = snapshot_template(tmp_path / "template")
    git(template, "tag", "v1.0.0")
    service = tmp_path / "service"
    copier_copy(template, service, variant.data, ref="v1.0.0")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text())
    package = service / "src" / answers["package_name"]
    dotenv = (service / ".env").read_bytes()
    old_fastapi_floor = next(
        r for r in pyproject(service)["project"]["dependencies"] if r.startswith("fastapi")
    )

    added = grow_the_service(service, package, variant)

    # The floor goes up to the newest fastapi (what the owner's lock holds): installable.
    fastapi_floor = locked_version(service, "fastapi")
    assert old_fastapi_floor != f"fastapi>={fastapi_floor}", "nothing to raise: pick a newer floor"
    security_fix(template, fastapi_floor)
    release(template, "v1.0.1", "Security fix")

    copier_update(service)

    assert merge_problems(service) == []
    assert yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"] == "v1.0.1"
    assert 'TEMPLATE_VERSION = "v1.0.1"' in (package / "__init__.py").read_text()
    assert (service / ".env").read_bytes() == dotenv  # the copy-only tasks did not run
    # The fix arrived.
    assert PERMISSIONS_AFTER in (package / "security" / "headers.py").read_text()
    assert NEW_CHECK in (package / "settings.py").read_text()
    project = pyproject(service)
    dependencies = project["project"]["dependencies"]
    assert f"fastapi>={fastapi_floor}" in dependencies
    assert NEW_DEPENDENCY.strip('"') in dependencies
    assert NEW_RUFF_IGNORE in project["tool"]["ruff"]["lint"]["ignore"]
    gitignore = (service / ".gitignore").read_text()
    env_example = (service / ".env.example").read_text()
    assert NEW_GITIGNORE in gitignore
    assert NEW_ENV_EXAMPLE_LINE in env_example
    # Every owner edit survived, and the deleted file stayed deleted.
    assert (package / "api" / "reports.py").read_text() == OWNER_ROUTE
    assert "router.include_router(reports.router)" in (package / "api" / "router.py").read_text()
    assert (
        'rate_limit_default: RateLimitText = "120/minute"' in (package / "settings.py").read_text()
    )
    assert (service / "README.md").read_text().endswith(OWNER_README)
    assert (package / "security" / "headers.py").read_text().endswith(OWNER_HEADERS_NOTE)
    assert not (service / "compose.yaml").exists()
    assert added in dependency_names(dependencies)
    assert OWNER_DROPPED_DEPENDENCY not in dependency_names(dependencies)
    assert OWNER_DEV_DEPENDENCY in dependency_names(project["dependency-groups"]["dev"])
    assert gitignore.endswith(OWNER_GITIGNORE)
    assert env_example.endswith(OWNER_ENV_EXAMPLE)

    # The updated service installs, passes its own suite and lints clean.
    uv(service, variant, "lock")
    uv(service, variant, "sync")
    result = run(
        [uv_bin(), "run", "--no-sync", "pytest", "-p", "no:cacheprovider"],
        service,
        env=uv_env(variant.python_version),
        timeout=SUITE_TIMEOUT,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    run([tool("ruff"), "check", "--no-cache", "."], service)
    run([tool("ruff"), "format", "--check", "--no-cache", "."], service)
