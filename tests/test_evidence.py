"""Quote anchoring: forgiving of what a person cannot see or type, strict on words."""

from __future__ import annotations

from chechnya_purges.checks import numbers_in
from chechnya_purges.evidence import Seed

TEXT = (
    "Russian officials met.\n\n"
    "\u201cWe condemn this,\u201d the minister said. \u201cWe urge an inquiry\n\n"
    "\u201cinto what happened \u2014 all of it.\u201d\n\n"
    "A stray \u201d mark, then Russia\u2019s reply.\n"
)


def test_word_boundaries() -> None:
    seed = Seed(TEXT)
    assert [s.text for s in seed.find("Russia")] == ["Russia"]
    assert seed.find("Russia")[0].start == TEXT.index("Russia\u2019s")
    assert seed.find("ussian") == []


def test_a_match_never_starts_or_ends_inside_a_word_of_any_script() -> None:
    """Underscores and digits are word characters; so are letters beyond Latin; a combining
    accent belongs to the letter before it."""
    seed = Seed("snake_case x9 \u00c4rger e\u0301t\u00e9 \u041c\u043e\u0441\u043a\u0432\u0430\n")
    for inside in ("snake", "case", "x", "9", "rger", "e", "\u041c\u043e\u0441\u043a\u0432"):
        assert seed.find(inside) == [], inside
    for whole in ("snake_case", "x9", "\u00c4rger", "e\u0301t\u00e9"):
        assert [span.text for span in seed.find(whole)] == [whole]


def test_forgiving_match_stores_the_seeds_characters() -> None:
    seed = Seed(TEXT)
    (span,) = seed.find("what happened - all of it.")
    assert span.text == "what happened \u2014 all of it."
    (span,) = seed.find("Russia's   reply")
    assert TEXT[span.start : span.end] == "Russia\u2019s reply"


def test_a_quotation_reopened_in_the_next_paragraph_is_one_quotation() -> None:
    seed = Seed(TEXT)
    (span,) = seed.find("We urge an inquiry\n\n\u201cinto what happened")
    assert seed.in_quotation(span)
    (outside,) = seed.find("the minister said")
    assert not seed.in_quotation(outside)


def test_a_stray_closing_mark_does_not_quote_the_rest() -> None:
    seed = Seed(TEXT)
    (span,) = seed.find("mark, then Russia's reply")
    assert not seed.in_quotation(span)


def test_a_paragraph_that_does_not_reopen_ends_an_unclosed_quotation() -> None:
    seed = Seed('He said \u201cthis is open\n\nNot quoted here. "Straight marks" count.\n')
    inside = ["this is open", "Straight marks"]
    outside = ["Not quoted here", "count"]
    assert [seed.in_quotation(seed.find(q)[0]) for q in inside + outside] == [
        True,
        True,
        False,
        False,
    ]


def test_closest_passage_names_its_line() -> None:
    seed = Seed(TEXT)
    line, passage = seed.closest("We urge an investigation")
    assert line == 3
    assert passage.startswith("We urge an i")


def test_numbers_written_in_digits_or_words() -> None:
    assert numbers_in("more than 100 gay men") == {100}
    assert numbers_in("over one hundred men") == {100}
    assert numbers_in("two hundred and fifty people") == {250}
    assert numbers_in("twenty-two Chechens, a dozen more") == {22, 12}
    assert numbers_in("1,000 people") == {1000}
    assert numbers_in("a letter to the minister") == set()
