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
    ({"project_slug": "Bad_Slug"}, "'project_slug': Use only a-z, 0-9 and dashes."),
    ({"project_slug": "9lives"}, "'project_slug': Start with a letter (a-z)."),
    ({"package_name": "class"}, "'package_name': Python keywords cannot be used."),
    ({"package_name": "my-pkg"}, "'package_name': Use only letters, digits and _."),
    ({"project_name": 'Quote " Service'}, "'project_name': Remove quotes, \\ and braces."),
    ({"author_email": "not-an-address"}, "'author_email': Use the form name@example.com."),
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
    with pytest.raises(ValueError, match="Use only a-z, 0-9 and dashes"):
        render(template_src, destination, {**BASE_DATA, "project_slug": "Bad_Slug"})
    assert destination.is_dir()
    assert_left_nothing(destination)


# The suggested slug keeps every word of the name: letter-less leading words move to the end,
# Latin accents lose their marks, a name without a word that starts with a letter is prefixed.
@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Secure Service", "secure-service", "secure_service"),
        ("Payments API v2", "payments-api-v2", "payments_api_v2"),
        ("2nd Payments API", "payments-api-2nd", "payments_api_2nd"),
        ("3D Printing", "printing-3d", "printing_3d"),
        ("2024 Budget", "budget-2024", "budget_2024"),
        ("1, 2, 3 Go!", "go-1-2-3", "go_1_2_3"),
        ("  42 Ways -- To Win!  ", "ways-to-win-42", "ways_to_win_42"),
        ("...Payments", "payments", "payments"),
        ("-- Billing (EU) --", "billing-eu", "billing_eu"),
        ("123", "service-123", "service_123"),
        ("2nd 3rd", "service-2nd-3rd", "service_2nd_3rd"),
        ("!!!", "service", "service"),
        ("Café Déjà Vu", "cafe-deja-vu", "cafe_deja_vu"),
        ("Łódź Straße", "lodz-strasse", "lodz_strasse"),
        ("Ærøskøbing Ferries", "aeroskobing-ferries", "aeroskobing_ferries"),
        ("日本語 API", "api", "api"),
        ("東京", "service", "service"),
        # A keyword is a fine slug but not a package: PEP 8's trailing underscore.
        ("Global", "global", "global_"),
        ("Class 2", "class-2", "class_2"),
    ],
)
def test_slug_and_package_default_from_the_name(
    template_src: Path, tmp_path: Path, project_name: str, slug: str, package: str
) -> None:
    # Only the answers file is written: the suggestion is all this test looks at.
    destination = render(
        template_src,
        tmp_path / "svc",
        {**BASE_DATA, "project_name": project_name},
        skip_tasks=True,
        exclude=["*", "!.copier-answers.yml"],
    )
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert (answers["project_slug"], answers["package_name"]) == (slug, package)


def test_a_keyword_name_renders_a_package_python_can_import(
    template_src: Path, tmp_path: Path
) -> None:
    destination = render(template_src, tmp_path / "svc", {**BASE_DATA, "project_name": "Global"})
    assert (destination / "src" / "global_" / "__init__.py").is_file()
    pyproject = (destination / "pyproject.toml").read_text()
    assert 'name = "global"' in pyproject
    assert 'global = "global_.cli:main"' in pyproject


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
