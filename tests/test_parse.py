"""parse validates a record first with patterns pydantic-core checks in Rust for plain texts
and dates (``models.PLAIN``), calling the Python rules only for other values. The shortcut
must accept exactly what the models accept and build the same records; these tests fail
when a pattern lets through a value its rule refuses, or when the shortcut changes what is
accepted or built."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from conftest import FIXTURE, REPO
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator, core_schema

from chechnya_purges import models
from chechnya_purges.models import PLAIN, Actor, Article
from chechnya_purges.parse import _plain_first
from chechnya_purges.reader import load_yaml

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

_TEXT = PLAIN[models._safe_text]
_DATE = PLAIN[models._valid_date_prefix]


def _matched(pattern: str, values: list[str]) -> list[str]:
    """The values pydantic-core's own regex engine matches with the pattern (one call for
    all of them; a value it does not match becomes None)."""
    check = SchemaValidator(
        core_schema.list_schema(
            core_schema.with_default_schema(
                core_schema.str_schema(pattern=pattern), default=None, on_error="default"
            )
        )
    )
    return [value for value in check.validate_python(values) if value is not None]


def _accepted_unchanged(rule: Any, value: str) -> bool:
    try:
        return bool(rule(value) == value)
    except ValueError:  # PydanticCustomError
        return False


_EVERY_CHARACTER = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def test_a_plain_text_passes_the_text_rule_whatever_character_it_starts_or_goes_on_with() -> None:
    first = _matched(_TEXT, [char + "a" for char in _EVERY_CHARACTER])
    following = _matched(_TEXT, ["a" + char for char in _EVERY_CHARACTER])
    assert len(first) > 150 and len(following) > 1_000_000  # the common cases are plain
    assert [v for v in first + following if not _accepted_unchanged(models._safe_text, v)] == []
    # a whole value is plain only when each of its characters is
    assert _matched(_TEXT, ["a" + "b\x07c", "Quote\n\u201cmore\u201d", "=a", " a", ""]) == [
        "Quote\n\u201cmore\u201d"
    ]


_YEARS = [0, 1, 999, 1000, 1582, 1600, 1700, 1900, 1999, 2000, 2016, 2018, 2100, 2999, 3000]


def test_a_plain_date_passes_the_date_rule_in_every_year_month_and_day() -> None:
    values = [f"{year:04d}" for year in range(10_000)]
    values += [f"{year:04d}-{month:02d}" for year in range(0, 10_000, 7) for month in range(100)]
    values += [
        f"{year:04d}-{month:02d}-{day:02d}"
        for year in _YEARS
        for month in range(100)
        for day in range(100)
    ]
    plain = _matched(_DATE, values)
    assert [v for v in plain if not _accepted_unchanged(models._valid_date_prefix, v)] == []
    assert {"2018", "2018-02-28", "2018-04-30", "2018-12-31", "2016-03-29"} <= set(plain)
    assert not {"0000", "2018-02-29", "2016-02-29", "2018-04-31", "2018-13", "20180"} & set(plain)


# Texts and dates made mostly of the characters the patterns allow, with the ones they
# must not allow mixed in.
_ALPHABET = "aZ09 .,;:!?\"'()\n=+-@\t\x07\x7f\x85\xa0\xad\u200b\u202e\u2028\u201c\u00e9\uff1d"


@given(
    st.one_of(
        st.text(_ALPHABET),
        st.text(),
        st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\n?", fullmatch=True),
    ),
    st.sampled_from(sorted(PLAIN, key=lambda rule: rule.__name__)),
)
def test_any_value_a_pattern_matches_its_rule_accepts_unchanged(value: str, rule: Any) -> None:
    for plain in _matched(PLAIN[rule], [value, "a" + value, "2" + value]):
        assert _accepted_unchanged(rule, plain)


def _same(model: type[BaseModel], data: Any) -> None:
    """The shortcut accepts what the model accepts and builds an equal record."""
    try:
        expected: BaseModel | None = model.model_validate(data)
    except ValidationError:
        expected = None
    try:
        got: BaseModel | None = _plain_first(model).validate_python(data)
    except ValidationError:
        got = None
    assert got == expected
    if got is not None and expected is not None:
        assert type(got) is type(expected) is model
        assert got.model_fields_set == expected.model_fields_set


def _records(root: Path) -> tuple[list[Any], list[Any]]:
    articles = [
        load_yaml(path.read_text(encoding="utf-8"), path.name)[0].data
        for path in sorted((root / "data" / "articles").glob("*.yaml"))
    ]
    registry = load_yaml((root / "data" / "actors.yaml").read_text(encoding="utf-8"), "a")
    return articles, registry[0].data


def test_the_shortcut_builds_the_records_of_the_dataset_and_the_benchmark(
    tmp_path: Path,
) -> None:
    generate(12, tmp_path)
    for root in (REPO, FIXTURE, tmp_path):
        articles, actors = _records(root)
        assert articles and actors
        for article in articles:
            _same(Article, article)
        for actor in actors:
            _same(Actor, actor)


# Values for the text and date fields of a real article: plain ones, and every kind of
# value a rule refuses or that only the rule itself can accept.
_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            *["=1", "+1", "-1", "@a", " =a", "\u200b=a", "\uff1da", "   ", "\u200b", "a\x07"],
            *["a\u202e", "\u201cquoted\u201d", "\u00e9t\u00e9", "a\nb", "a\u2028b", "\u00a0a"],
            *["2018", "2018-02-29", "2016-02-29", "2018-04-31", "2018-12-31", "0000", "2018-13"],
            *["2018-7", "2018-06-30\n", "2999-01-01", "3000-01-01", "0999"],
        ]
    ),
    st.integers(min_value=-10, max_value=10_000),
    st.none(),
)
_ARTICLE = load_yaml(
    (FIXTURE / "data" / "articles" / "001_freedonia.yaml").read_text(encoding="utf-8"), "a"
)[0].data


@given(st.data())
def test_the_shortcut_accepts_and_builds_what_the_model_does_whatever_the_values(
    data: st.DataObject,
) -> None:
    article: dict[str, Any] = {**_ARTICLE, "statements": [dict(s) for s in _ARTICLE["statements"]]}
    for name in ("title", "published", "note", "url"):
        if data.draw(st.booleans()):
            article[name] = data.draw(_VALUES)
    for statement in article["statements"]:
        for name in ("quote", "said", "speaker_label", "note"):
            if data.draw(st.booleans()):
                statement[name] = data.draw(_VALUES)
    article["mentions"] = {key: data.draw(_VALUES) for key in article.get("mentions", {})}
    _same(Article, article)
