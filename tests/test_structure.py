"""The template's structure: real Python where it lives, one seam per option, layers that
point one way, and ownership that `copier update` users can rely on."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import ROOT, project_files, run, tool
from tests.variants import VARIANTS, Variant, by_id

TEMPLATE = ROOT / "template"
PACKAGE_SRC = TEMPLATE / "src" / "{{ package_name }}"
JINJA = re.compile(r"\{\{|\{%|\{#")
PACKAGE_NAME = re.compile(r"\{\{\s*package_name\s*\}\}")
MARKER = "Template-owned: `copier update` maintains this file"
# Python files whose only Jinja is the package name, and why they cannot import relatively.
NAME_ONLY = {
    "src/{{ package_name }}/db/migrations/env.py.jinja": "Alembic loads it by path, outside the "
    "package",
    "tests/package.py.jinja": "the one test module that names the package under test",
}
# Template-owned modules may import owner-owned ones only here (module -> owner modules).
OWNER_ENTRY_POINTS = {"app": {"api.router"}, "db.migrations.env": {"db.models"}}
# Modules that name the chosen implementations (the option seams) or assemble them.
ASSEMBLY = {"app", "cli", "wiring", "backends", "db.migrations.env", "__main__"}

Render = Callable[[Variant], Path]
_parametrize = pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)


def parametrize_variants(test: Callable[..., None]) -> Callable[..., None]:
    """Run `test` for every variant; `-m variant --variant ID` selects them like the others."""
    return pytest.mark.variant(_parametrize(test))


def template_files() -> list[Path]:
    return [path for path in TEMPLATE.rglob("*") if path.is_file()]


def is_python(path: Path) -> bool:
    """Python source in the template, by the name it renders to."""
    name = path.name.removesuffix(".jinja")
    name = re.sub(r"\{%.*?%\}", "", name)
    return name.endswith(".py")


def plain_python() -> list[Path]:
    return [path for path in template_files() if is_python(path) and path.suffix != ".jinja"]


def test_jinja_files_contain_jinja() -> None:
    idle = [
        str(path.relative_to(TEMPLATE))
        for path in template_files()
        if path.suffix == ".jinja" and not JINJA.search(path.read_text(encoding="utf-8"))
    ]
    assert not idle, f"drop the .jinja suffix of these: {idle}"


def test_python_carries_jinja_only_for_answers_other_than_the_package_name() -> None:
    name_only = {
        path.relative_to(TEMPLATE).as_posix()
        for path in template_files()
        if is_python(path)
        and path.suffix == ".jinja"
        and not JINJA.search(PACKAGE_NAME.sub("", path.read_text(encoding="utf-8")))
    }
    assert name_only == set(NAME_ONLY), "import the package relatively instead"


def test_most_of_the_service_package_is_plain_python() -> None:
    python = [path for path in PACKAGE_SRC.rglob("*") if path.is_file() and is_python(path)]
    plain = [path for path in python if path.suffix != ".jinja"]
    assert len(plain) / len(python) >= 0.8, f"{len(plain)} of {len(python)} files are plain"


def test_template_python_passes_ruff_where_it_lives(rendered: Render) -> None:
    """The plain Python files are linted in template/, with the rendered service's config."""
    config = rendered(by_id("default")) / "pyproject.toml"
    files = [str(path.relative_to(TEMPLATE)) for path in plain_python()]
    assert len(files) > 40
    ruff = tool("ruff")
    # Relative paths in the config (per-file ignores, first-party sources) resolve from here.
    run([ruff, "check", "--no-cache", "--config", config, *files], TEMPLATE)
    run([ruff, "format", "--check", "--no-cache", "--config", config, *files], TEMPLATE)


def jinja_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if JINJA.search(line)]


def test_app_and_cli_take_the_options_through_backends_only() -> None:
    """Options enter `app.py` and `cli.py` through `backends.py`; no option Jinja in them."""
    assert not (PACKAGE_SRC / "cli.py.jinja").exists()
    assert jinja_lines(PACKAGE_SRC / "app.py.jinja") == ['TITLE = "{{ project_name }}"']
    seam_lines = jinja_lines(PACKAGE_SRC / "backends.py.jinja")
    for axis in ("auth", "rate_limit_backend", "log_sink", "database", "tls", "metrics"):
        assert [line for line in seam_lines if axis in line], f"{axis} has no seam line"


# --- The rendered package: imports and ownership -------------------------------------------


def package_root(root: Path) -> Path:
    answers = yaml.safe_load((root / ".copier-answers.yml").read_text(encoding="utf-8"))
    return root / "src" / answers["package_name"]


def module_name(package: Path, path: Path) -> str:
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(package: Path, path: Path) -> Iterator[str]:
    """Modules of the package that `path` imports at run time (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    here = module_name(package, path).split(".")
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if id(node) in type_only or not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = here if is_package else here[:-1]
            base = base[: len(base) - node.level + 1] if node.level > 1 else base
            target = [*base, *(node.module.split(".") if node.module else [])]
        elif node.module and node.module.split(".")[0] == package.name:
            target = node.module.split(".")[1:]
        else:
            continue
        prefix = ".".join(target)
        for alias in node.names:
            candidate = f"{prefix}.{alias.name}" if prefix else alias.name
            module = candidate if module_path(package, candidate) else prefix
            yield module


def module_path(package: Path, module: str) -> Path | None:
    base = package.joinpath(*module.split(".")) if module else package
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def import_graph(package: Path) -> dict[str, set[str]]:
    return {
        module_name(package, path): set(runtime_imports(package, path))
        for path in sorted(package.rglob("*.py"))
    }


def owned_by_template(path: Path) -> bool:
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    return MARKER in first


def under(module: str, *prefixes: str) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


@parametrize_variants
def test_layers_point_one_way(rendered: Render, variant: Variant) -> None:
    package = package_root(rendered(variant))
    graph = import_graph(package)
    assert graph["app"], "the import graph is empty: the parser is broken"
    problems = []
    for module, imports in graph.items():
        for target in imports:
            if module in {"settings", "context"} and target:
                problems.append(f"{module} is a bottom layer but imports {target}")
            if under(module, "observability") and under(target, "security", "errors", "api"):
                problems.append(f"{module} (observability) imports {target}")
            if under(target, "backends", "wiring", "app", "cli") and module not in ASSEMBLY:
                problems.append(f"{module} imports {target}, which assembles the options")
            if under(module, "security", "db", "errors") and under(target, "api"):
                problems.append(f"{module} imports the routes in {target}")
            if under(target, "server") and not under(module, "server", "cli"):
                problems.append(f"{module} imports {target}, which only `serve` uses")
    assert not problems, "\n".join(problems)


@parametrize_variants
def test_template_owned_modules_import_owner_code_only_at_the_entry_points(
    rendered: Render, variant: Variant
) -> None:
    package = package_root(rendered(variant))
    owners = {module_name(package, path): owned_by_template(path) for path in package.rglob("*.py")}
    problems = []
    for module, imports in import_graph(package).items():
        allowed = OWNER_ENTRY_POINTS.get(module, set())
        for target in imports:
            if owners[module] and owners.get(target) is False and target not in allowed:
                problems.append(f"template-owned {module} imports owner-owned {target}")
    # env.py imports the package by name (absolute imports count above too).
    assert not problems, "\n".join(problems)
    assert not owners["db.models"]
    assert not owners["api.router"]


def readme_template_rows(readme: str) -> list[tuple[str, ...]]:
    section = readme.split("## Ownership", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[1] == "template":
            rows.append(tuple(re.findall(r"`([^`]+)`", cells[0])))
    return rows


@parametrize_variants
def test_the_readme_lists_exactly_the_template_owned_files(
    rendered: Render, variant: Variant
) -> None:
    root = rendered(variant)
    package = package_root(root)
    marked = {
        path.relative_to(root).as_posix()
        for path in project_files(root)
        if path.suffix in {".py", ".mako"} and owned_by_template(path)
    }
    listed: set[str] = set()
    for row in readme_template_rows((root / "README.md").read_text(encoding="utf-8")):
        for entry in row:
            base = root if entry.startswith("tests/") else package
            target = base / entry.rstrip("/")
            if entry.endswith("/"):
                listed |= {
                    path.relative_to(root).as_posix()
                    for path in project_files(target)
                    if path.suffix in {".py", ".mako"}
                }
            elif target.is_file():
                listed.add(target.relative_to(root).as_posix())
    python = {
        path.relative_to(root).as_posix()
        for path in project_files(root)
        if path.suffix in {".py", ".mako"}
    }
    assert python - marked - listed, "no owner-owned Python file at all: check the parser"
    assert marked == listed


def markdown_links(text: str) -> Iterator[str]:
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if not re.match(r"[a-z]+:", target) and not target.startswith("#"):
            yield target.split("#", 1)[0]


def test_documents_link_only_to_files_that_exist(rendered: Render) -> None:
    documents = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    service = rendered(by_id("default"))
    documents.append(service / "README.md")
    broken = [
        f"{document.relative_to(document.parent.parent)}: {target}"
        for document in documents
        for target in markdown_links(document.read_text(encoding="utf-8"))
        if not (document.parent / target).exists()
    ]
    assert not broken
