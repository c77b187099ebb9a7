"""The variant list covers every available choice and every required pair of choices."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

from tests.support import ROOT
from tests.variants import (
    INSTALLED_PYTHON,
    PAIRWISE_QUESTIONS,
    VARIANTS,
    available_choices,
    pairwise_rows,
    questions,
    unavailable_choices,
)


def test_every_available_choice_is_rendered_by_some_variant() -> None:
    missing = [
        f"{name}={value!r}"
        for name, values in available_choices().items()
        for value in values
        if not any(v.full_answers.get(name) == value for v in VARIANTS)
    ]
    assert not missing, f"add a variant in tests/variants.py for: {', '.join(missing)}"


def test_every_pair_of_pairwise_choices_is_rendered() -> None:
    available = available_choices()
    missing = []
    for a, b in itertools.combinations(PAIRWISE_QUESTIONS, 2):
        for value_a, value_b in itertools.product(available[a], available[b]):
            if not any(
                v.full_answers[a] == value_a and v.full_answers[b] == value_b for v in VARIANTS
            ):
                missing.append(f"{a}={value_a} & {b}={value_b}")
    assert not missing, missing


def test_pairwise_generator_covers_all_pairs_with_few_rows() -> None:
    dimensions = {"a": [1, 2, 3], "b": ["x", "y"], "c": [1, 2, 3], "d": [True, False]}
    rows = pairwise_rows(dimensions)
    assert rows[0] == {"a": 1, "b": "x", "c": 1, "d": True}
    for first, second in itertools.combinations(dimensions, 2):
        for pair in itertools.product(dimensions[first], dimensions[second]):
            assert any((row[first], row[second]) == pair for row in rows), (first, second, pair)
    assert len(rows) < len(list(itertools.product(*dimensions.values()))) // 2


def test_variants_use_only_known_questions_and_available_choices() -> None:
    known = questions()
    available = available_choices()
    for variant in VARIANTS:
        for name, value in variant.data.items():
            assert name in known, (variant.id, name)
            if name in available:
                assert value in available[name], (variant.id, name, value)


def test_every_question_has_help_and_a_default() -> None:
    for name, question in questions().items():
        assert str(question.get("help", "")).strip(), f"{name} has no help text"
        assert "default" in question, f"{name} has no default (copier update --defaults)"


def test_every_choice_is_available() -> None:
    """A choice with a validator renders nothing: each one offered is built and tested."""
    assert unavailable_choices() == {}


def test_default_variant_is_first_and_runs_here() -> None:
    assert VARIANTS[0].id == "default"
    assert VARIANTS[0].data == {"python_version": INSTALLED_PYTHON}


def test_ci_matrix_script_prints_the_same_list() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tests.variants"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert [entry["id"] for entry in json.loads(out)] == [v.id for v in VARIANTS]
