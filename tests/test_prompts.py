"""What a person reads at Copier's prompts fits a terminal 80 columns wide (no terminal here:
test_interactive.py looks at a real screen)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.support import render
from tests.variants import BASE_DATA, questions

COLUMNS = 80
# Copier prints its qmark (a two-column emoji) and a space before a question's first help
# line; questionary puts " » " or three spaces before each choice of a select list.
PREFIX_COLUMNS = 3
TEXT_COLUMNS = COLUMNS - PREFIX_COLUMNS

# SPEC section 3: the values are the public interface, whatever the labels say.
SPEC_CHOICES: dict[str, list[str]] = {
    "python_version": ["3.11", "3.12", "3.13"],
    "auth": ["jwt", "oidc", "api_key"],
    "jwt_algorithm": ["HS256", "RS256", "Ed25519"],
    "rate_limit_backend": ["memory", "redis"],
    "log_sink": ["stdout", "json", "file"],
    "database": ["sqlite", "postgresql"],
    "tls": ["proxy", "uvicorn"],
    "ci": ["github", "gitlab", "none"],
    "dependency_bot": ["dependabot", "renovate", "none"],
}
# Version numbers say all there is to say; every other choice is explained in its label.
SELF_EXPLAINING = {"python_version"}

# One answer per branch of every validator, and the message that branch gives.
REJECTED: list[tuple[str, str, str]] = [
    ("project_name", "   ", "Enter a name."),
    ("project_name", "x" * 81, "Use 80 characters or fewer."),
    ("project_name", "Tab\there", "Remove control characters."),
    ("project_name", 'Quote " Service', "Remove quotes, \\ and braces."),
    ("project_slug", "Bad_Slug", "Use only a-z, 0-9 and dashes."),
    ("project_slug", "payments\n", "Use only a-z, 0-9 and dashes."),
    ("project_slug", "9lives", "Start with a letter (a-z)."),
    ("project_slug", "", "Start with a letter (a-z)."),
    ("package_name", "my-pkg", "Use only letters, digits and _."),
    ("package_name", "payments\n", "Use only letters, digits and _."),
    ("package_name", "1st", "Start with a letter or _."),
    ("package_name", "class", "Python keywords cannot be used."),
    ("description", "x" * 201, "Use 200 characters or fewer."),
    ("description", "Two\nlines", "Remove control characters."),
    ("description", 'Says "hi"', "Remove quotes and backslashes."),
    ("author_name", "Esc\x1bape", "Remove control characters."),
    ("author_name", "C:\\Team", "Remove quotes and backslashes."),
    ("author_email", "not-an-address", "Use the form name@example.com."),
    ("author_email", "a@example.com\n", "Use the form name@example.com."),
    ("author_email", "a b@example.com", "Use the form name@example.com."),
]
BRANCH = re.compile(r"\{%-?\s*(?:if|elif)\b")


def help_lines(name: str) -> list[str]:
    return str(questions()[name].get("help", "")).splitlines()


def asked_questions() -> list[str]:
    return [name for name, question in questions().items() if question.get("when") is not False]


@pytest.mark.parametrize("name", asked_questions())
def test_help_lines_fit_80_columns(name: str) -> None:
    lines = help_lines(name)
    assert lines, f"{name} has no help"
    for line in lines:
        # Printed as is: no Jinja to render, ASCII only (one column per character).
        assert "{{" not in line, (name, line)
        assert "{%" not in line, (name, line)
        assert line.isascii(), (name, line)
        assert line.isprintable(), (name, line)
        assert line, name
        assert line == line.strip(), (name, line)
        assert len(line) <= TEXT_COLUMNS, (name, len(line), line)


@pytest.mark.parametrize("name", sorted(SPEC_CHOICES))
def test_choice_values_are_the_specs(name: str) -> None:
    assert list(questions()[name]["choices"].values()) == SPEC_CHOICES[name]


@pytest.mark.parametrize("name", sorted(SPEC_CHOICES))
def test_each_choice_shows_its_value_then_what_it_means(name: str) -> None:
    labels = [str(label) for label in questions()[name]["choices"]]
    values = SPEC_CHOICES[name]
    width = max(map(len, values)) + 2
    for label, value in zip(labels, values, strict=True):
        assert label.isascii(), label
        assert label.isprintable(), label
        assert len(label) <= TEXT_COLUMNS, (len(label), label)
        if name in SELF_EXPLAINING:
            assert label == value
            continue
        # "value", padded so that the explanations line up, then the explanation.
        assert label[:width] == value.ljust(width), label
        explanation = label[width:]
        assert explanation == explanation.strip(), label
        assert len(explanation.split()) >= 3, label


@pytest.mark.parametrize(("name", "answer", "message"), REJECTED)
def test_rejected_answer_message_fits_one_line(
    template_src: Path, tmp_path: Path, name: str, answer: str, message: str
) -> None:
    with pytest.raises(ValueError, match=r"^Validation error") as error:
        render(template_src, tmp_path / "service", {**BASE_DATA, name: answer})
    # Exactly what the prompt's one-line toolbar shows (it cuts whatever does not fit).
    shown = str(error.value)
    assert shown == f"Validation error for question '{name}': {message}"
    assert len(shown) <= COLUMNS, len(shown)
    if answer.strip():
        assert answer.strip() not in shown
    assert not (tmp_path / "service").exists()


def test_every_validator_branch_is_tried() -> None:
    """A new branch in a validator needs a line in REJECTED (and so a length check)."""
    messages: dict[str, set[str]] = {}
    for name, _, message in REJECTED:
        messages.setdefault(name, set()).add(message)
    validators: dict[str, Any] = {
        name: question["validator"]
        for name, question in questions().items()
        if "validator" in question
    }
    assert set(messages) == set(validators)
    for name, validator in validators.items():
        assert len(BRANCH.findall(validator)) == len(messages[name]), name
