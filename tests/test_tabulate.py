"""tabulate writes an article's CSV lines and JSON record from its rows' values, encoded once
per table: byte for byte what the csv module writes of the rows, and what the JSON encoder
writes of the objects made from them, whatever the values hold (None, dates, vocabulary
members, quotes, commas, backslashes, line breaks, NUL and other control characters, text
beyond ASCII, and strings that look like null, numbers or format directives)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from hypothesis import example, given
from hypothesis import strategies as st

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

from chechnya_purges import tables
from chechnya_purges.checks import CheckedArticle
from chechnya_purges.dataset import load
from chechnya_purges.models import date_bounds, qualifier_bounds
from chechnya_purges.tables import TABLES, Column, Linked, Table, Tabulated, Value, tabulate

_BY_NAME = {table.name: table for table in TABLES}
_NESTED = ("mentions", "figures", "statements")


def _csv(body: list[tuple[Value, ...]]) -> str:
    """The rows as the csv module writes them in the package's dialect."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(body)
    return out.getvalue()


def _iso(value: object) -> str:
    assert isinstance(value, date)
    return value.isoformat()


def _json(value: object) -> str:
    """What the standard library's encoder writes, with the package's options."""
    return json.dumps(value, ensure_ascii=False, default=_iso)


def _object(table: Table, row: tuple[Value, ...], drop: str = "") -> dict[str, Any]:
    return {c.name: v for c, v in zip(table.columns, row, strict=True) if c.name != drop}


_TEXT = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(',"\\\n\r\t\x00\x1f\u2028é—ж%:[]{}|')),
    max_size=12,
)
_LOOKALIKES = st.sampled_from(["", "null", "None", "1", "-2", "%s", "%.0s", '"', "a,b", "n"])


def _value(column: Column) -> st.SearchStrategy[Value]:
    base: st.SearchStrategy[Value]
    if column.enum is not None:
        base = st.sampled_from(list(column.enum))
    elif column.kind == "integer":
        base = st.integers(min_value=-(10**20), max_value=10**20)
    elif column.kind == "date":
        base = st.one_of(st.dates(), st.dates().map(date.isoformat))
    else:
        base = st.one_of(_TEXT, _LOOKALIKES)
    return base if column.required else st.one_of(st.none(), base)


def _rows(table: Table) -> st.SearchStrategy[list[tuple[Value, ...]]]:
    return st.lists(st.tuples(*(_value(c) for c in table.columns)), max_size=4)


def _table_and_rows(names: tuple[str, ...]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.sampled_from(names).flatmap(lambda n: st.tuples(st.just(n), _rows(_BY_NAME[n])))


_PLAIN_MENTION = ("a", "b", "Plain words", 0, 11)
_MENTION_WITH_COMMA = ("a", "b", "Words, with a comma", 0, 19)


@given(_table_and_rows(tuple(_BY_NAME)))
@example(("mentions", [_PLAIN_MENTION, ("a", "c", "Ещё — «нет»", 20, 31)]))
@example(("mentions", [_PLAIN_MENTION, _MENTION_WITH_COMMA]))
@example(("mentions", [_PLAIN_MENTION, ("a", "c", 'A "quote"', 20, 29)]))
@example(("articles", [("a", None, "news_article", "null", "", "en", None) + (None,) * 7]))
def test_csv_lines_are_what_the_csv_module_writes(case: tuple[str, Any]) -> None:
    _, body = case
    assert tables._csv_lines(body, tables._values_text(body)) == _csv(body)


@given(st.lists(st.tuples(st.one_of(st.none(), st.just(""), _TEXT)), max_size=4))
def test_a_table_of_one_column_is_written_as_the_csv_module_writes_it(
    body: list[tuple[Value, ...]],
) -> None:
    """No table has one column today; were one added, its empty field alone on a line is
    written "" by the csv module (an empty line would be a row of no fields)."""
    assert tables._csv_lines(body, tables._values_text(body)) == _csv(body)


@given(_table_and_rows(("articles", *_NESTED)), st.lists(st.lists(_TEXT, max_size=2), max_size=4))
@example(("mentions", [_PLAIN_MENTION, _MENTION_WITH_COMMA]), [])
def test_nested_objects_are_what_the_encoder_writes_of_the_rows_as_dicts(
    case: tuple[str, Any], addressees: list[list[str]]
) -> None:
    name, body = case
    table = _BY_NAME[name]
    drop = "article_id" if name in _NESTED else ""
    objects = [_object(table, row, drop) for row in body]
    extra = None
    if name == "statements":
        addressees = (addressees + [[]] * len(body))[: len(body)]
        extra = [_json(actors) for actors in addressees]
        objects = [o | {"addressees": a} for o, a in zip(objects, addressees, strict=True)]
    expected = ", ".join(_json(o) for o in objects)
    assert tables._objects(name, body, tables._values_text(body), extra) == expected


def _expected_record(c: CheckedArticle) -> bytes:
    """The article's record as its rows, made into dicts, are written by the encoder."""
    bodies = {
        name: tables._sorted(_BY_NAME[name], list(make(c)))
        for name, make in tables._ARTICLE_ROWS.items()
    }
    (row,) = bodies["articles"]
    item = _object(_BY_NAME["articles"], row)
    item["authors"] = list(c.record.authors)
    item["published_note"] = c.record.published_note
    item["note"] = c.record.note
    item["excluded"] = [
        {"lines": e.lines, "start": span[0], "end": span[1], "reason": e.reason.value}
        for e, span in zip(c.record.excluded, c.excluded, strict=True)
    ]
    item["block_quotes"] = [
        {"lines": lines, "start": span[0], "end": span[1]}
        for lines, span in zip(c.record.block_quotes, c.block_quotes, strict=True)
    ]
    addressees: dict[Value, list[Value]] = {}
    for statement_id, actor_id in bodies["statement_addressees"]:
        addressees.setdefault(statement_id, []).append(actor_id)
    for name in _NESTED:
        item[name] = [_object(_BY_NAME[name], r, drop="article_id") for r in bodies[name]]
    for statement in item["statements"]:
        statement["addressees"] = addressees.get(statement["statement_id"], [])
    return _json(item).encode("utf-8")


def _expected_links(c: CheckedArticle) -> tuple[Linked, ...]:
    """The figures and then the statements linked to a claim, in the record's order, as the
    records give them."""
    found = []
    for f, span in zip(c.record.figures, c.figures, strict=True):
        if f.claim is not None:
            low, high = qualifier_bounds(f.qualifier, f.value)
            found.append(
                Linked(
                    f.claim,
                    f"{c.id}:{f.id}",
                    None,
                    span.start,
                    f.reported_by,
                    f.via,
                    f.value,
                    f.qualifier,
                    low,
                    high,
                    span.text,
                )
            )
    for s, span in zip(c.record.statements, c.statements, strict=True):
        if s.claim is not None:
            found.append(
                Linked(
                    s.claim,
                    None,
                    f"{c.id}:{s.id}",
                    span.start,
                    s.speaker,
                    s.via,
                    *[None] * 4,
                    span.text,
                )
            )
    return tuple(found)


def _both(
    c: CheckedArticle,
) -> tuple[Tabulated, bytes, dict[str, bytes], tuple[Linked, ...], bool]:
    """What tabulate makes of the article, what it should make, and whether every table of
    the article has its CSV lines made from the values' JSON texts (no comma, no escape)."""
    bodies = {
        name: tables._sorted(_BY_NAME[name], list(make(c)))
        for name, make in tables._ARTICLE_ROWS.items()
    }
    lines = {n: _csv(b).encode() for n, b in bodies.items()}
    texts = [tables._values_text(body) for body in bodies.values()]
    plain = not any("," in text or "\\" in text for text in texts)
    return tabulate(c), _expected_record(c), lines, _expected_links(c), plain


# Text a stranger's record may hold, each part a line of the seed that a quote takes whole:
# format directives (the templates fill "%s"), text that looks like null or a number, the
# Unicode line and paragraph separators (no escape in JSON, no quoting in CSV), a character
# beyond the BMP, a combining mark, a long passage.
_ODD_LINES = [
    "100% of the %s and %% men",
    "null",
    "%(name)s and %d and %.0s",
    "first\u2028second\u2029third",
    "the \U0001d11e music \U0001f3f3\ufe0f\u200d\U0001f308 flag",
    "Cafe\u0301 owner",
    "word " * 400 + "end",
    "Kadyrov, the leader",
    "a back\\slash here",
    'he said "no" twice',
]
_QUALIFIED = [  # every qualifier, with values at the edges the models allow
    ("exact", 0, "2017", "2017"),
    ("approximately", 1, "2017-04", "2017-12"),
    ("at_least", 9007199254740991, "2017-04-01", "2017-04-30"),
    ("more_than", 3, "2016-02", "2019-02"),
    ("at_most", 7, "2016-02-29", "2017"),
    ("fewer_than", 1, "2017", "2019-12-31"),
]
_SAID = ["2017", "2017-09", "2017-09-05", None, "2016-02-29", "2017-02"]


def _odd_article(root: Path, article_id: str, *, plain: bool, empty: bool = False) -> None:
    """An article whose every text is odd; ``plain`` leaves out commas, backslashes and
    quotation marks, so that its CSV lines are made from the JSON texts (``_csv_lines``)."""

    def text(value: str) -> str:
        if plain:
            for char in ',\\"':
                value = value.replace(char, "")
        return value

    def q(value: str) -> str:
        return json.dumps(text(value), ensure_ascii=False)

    figure_quotes = [
        f"fig{i} {value} men %s nullish \U0001d11e e\u0301"
        for i, (_, value, *_) in enumerate(_QUALIFIED)
    ]
    lines = ["Grozny 1 April 2017", *_ODD_LINES, *figure_quotes, "the U.S. government"]
    seed = text("\n\n".join(lines) + "\n")
    (root / "seeds" / f"{article_id}.txt").write_text(seed, encoding="utf-8")
    record = [
        f"seed_sha256: {hashlib.sha256(seed.encode()).hexdigest()}",
        "publisher: washington-blade",
        "kind: news_article",
        "title: " + q('100% "null" %s, %% \\ \u2028 \U0001d11e e\u0301'),
        "authors: [" + ", ".join(q(a) for a in ["%s", "a, b", "null", "\U0001d11e"]) + "]",
        "language: en",
        "published: 2020-01",
        "published_basis: stated",
        "note: " + q('note %s %% , \\ " null\nsecond line\u2029'),
    ]
    if empty:
        record += ["mentions: {}", "figures: []", "statements: []"]
    else:
        actors = [
            "washington-blade",
            "michael-k-lavers",
            "rex-tillerson",
            "sergey-lavrov",
            "ramzan-kadyrov",
            "novaya-gazeta",
            "vladimir-putin",
            "hbo",
            "unhcr",
            "rainbow-railroad",
        ]
        record += ["mentions:", "  us-government: " + q("the U.S. government")]
        record += [
            f"  {actor}: {q(quote)}" for actor, quote in zip(actors, _ODD_LINES, strict=True)
        ]
        record += ["figures:"]
        for i, (qualifier, value, start, end) in enumerate(_QUALIFIED):
            record += [
                f"  - id: f{i}",
                "    category: detained",
                f"    value: {value}",
                f"    qualifier: {qualifier}",
                "    unit: people",
                "    subject: " + q(f'men %s {i}, \\ " null\u2028'),
                "    place: " + q("100%, Grozny"),
                f"    period: {{start: {start}, end: {end}}}",
                "    reported_by: novaya-gazeta",
                "    quote: " + q(figure_quotes[i]),
                "    note: " + q("n%%s" * (i + 1)),
            ]
            record += ["    claim: novaya-gazeta-detained-over-100"] if i % 2 == 0 else []
            record += ["    via: washington-blade"] if i == 1 else []
        record += ["statements:"]
        for i, said in enumerate(_SAID):
            record += [
                f"  - id: s{i}",
                "    speaker: rex-tillerson",
                "    speaker_label: " + q('%s the, \\ "x" null'),
                "    act: report",
                "    mode: indirect",
                "    medium: letter",
                "    quote: " + q(_ODD_LINES[i]),
            ]
            record += [f"    said: {said}", "    said_basis: relative"] if said else []
            record += ["    addressees: [sergey-lavrov, us-government]"] if i in (0, 2, 5) else []
            record += ["    claim: tillerson-letter-to-lavrov-2017"] if i in (1, 2) else []
            record += (
                ["    via: washington-blade", "    on_behalf_of: us-government"] if i == 3 else []
            )
    path = root / "data" / "articles" / f"{article_id}.yaml"
    path.write_text("\n".join(record) + "\n", encoding="utf-8")


def _odd_corpus(root: Path) -> None:
    """The repository's data and articles with odd texts, whose ids are prefixes of each
    other's ("odd" of "odd-b", "odd.b" and "odd_b"); one of them has no mention, figure or
    statement."""
    for folder in ("data", "seeds"):
        shutil.copytree(REPO / folder, root / folder)
    _odd_article(root, "odd", plain=False)
    _odd_article(root, "odd-b", plain=True)
    _odd_article(root, "odd.b", plain=True, empty=True)
    _odd_article(root, "odd_b", plain=False)


@pytest.mark.parametrize("corpus", ["repository", "generated", "odd"])
def test_each_article_is_written_as_its_rows_and_objects_are(corpus: str, tmp_path: Path) -> None:
    """On the real data (quotes, Cyrillic, addressees, excluded regions), a generated
    corpus (the benchmark's) and articles with odd texts (``_odd_corpus``)."""
    root = REPO
    if corpus == "generated":
        root = tmp_path / "corpus"
        generate(40, root)
    elif corpus == "odd":
        root = tmp_path / "odd"
        _odd_corpus(root)
    dataset, problems = load(root, _both)
    assert not [p for p in problems if p.severity == "error"]
    assert len(dataset.articles) >= 5
    for tabulated, record, lines, links, _ in dataset.articles:
        assert tabulated.record == record, tabulated.id
        assert tabulated.csv == lines, tabulated.id
        assert tabulated.links == links, tabulated.id
    if corpus == "repository":
        assert any(links for *_, links, _ in dataset.articles)
    if corpus == "odd":
        plain = {tabulated.id: plain for tabulated, *_, plain in dataset.articles}
        assert {"odd": False, "odd-b": True, "odd.b": True, "odd_b": False}.items() <= plain.items()


@given(_table_and_rows(tuple(_BY_NAME)))
@example(("mentions", [("a", "b", "x|y: [1, 2] {}", 0, 1), ("a", "c", None, -1, 10**20)]))
def test_each_values_text_is_what_the_encoder_writes_of_it(case: tuple[str, Any]) -> None:
    _, body = case
    texts = tables._value_texts(body, tables._values_text(body))
    assert texts == [_json(value) for row in body for value in row]


@given(st.dates(), st.sampled_from([4, 7, 10]))
def test_a_dates_bounds_are_the_models_in_iso_form(day: date, width: int) -> None:
    text = day.isoformat()[:width]
    precision, earliest, latest = date_bounds(text)
    assert tables._iso_bounds(text) == (text, precision, str(earliest), str(latest))


def _dated(c: CheckedArticle) -> list[tuple[Value, ...]]:
    """Each figure's period and statement's date as its row gives them, beside the model's
    bounds of the same text."""
    found: list[tuple[Value, ...]] = []
    for figure, row in zip(c.record.figures, _rows_of(c, "figures"), strict=True):
        period = figure.period
        start = date_bounds(period.start)[1] if period and period.start else None
        end = date_bounds(period.end)[2] if period and period.end else None
        found.append((row[10], row[11], start and str(start), end and str(end)))
    for statement, row in zip(c.record.statements, _rows_of(c, "statements"), strict=True):
        bounds = date_bounds(statement.said) if statement.said else (None, None, None)
        expected = (statement.said, bounds[0], *(d and str(d) for d in bounds[1:]))
        found.append((*row[9:13], *expected))
    return found


def _rows_of(c: CheckedArticle, name: str) -> list[tuple[Value, ...]]:
    """An article's rows of a table, in its records' order."""
    return list(tables._ARTICLE_ROWS[name](c))


@pytest.mark.parametrize("corpus", ["repository", "generated"])
def test_dates_in_rows_are_the_models_bounds(corpus: str, tmp_path: Path) -> None:
    root = REPO
    if corpus == "generated":
        root = tmp_path / "corpus"
        generate(40, root)
    dataset, _ = load(root, _dated)
    pairs = [entry for found in dataset.articles for entry in found]
    assert any(entry[0] is not None for entry in pairs)
    for entry in pairs:
        half = len(entry) // 2
        assert entry[:half] == entry[half:]
