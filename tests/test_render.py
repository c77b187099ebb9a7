"""Each variant renders into clean, lint-free, deterministic files with no secret in them."""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.support import (
    git,
    project_files,
    read_dotenv,
    read_text,
    render,
    run,
    tool,
    tree_contents,
)
from tests.variants import VARIANTS, Variant

pytestmark = pytest.mark.variant
parametrize_variants = pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)

Render = Callable[[Variant], Path]

JINJA_OPENERS = ("{{", "{%", "{#")
# Kept verbatim on purpose: GitHub Actions expressions (only in .github/) and Go templates
# such as `docker inspect --format '{{.Config.User}}'` (Jinja never starts with a dot).
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
GO_TEMPLATE_FIELD = re.compile(r"\{\{\s*\.[A-Za-z][\w.]*\s*\}\}")
PYTHON_LIKE = frozenset({".py", ".pyi", ".mako"})
# Files that are legitimately empty.
MAY_BE_EMPTY = frozenset({"__init__.py", "py.typed", ".gitkeep"})
# Formats whose own formatter indents with tabs (`caddy fmt`).
TABS_ARE_CANONICAL = frozenset({"Makefile", "Caddyfile"})


def relative_files(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in project_files(root)]


@parametrize_variants
def test_no_template_syntax_is_left(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    problems = []
    for path in project_files(root):
        relative = path.relative_to(root).as_posix()
        if any(marker in relative for marker in ("{{", "{%", "}}", "%}")):
            problems.append(f"{relative}: template syntax in the file name")
        if relative.endswith(".jinja"):
            problems.append(f"{relative}: .jinja suffix left")
        text = read_text(path)
        if text is None:
            continue
        if relative.startswith(".github/"):
            text = GITHUB_EXPRESSION.sub("", text)
        text = GO_TEMPLATE_FIELD.sub("", text)
        for number, line in enumerate(text.splitlines(), 1):
            if any(marker in line for marker in JINJA_OPENERS):
                problems.append(f"{relative}:{number}: {line.strip()}")
    assert not problems, "\n".join(problems)


@parametrize_variants
def test_no_template_noise(rendered: Render, variant: Variant) -> None:
    """Whitespace and structure that careless Jinja leaves behind."""
    root = rendered(variant)
    problems = []
    for path in project_files(root):
        relative = path.relative_to(root).as_posix()
        if relative == ".env":
            continue
        text = read_text(path)
        if text is None:
            continue
        if not text:
            if path.name not in MAY_BE_EMPTY:
                problems.append(f"{relative}: empty file")
            continue
        if not text.endswith("\n") or text.endswith("\n\n"):
            problems.append(f"{relative}: must end with exactly one newline")
        if text.startswith("\n"):
            problems.append(f"{relative}: starts with a blank line")
        if "\n\n\n\n" in text or (path.suffix not in PYTHON_LIKE and "\n\n\n" in text):
            problems.append(f"{relative}: runs of blank lines")
        for number, line in enumerate(text.splitlines(), 1):
            if line != line.rstrip():
                problems.append(f"{relative}:{number}: trailing whitespace")
            if "\t" in line and path.name not in TABS_ARE_CANONICAL:
                problems.append(f"{relative}:{number}: tab character")
            if re.search(r"\bNone\b", line) and path.suffix in {".toml", ".yml", ".yaml"}:
                problems.append(f"{relative}:{number}: 'None' rendered: {line.strip()}")
    assert not problems, "\n".join(problems)


@parametrize_variants
def test_structured_files_parse(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    parsed = 0
    for path in project_files(root):
        if path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed += 1
        elif path.suffix == ".toml":
            tomllib.loads(path.read_text(encoding="utf-8"))
            parsed += 1
    assert parsed >= 2  # at least pyproject.toml and .copier-answers.yml


@parametrize_variants
def test_ruff_check_and_format_pass_as_rendered(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    ruff = tool("ruff")
    run([ruff, "check", "--no-cache", "."], root)
    run([ruff, "format", "--check", "--no-cache", "."], root)


@parametrize_variants
def test_answers_file_records_the_answers(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text(encoding="utf-8"))
    for name, value in variant.full_answers.items():
        assert answers[name] == value, name
    assert answers["_src_path"].startswith("/")  # absolute: `copier update` needs it
    assert "_commit" in answers
    package = answers["package_name"]
    assert (root / "src" / package / "__init__.py").is_file()
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == answers["project_slug"]
    assert answers["project_slug"] in pyproject["project"]["scripts"]


@parametrize_variants
def test_whole_file_options(rendered: Render, variant: Variant) -> None:
    """Files that exist only for some answers are there exactly when chosen."""
    root = rendered(variant)
    answers = variant.full_answers
    files = relative_files(root)
    package = f"src/{yaml.safe_load((root / '.copier-answers.yml').read_text())['package_name']}"
    metrics_files = [f"{package}/observability/metrics.py", f"{package}/api/metrics.py"]
    for path in [*metrics_files, "tests/test_metrics.py"]:
        assert (path in files) == answers["metrics"], path
    assert ("prometheus-client" in (root / "pyproject.toml").read_text()) == answers["metrics"]
    if not answers["metrics"]:  # nor any code, setting or document that would need it
        mentions = [
            path.relative_to(root).as_posix()
            for path in project_files(root)
            if "prometheus" in (read_text(path) or "").lower()
        ]
        assert mentions == []
    assert ("Dockerfile" in files) == answers["docker"]
    assert any(f.startswith(".github/workflows/") for f in files) == (answers["ci"] == "github")
    assert (".github/dependabot.yml" in files) == (answers["dependency_bot"] == "dependabot")


@parametrize_variants
def test_rendering_is_deterministic(
    rendered: Render, template_src: Path, tmp_path: Path, variant: Variant
) -> None:
    first = rendered(variant)
    second = render(template_src, tmp_path / "again", variant.data)
    skip = frozenset({".env"})
    assert tree_contents(first, skip=skip) == tree_contents(second, skip=skip)
    assert read_dotenv(first / ".env") != read_dotenv(second / ".env") or (
        not variant.dotenv_has_a_secret
    )


@parametrize_variants
def test_dotenv_is_private_ignored_and_its_secret_is_nowhere_else(
    rendered: Render, tmp_path: Path, variant: Variant
) -> None:
    root = rendered(variant)
    dotenv = root / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    values = read_dotenv(dotenv)
    assert values["APP_ENV"] == "development"
    secrets = [value for key, value in values.items() if "SECRET" in key or "KEY" in key]
    if variant.dotenv_has_a_secret:
        assert len(values["APP_JWT_SECRET"]) >= 43  # >= 32 random bytes, base64url
        assert secrets
    else:  # the asymmetric algorithms sign with an ephemeral key pair in development
        assert "APP_JWT_SECRET" not in values
    for path in project_files(root):
        if path.name == ".env":
            continue
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"secret from .env found in {path}"
    # Git itself must ignore .env in the rendered project (its own .gitignore).
    scratch = tmp_path / "gitcheck"
    scratch.mkdir()
    (scratch / ".gitignore").write_bytes((root / ".gitignore").read_bytes())
    (scratch / ".env").write_text("x")
    git(scratch, "init", "--quiet")
    assert git(scratch, "check-ignore", ".env").strip() == ".env"


@parametrize_variants
def test_example_env_holds_placeholders_only(rendered: Render, variant: Variant) -> None:
    root = rendered(variant)
    example = read_dotenv(root / ".env.example")
    assert "APP_ENV" in example
    placeholder = re.compile(r"change|replace|placeholder|example|<|>|\.\.\.", re.IGNORECASE)
    for key, value in example.items():
        if re.search(r"SECRET|TOKEN|PASSWORD|_KEY\b", key):
            assert not value or placeholder.search(value), f"{key} looks like a real value"
