"""Each variant's own test suite passes in its own uv environment, against real services."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import SERVICE_ENV_DEFAULTS, python_available, render, run, uv_bin, uv_env
from tests.variants import VARIANTS, Variant

SYNC_TIMEOUT = 900
SUITE_TIMEOUT = 900


@pytest.mark.variant
@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_rendered_suite_passes(template_src: Path, tmp_path: Path, variant: Variant) -> None:
    if not python_available(variant.python_version):
        reason = f"Python {variant.python_version} is not installed here: rendered and linted only"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run every variant's suite (see .ci/run)")
        pytest.skip(reason)
    root = render(template_src, tmp_path / "service", variant.data)
    run([uv_bin(), "sync"], root, env=uv_env(variant.python_version), timeout=SYNC_TIMEOUT)
    services = {key: os.environ.get(key, value) for key, value in SERVICE_ENV_DEFAULTS.items()}
    result = run(
        [uv_bin(), "run", "--no-sync", "pytest", "-p", "no:cacheprovider"],
        root,
        env=uv_env(variant.python_version, REQUIRE_SERVICES="1", **services),
        timeout=SUITE_TIMEOUT,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
    # The package type-checks as rendered (the generated CI runs the same command).
    run(
        [uv_bin(), "run", "--no-sync", "mypy"],
        root,
        env=uv_env(variant.python_version),
        timeout=SUITE_TIMEOUT,
    )


@pytest.mark.variant
@pytest.mark.slow
@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.id == "default"], ids=lambda v: v.id)
def test_rendered_suite_passes_at_the_lowest_allowed_versions(
    template_src: Path, tmp_path: Path, variant: Variant
) -> None:
    """The dependency floors in the rendered pyproject.toml are true: the suite passes when
    every direct dependency is resolved to its lowest allowed version."""
    root = render(template_src, tmp_path / "service", variant.data)
    env = uv_env(variant.python_version, UV_RESOLUTION="lowest-direct")
    run([uv_bin(), "sync"], root, env=env, timeout=SYNC_TIMEOUT)
    result = run(
        [uv_bin(), "run", "--no-sync", "pytest", "-p", "no:cacheprovider"],
        root,
        env=env,
        timeout=SUITE_TIMEOUT,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary, summary
