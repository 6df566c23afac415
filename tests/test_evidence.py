"""Quote anchoring: forgiving of what a person cannot see or type, strict on words."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chechnya_purges.checks import CheckedArticle, _anchor, _Reporter, numbers_in
from chechnya_purges.evidence import Seed
from chechnya_purges.reader import load_yaml

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


# Seeds and quotes made of the characters the anchoring treats specially: word characters,
# spaces and line breaks, marks the folding changes, a combining accent.
_SEED_TEXT = st.text(alphabet="ab_é \n\u00a0\u201c\u201d\u2019'\"-\u2014\u0301", max_size=60)


@given(
    text=_SEED_TEXT,
    quote=st.text(alphabet="ab_é \n'\"-", min_size=1, max_size=6),
    cuts=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=3),
)
def test_a_mention_anchors_at_its_first_place_outside_the_excluded_regions(
    text: str, quote: str, cuts: list[tuple[int, int]]
) -> None:
    """A mention stops searching at its first suitable place: the answer and the error are
    those that every place of the quote, all found, decide."""
    doc, _ = load_yaml("mentions:\n  someone: x\n", "data/articles/a.yaml")
    seed = Seed(text)
    excluded = [(min(a, b), max(a, b)) for a, b in cuts]
    checked = CheckedArticle("a", None, "seeds/a.txt", seed, "", excluded=excluded)  # type: ignore[arg-type]
    report = _Reporter(doc)
    span = _anchor(report, checked, ("mentions", "someone"), quote, None, first=True)
    places = seed.find(quote)
    outside = [p for p in places if not any(p.start < e and s < p.end for s, e in excluded)]
    assert span == (outside[0] if outside else None)
    codes = [d.code for d in report.found]
    assert codes == ([] if outside else ["quote-excluded"] if places else ["quote-not-found"])
