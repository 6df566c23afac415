"""Every vocabulary value has a definition written once in the code, which the descriptor, the
codebook and the SQLite metadata read; a value added without one must fail here."""

from __future__ import annotations

import inspect
import re
from enum import StrEnum

import pytest

from chechnya_purges import models
from chechnya_purges.models import Act, Medium, Qualifier, definition, definitions

VOCABULARIES = [
    obj
    for _, obj in inspect.getmembers(models, inspect.isclass)
    if issubclass(obj, StrEnum) and obj is not StrEnum and obj.__module__ == models.__name__
]
MEMBERS = [member for vocabulary in VOCABULARIES for member in vocabulary]


def test_the_vocabularies_are_found() -> None:
    """The check below must not pass vacuously because no enum was found."""
    assert {"Act", "ActorKind", "Qualifier", "Medium", "ExclusionReason"} <= {
        v.__name__ for v in VOCABULARIES
    }


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: f"{type(m).__name__}.{m.value}")
def test_every_value_has_a_definition_of_one_to_three_sentences(member: StrEnum) -> None:
    text = definition(member)
    first_letter = re.search(r"[A-Za-z]", text)
    assert first_letter is not None and first_letter.group().isupper(), text
    assert text.strip() == text and text.endswith("."), text
    # Sentences end at a full stop followed by a capital; "e.g." style abbreviations are not used.
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text)
    assert 1 <= len(sentences) <= 3, text


def test_definitions_keep_the_vocabulary_order() -> None:
    for vocabulary in VOCABULARIES:
        assert list(definitions(vocabulary)) == [m.value for m in vocabulary]


def test_values_shared_by_two_vocabularies_keep_their_own_definitions() -> None:
    """Act.report == Medium.report as strings; the speech act and the medium differ."""
    assert Act.report == Medium.report
    assert definition(Act.report) != definition(Medium.report)
    assert "testimony" in definition(Act.report)
    assert "published report" in definition(Medium.report)


@pytest.mark.parametrize(
    ("qualifier", "bounds", "words"),
    [
        (Qualifier.exact, (100, 100), "both the value"),
        (Qualifier.approximately, (None, None), "empty"),
        (Qualifier.at_least, (100, None), "low is the value"),
        (Qualifier.more_than, (101, None), "value plus one"),
        (Qualifier.at_most, (None, 100), "high is the value"),
        (Qualifier.fewer_than, (None, 99), "value minus one"),
    ],
)
def test_low_and_high_follow_the_qualifier_as_its_definition_says(
    qualifier: Qualifier, bounds: tuple[int | None, int | None], words: str
) -> None:
    assert models.qualifier_bounds(qualifier, 100) == bounds
    assert words in definition(qualifier)
