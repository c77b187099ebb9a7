"""THE list of template variants that the tests render, lint and run.

Everything that iterates over variants (pytest parametrization, the GitHub Actions matrix)
reads ``VARIANTS`` from here. Choices come from ``copier.yml`` (a choice with a ``validator``
would be one that is shown but refused; ``test_variants.py`` holds that there are none).

How to extend it when a question or choice is added:

* For ``PAIRWISE_QUESTIONS`` (auth, rate_limit_backend, log_sink, database, tls) nothing:
  pairwise variants are generated from the choices in ``copier.yml``, so every pair of choices
  gets rendered and tested automatically.
* For any other question add or extend an entry of ``EXPLICIT`` below; ``test_variants.py``
  fails while a choice is not covered by some variant.

Run ``python -m tests.variants`` to print the CI matrix as JSON.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = ROOT / "copier.yml"

# The interpreter that exists on the development machines and in .ci/run. Variants for other
# Python versions are rendered and linted everywhere; their suites run where uv finds that
# interpreter (the GitHub Actions matrix installs it) and are skipped, visibly, elsewhere.
INSTALLED_PYTHON = "3.11"
# Answers every render in the tests starts from (copier.yml's default is another version).
BASE_DATA: dict[str, Any] = {"python_version": INSTALLED_PYTHON}

# Questions whose choices must be covered pairwise (SPEC section 5).
PAIRWISE_QUESTIONS = ("auth", "rate_limit_backend", "log_sink", "database", "tls")

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Variant:
    """One set of answers. ``answers`` holds only what differs from copier.yml's defaults."""

    id: str
    answers: Answers = field(default_factory=dict)

    @property
    def data(self) -> dict[str, Any]:
        """What to pass as ``data=`` to Copier (python_version is always explicit)."""
        return {**BASE_DATA, **self.answers}

    @property
    def full_answers(self) -> dict[str, Any]:
        """Every answer this variant ends up with, defaults included."""
        merged = {**choice_defaults(), **self.data}
        if merged.get("auth") != "jwt":
            merged.pop("jwt_algorithm", None)
        return merged

    @property
    def python_version(self) -> str:
        return str(self.full_answers["python_version"])

    @property
    def dotenv_has_a_secret(self) -> bool:
        """True when `copier copy` writes a generated secret into `.env` (HS256's)."""
        answers = self.full_answers
        return answers["auth"] == "jwt" and answers["jwt_algorithm"] == "HS256"

    @property
    def needs_services(self) -> bool:
        """True when the rendered suite talks to Redis or PostgreSQL."""
        answers = self.full_answers
        return answers["rate_limit_backend"] == "redis" or answers["database"] == "postgresql"


# Hand-written variants: the default, one with every optional part switched off, and the other
# Python versions. Questions outside PAIRWISE_QUESTIONS get their coverage here.
EXPLICIT: tuple[Variant, ...] = (
    Variant("default"),
    Variant(
        "minimal",
        {"metrics": False, "ci": "none", "dependency_bot": "none", "docker": False},
    ),
    Variant("jwt-rs256", {"jwt_algorithm": "RS256"}),
    Variant("jwt-ed25519", {"jwt_algorithm": "Ed25519"}),
    Variant("gitlab-renovate", {"ci": "gitlab", "dependency_bot": "renovate"}),
    Variant("py3.12", {"python_version": "3.12"}),
    Variant("py3.13", {"python_version": "3.13"}),
)


@cache
def copier_config() -> dict[str, Any]:
    with COPIER_YML.open(encoding="utf-8") as handle:
        config: dict[str, Any] = yaml.safe_load(handle)
    return config


def questions() -> dict[str, dict[str, Any]]:
    """The questions Copier asks: a `when: false` entry is a copy-time switch, never a choice."""
    return {
        k: v
        for k, v in copier_config().items()
        if not k.startswith("_") and v.get("when") is not False
    }


def _choices(question: dict[str, Any]) -> list[tuple[Any, bool]]:
    """(value, available) for each choice of a question; bools count as two choices."""
    if question.get("type") == "bool":
        return [(True, True), (False, True)]
    result: list[tuple[Any, bool]] = []
    for value in question.get("choices", {}).values():
        if isinstance(value, dict):
            result.append((value["value"], not value.get("validator")))
        else:
            result.append((value, True))
    return result


def available_choices() -> dict[str, list[Any]]:
    """Question name -> choices that render today (only questions that have choices)."""
    return {
        name: [value for value, ok in choices if ok]
        for name, question in questions().items()
        if (choices := _choices(question))
    }


def unavailable_choices() -> dict[str, list[Any]]:
    """Question name -> choices shown by copier.yml but refused for now."""
    return {
        name: unavailable
        for name, question in questions().items()
        if (unavailable := [value for value, ok in _choices(question) if not ok])
    }


@cache
def choice_defaults() -> dict[str, Any]:
    """Defaults of the questions that have choices (literal values in copier.yml)."""
    return {name: questions()[name]["default"] for name in available_choices()}


def pairwise_rows(dimensions: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """A small set of rows that contains every pair of values of every two dimensions.

    Greedy and deterministic: start from the defaults row (the first candidate), then keep
    adding the candidate row that covers the most still-uncovered pairs.
    """
    names = list(dimensions)
    candidates = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(dimensions[n] for n in names))
    ]

    def pairs(row: Mapping[str, Any]) -> set[tuple[str, Any, str, Any]]:
        return {(a, row[a], b, row[b]) for a, b in itertools.combinations(names, 2)}

    uncovered = set().union(*(pairs(row) for row in candidates)) if candidates else set()
    rows: list[dict[str, Any]] = []
    if candidates:
        rows.append(candidates[0])
        uncovered -= pairs(candidates[0])
    while uncovered:
        best = max(candidates, key=lambda row: len(pairs(row) & uncovered))
        rows.append(best)
        uncovered -= pairs(best)
    return rows


def _pairwise_variants() -> list[Variant]:
    defaults = choice_defaults()
    available = available_choices()
    # Default first in each dimension, so the first row is the default variant.
    dimensions = {
        name: sorted(available[name], key=lambda value: value != defaults[name])
        for name in PAIRWISE_QUESTIONS
    }
    variants = []
    for row in pairwise_rows(dimensions):
        changed = {k: v for k, v in row.items() if v != defaults[k]}
        if changed:  # the all-defaults row is the "default" variant
            variants.append(Variant("pair-" + "-".join(map(str, changed.values())), changed))
    return variants


def all_variants() -> tuple[Variant, ...]:
    variants = (*EXPLICIT, *_pairwise_variants())
    ids = [v.id for v in variants]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate variant ids: {ids}")
    return variants


VARIANTS: tuple[Variant, ...] = all_variants()


def by_id(variant_id: str) -> Variant:
    for variant in VARIANTS:
        if variant.id == variant_id:
            return variant
    raise KeyError(variant_id)


def matrix() -> list[dict[str, str]]:
    """The GitHub Actions matrix: one entry per variant."""
    return [{"id": v.id, "python": v.python_version} for v in VARIANTS]


if __name__ == "__main__":
    print(json.dumps(matrix()))
