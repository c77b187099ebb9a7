# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
"""Rules about the service's own source code that behaviour tests cannot see."""

import ast
import importlib
from pathlib import Path

from .package import main

PACKAGE = Path(importlib.import_module(main.__module__.split(".")[0]).__file__ or "").parent
# Names that hold secrets (or values compared against them) in this code base.
SECRET_NAMES = frozenset({"api_key", "digest", "expected", "given", "password", "secret", "token"})


def identifier(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return "secret" if node.func.attr == "get_secret_value" else None
    return None


def test_secrets_are_compared_in_constant_time_only() -> None:
    """`==` on a secret returns as soon as a character differs: use `constant_time.equal`."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            names = {identifier(operand) for operand in (node.left, *node.comparators)}
            if names & SECRET_NAMES:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert len(list(PACKAGE.rglob("*.py"))) > 20, "the package was not found"
    assert not found, f"secrets compared with == or !=: {found}"
