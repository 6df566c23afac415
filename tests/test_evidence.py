"""Quote anchoring: forgiving of what a person cannot see or type, strict on words."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from chechnya_purges.checks import (
    CheckedArticle,
    _anchor,
    _begins_after,
    _check_evidence,
    _in_digits,
    _published,
    _references,
    _references_resolve,
    _Reporter,
    _writes_in_digits,
    numbers_in,
)
from chechnya_purges.evidence import _QUOTATION, _RUNS, _TABLE, Seed, fold
from chechnya_purges.models import Article, Figure, date_bounds
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


def _quotations_mark_by_mark(text: str) -> list[tuple[int, int]]:
    """The quotation rule applied to one mark at a time: the reference for
    ``Seed.quotations``, which takes each quotation in one match of a regular expression."""
    regions: list[tuple[int, int]] = []
    opened: int | None = None
    cursor = 0

    def unreopened_break(until: int) -> int | None:
        nonlocal cursor
        while (newline := text.find("\n", cursor, until)) != -1:
            cursor = newline + 1
            while cursor < len(text) and text[cursor].isspace():
                cursor += 1
            if text[cursor : cursor + 1] not in ("\u201c", "\u201e", '"'):
                return cursor
        return None

    for index, char in enumerate(text):
        if char not in '\u201c\u201e\u201d"':
            continue
        if opened is not None and (closed := unreopened_break(index)) is not None:
            regions.append((opened, closed))
            opened = None
        if char in "\u201c\u201e" or (char == '"' and opened is None):
            if opened is None:
                opened = index
        elif opened is not None:
            regions.append((opened, index + 1))
            opened = None
        cursor = index + 1
    if opened is not None:
        regions.append((opened, unreopened_break(len(text)) or len(text)))
    return regions


@given(st.text(alphabet='a \n\u2003\u201c\u201d\u201e"', max_size=40))
def test_quotations_are_those_the_marks_make_one_by_one(text: str) -> None:
    assert Seed(text).quotations() == _quotations_mark_by_mark(text)


@given(st.text(alphabet="a \n\u2003\u201c\u201d", max_size=40))
def test_quotations_opened_by_curly_marks_alone_are_those_the_marks_make_one_by_one(
    text: str,
) -> None:
    """A seed with neither a straight nor a low mark (the usual case) is read by a rule of
    its own, which looks for one opening mark: its quotations are the general rule's."""
    assert Seed(text).quotations() == _quotations_mark_by_mark(text)
    assert Seed(text).quotations() == [m.span() for m in _QUOTATION.finditer(text)]


# Runs of spaces of every kind, which the offsets must survive, and marks the folding changes.
_RUNS_OF_SPACES = st.lists(
    st.sampled_from(["ab", " ", "  ", "\n\n", "\u00a0 \u2003", "\u201c", "\u2019", "\u2014", "`"]),
    max_size=12,
).map("".join)


@given(_RUNS_OF_SPACES | st.text(max_size=30))
def test_the_folded_seed_and_its_offsets_are_those_of_folding_each_character(
    text: str,
) -> None:
    """Each character folded on its own, each run of spaces then kept as its first: the
    reference for ``Seed``, which folds by kinds of character and maps offsets by runs."""
    each = text.translate(_TABLE)
    kept = [i for i, char in enumerate(each) if char != " " or i == 0 or each[i - 1] != " "]
    seed = Seed(text)
    assert seed.folded == "".join(each[i] for i in kept)
    assert [seed._origin(i) for i in range(len(kept))] == kept


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=30))
def test_an_ascii_quote_folds_as_the_general_rule_folds_it(text: str) -> None:
    """ASCII quotes take shortcuts (no translation; for printable ones without a double
    space, only the ends stripped): the result is the general rule's."""
    assert fold(text) == _RUNS.sub(" ", text.translate(_TABLE)).strip()


@given(
    text=_SEED_TEXT,
    quote=st.text(alphabet="ab_é \n'\"-", min_size=1, max_size=6),
    cuts=st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=3),
)
def test_a_quote_anchors_at_its_one_place_outside_the_excluded_regions(
    text: str, quote: str, cuts: list[tuple[int, int]]
) -> None:
    """A figure's or statement's quote is settled by its one place in the common case: the
    answer and the error are those that every place of the quote, all found, decide."""
    doc, _ = load_yaml("figures:\n- quote: x\n", "data/articles/a.yaml")
    seed = Seed(text)
    excluded = [(min(a, b), max(a, b)) for a, b in cuts]
    checked = CheckedArticle("a", None, "seeds/a.txt", seed, "", excluded=excluded)  # type: ignore[arg-type]
    report = _Reporter(doc)
    span = _anchor(report, checked, ("figures", 0, "quote"), quote, None, first=False)
    places = seed.find(quote)
    outside = [p for p in places if not any(p.start < e and s < p.end for s, e in excluded)]
    assert span == (outside[0] if len(outside) == 1 else None)
    codes = [d.code for d in report.found]
    if len(outside) == 1:
        assert codes == []
    else:
        kind = "quote-ambiguous" if outside else "quote-excluded" if places else "quote-not-found"
        assert codes == [kind]


@given(text=_SEED_TEXT, data=st.data())
def test_the_first_or_only_place_is_the_place_find_gives(text: str, data: st.DataObject) -> None:
    """``first`` and ``only`` answer without listing the places, or not at all: an answer
    is always ``find``'s. (Quotes are mostly cut from the seed, so that they occur.)"""
    start = data.draw(st.integers(0, len(text)))
    quote = data.draw(
        st.text(alphabet="ab_\u00e9 \n'\"-\u2019\u00a0", max_size=6)
        | st.integers(start, len(text)).map(lambda end: text[start:end])
    )
    seed = Seed(text)
    places = seed.find(quote)
    first, only = seed.first(quote), seed.only(quote)
    assert first is None or first == places[0]
    assert only is None or places == [only]
    # and they do answer the common case: one place, on word boundaries
    if len(places) == 1 and seed.folded.count(fold(quote)) == 1:
        assert first == only == places[0]


_AROUND = st.text(alphabet="0123456789,. a\u0663", max_size=4)


@given(
    st.integers(0, 10**22) | st.sampled_from([0, 1, 10, 100, 1000, 3, 13, 31]),
    st.lists(st.tuples(_AROUND, st.booleans()), min_size=1, max_size=3),
)
@example(10, [("1,", True)])  # a run with a comma: 110
@example(1, [("", True), ("0", False)])  # a longer run: 10
@example(3, [("\u0663", True)])  # an Arabic-Indic digit before: 33
@example(10**20, [("", True)])  # a run too long to be a count
def test_a_value_is_written_in_digits_when_a_run_of_the_quote_gives_it(
    value: int, pieces: list[tuple[str, bool]]
) -> None:
    """A figure's value is looked for among its quote's digits at once, as a whole run, and
    only then among every run: the answer is always that of every run (commas inside a run
    and decimal digits of any script included)."""
    text = "".join(piece + (str(value) if with_value else "") for piece, with_value in pieces)
    assert _writes_in_digits(text, value) == (value in _in_digits(text))


_DATE_PREFIXES = st.tuples(
    st.dates(min_value=date(1, 1, 1)), st.sampled_from([4, 7, 10]), st.sampled_from(["", "\n"])
).map(lambda d: d[0].isoformat()[: d[1]] + d[2])


@given(_DATE_PREFIXES, _DATE_PREFIXES)
@example("2018-07-30", "2018-07-29")
@example("2018-07-31", "2018-07")
def test_a_date_begins_after_publication_as_its_first_day_does(value: str, published: str) -> None:
    """Whole dates are compared as text, any others by their days: the same answer."""
    latest = date_bounds(published)[2]
    assert _begins_after(value, published, latest) == (date_bounds(value)[1] > latest)


_FIXTURE_ARTICLE = Path(__file__).parent / "fixtures" / "mini" / "data" / "articles"
_IDS = ["ana-diaz", "rights-groups", "sylvania-government", "nobody", "freedonian-times"]
# An article whose references all resolve, which each example changes in one place.
_MENTIONED = ["ana-diaz", "rights-groups", "freedonian-times", "sylvania-government"]
_PEOPLE = ["freedonian-times", "ana-diaz", None, "rights-groups", None, None]
_KNOWN = set(_IDS) - {"nobody"}


@given(
    st.lists(st.sampled_from(_IDS), max_size=4, unique=True),
    st.lists(st.sampled_from([*_IDS, None]), min_size=6, max_size=6),
    st.lists(st.sampled_from(_IDS), max_size=2),
    st.sets(st.sampled_from(_IDS)) | st.none(),
)
@example(_MENTIONED, ["nobody", "ana-diaz", None, "rights-groups", None, None], [], _KNOWN)
@example([*_MENTIONED, "nobody"], _PEOPLE, [], _KNOWN)
@example([*_MENTIONED, "nobody"], ["nobody", "nobody", *_PEOPLE[2:]], [], _KNOWN)
@example(_MENTIONED[:-1], [*_PEOPLE[:3], "sylvania-government", None, None], [], _KNOWN)
@example(_MENTIONED, _PEOPLE, ["nobody"], _KNOWN)
@example(_MENTIONED, _PEOPLE, ["ana-diaz"], _KNOWN)
def test_references_that_resolve_are_those_the_reference_check_has_nothing_to_say_of(
    mentioned: list[str], people: list[str | None], addressees: list[str], known: set[str] | None
) -> None:
    """``_references_resolve`` lets the article's references go without a location for each:
    only when checking each of them would report nothing."""
    text = (_FIXTURE_ARTICLE / "001_freedonia.yaml").read_text(encoding="utf-8")
    doc, _ = load_yaml(text, "data/articles/001_freedonia.yaml")
    data = dict(doc.data)
    data["publisher"] = people[0]
    data["mentions"] = {actor: "x" for actor in mentioned}
    data["figures"] = [{**data["figures"][0], "reported_by": people[1], "via": people[2]}]
    first = {k: v for k, v in data["statements"][0].items() if k not in ("on_behalf_of", "via")}
    data["statements"] = [
        {**first, "speaker": people[3] or "nobody", "via": people[4], "on_behalf_of": people[5]}
        | {"addressees": addressees}
    ]
    article = Article.model_validate(data)
    origin = {"figures": [0], "statements": [0]}
    checked = CheckedArticle("a", article, "seeds/a.txt", Seed(""), "", origin=origin)
    names = {actor: actor for actor in _IDS}
    said = [
        actor
        for _, actor, must in _references(checked)
        if (known is not None and actor not in known)
        or (must and actor not in article.mentions and actor in names)
    ]
    # (every id is in names here, so resolving is exactly having nothing to say)
    assert _references_resolve(checked, known) == (said == [])


def _evidence_quote_by_quote(report: _Reporter, checked: CheckedArticle) -> None:
    """The evidence rule applied to each quote through ``_anchor`` and ``_published``: the
    reference for ``_check_evidence``, which settles a quote's common case itself."""
    for actor_id, quote in checked.record.mentions.items():
        loc: tuple[str | int, ...] = ("mentions", actor_id)
        span = _anchor(report, checked, loc, quote, None, first=True)
        if span is not None and _published(report, checked, loc, span):
            checked.mentions[actor_id] = span
    for kind, spans in (("figures", checked.figures), ("statements", checked.statements)):
        for index, record in checked.indexed(kind):
            loc = (kind, index, "quote")
            span = _anchor(report, checked, loc, record.quote, record.occurrence, first=False)
            if span is not None and _published(report, checked, loc, span):
                spans.append(span)


@settings(max_examples=400)
@given(
    text=st.text(alphabet="ab \n\x1f\u201c\u201d\u2019'\"", max_size=40),
    cuts=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=2),
    data=st.data(),
)
def test_the_evidence_of_an_article_is_what_each_quote_anchored_on_its_own_gives(
    text: str, cuts: list[tuple[int, int]], data: st.DataObject
) -> None:
    """Each quote's common case (a first or only place outside the excluded regions, a
    printable passage) is settled in ``_check_evidence`` itself: the anchored spans and
    every diagnostic are those of anchoring each quote through ``_anchor`` and
    ``_published``, whatever the places, the exclusions and the control characters (U+001F
    folds to a space). Quotes are mostly cut from the seed, so that they occur."""
    start = st.integers(0, len(text))
    quote = st.text(alphabet="ab \x1f'", min_size=1, max_size=4) | st.tuples(start, start).map(
        lambda cut: text[min(cut) : max(cut)]
    )
    mentions = data.draw(st.lists(quote, max_size=3))
    quotes = data.draw(st.lists(st.tuples(quote, st.none() | st.integers(1, 3)), max_size=4))
    names = [f"actor-{i}" for i in range(len(mentions))]
    source = "mentions:\n" + "".join(f"  {name}: x\n" for name in names) + "figures:\n"
    source += "- quote: x\n" * len(quotes)
    doc, _ = load_yaml(source, "data/articles/a.yaml")
    article = Article.model_construct(
        mentions=dict(zip(names, mentions, strict=True)),
        figures=[Figure.model_construct(quote=q, occurrence=n) for q, n in quotes],
        statements=[],
        reviewed=[],
    )
    excluded = [(min(a, b), max(a, b)) for a, b in cuts]
    origin = {"figures": list(range(len(quotes))), "statements": []}
    found = []
    for check in (_check_evidence, _evidence_quote_by_quote):
        checked = CheckedArticle(
            "a", article, "seeds/a.txt", Seed(text), "", excluded=excluded, origin=origin
        )
        report = _Reporter(doc)
        check(report, checked)
        found.append((report.found, checked.mentions, checked.figures))
    assert found[0] == found[1]
