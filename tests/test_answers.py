"""Answers: derived defaults, and bad answers that fail clearly and leave nothing behind."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import copier_copy_cli, render, run, tool
from tests.variants import BASE_DATA

BAD_ANSWERS: list[tuple[dict[str, Any], str]] = [
    ({"project_slug": "Bad_Slug"}, "'Bad_Slug' is not a valid slug"),
    ({"project_slug": "9lives"}, "'9lives' is not a valid slug"),
    ({"package_name": "class"}, "'class' is a Python keyword"),
    ({"package_name": "my-pkg"}, "'my-pkg' is not a valid Python identifier"),
    ({"project_name": 'Quote " Service'}, "must not contain quotes"),
    ({"author_email": "not-an-address"}, "does not look like an e-mail address"),
    ({"auth": "basic"}, "Invalid choice for 'auth'"),
    ({"python_version": "3.10"}, "Invalid choice for 'python_version'"),
    ({"database": "mysql"}, "Invalid choice for 'database'"),
]
BAD_IDS = ["-".join(f"{k}={v}" for k, v in answers.items()) for answers, _ in BAD_ANSWERS]


def assert_left_nothing(destination: Path) -> None:
    assert not destination.exists() or not any(destination.iterdir()), sorted(
        p.name for p in destination.iterdir()
    )


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=BAD_IDS)
def test_bad_answer_fails_with_message_via_api(
    template_src: Path, tmp_path: Path, answers: dict[str, Any], message: str
) -> None:
    destination = tmp_path / "service"
    with pytest.raises(ValueError, match=re.escape(message)):
        render(template_src, destination, {**BASE_DATA, **answers})
    assert_left_nothing(destination)


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS, ids=BAD_IDS)
def test_bad_answer_fails_with_message_via_cli(
    template_src: Path, tmp_path: Path, answers: dict[str, Any], message: str
) -> None:
    destination = tmp_path / "service"
    result = copier_copy_cli(template_src, destination, answers, check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert_left_nothing(destination)


def test_bad_answer_leaves_an_existing_empty_destination_empty(
    template_src: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "service"
    destination.mkdir()
    with pytest.raises(ValueError, match="not a valid slug"):
        render(template_src, destination, {**BASE_DATA, "project_slug": "Bad_Slug"})
    assert destination.is_dir()
    assert_left_nothing(destination)


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Secure Service", "secure-service", "secure_service"),
        ("Payments API v2", "payments-api-v2", "payments_api_v2"),
        ("  42 Ways -- To Win!  ", "ways-to-win", "ways_to_win"),
        ("123", "service", "service"),
    ],
)
def test_slug_and_package_default_from_the_name(
    template_src: Path, tmp_path: Path, project_name: str, slug: str, package: str
) -> None:
    destination = render(
        template_src, tmp_path / "svc", {**BASE_DATA, "project_name": project_name}
    )
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)
    assert (destination / "src" / package).is_dir()


def test_answers_file_records_every_question(template_src: Path, tmp_path: Path) -> None:
    destination = render(template_src, tmp_path / "svc", BASE_DATA)
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert answers["jwt_algorithm"] == "HS256"
    assert set(answers) >= {
        "project_name",
        "project_slug",
        "package_name",
        "description",
        "author_name",
        "author_email",
        "python_version",
        "auth",
        "rate_limit_backend",
        "log_sink",
        "database",
        "tls",
        "metrics",
        "ci",
        "dependency_bot",
        "docker",
    }


def test_copy_without_trust_is_refused_and_leaves_nothing(
    template_src: Path, tmp_path: Path
) -> None:
    """The .env task needs --trust; without it Copier refuses before writing anything."""
    destination = tmp_path / "service"
    result = run(
        [tool("copier"), "copy", "--defaults", "--vcs-ref=HEAD", template_src, destination],
        tmp_path,
        check=False,
    )
    assert result.returncode != 0
    assert "--trust" in result.stdout + result.stderr
    assert_left_nothing(destination)
