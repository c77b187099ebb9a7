"""Fixtures: a committed snapshot of the template and cached renders of each variant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import render, snapshot_template
from tests.variants import VARIANTS, Variant


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--variant",
        action="append",
        default=[],
        metavar="ID",
        help="only run variant tests for this variant id (repeatable); see tests/variants.py",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("--variant"))
    unknown = wanted - {v.id for v in VARIANTS}
    if unknown:
        raise pytest.UsageError(f"unknown --variant {sorted(unknown)}; see tests/variants.py")
    selected, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        variant = callspec.params.get("variant") if callspec else None
        if isinstance(variant, Variant):
            if wanted and variant.id not in wanted:
                deselected.append(item)
                continue
            # Suites that share Redis / PostgreSQL run one after another on one worker.
            if variant.needs_services and item.get_closest_marker("slow"):
                item.add_marker(pytest.mark.xdist_group("services"))
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def template_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree, committed into a temporary git repo (rendered with vcs_ref=HEAD)."""
    return snapshot_template(tmp_path_factory.mktemp("template") / "src")


@pytest.fixture(scope="session")
def rendered(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[Variant], Path]:
    """Render a variant once per session; tests must not modify the result."""
    cache: dict[str, Path] = {}

    def get(variant: Variant) -> Path:
        if variant.id not in cache:
            destination = tmp_path_factory.mktemp(f"render-{variant.id}") / "service"
            cache[variant.id] = render(template_src, destination, variant.data)
        return cache[variant.id]

    return get
