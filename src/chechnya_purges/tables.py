"""Stage 4, tabulate: checked records → flat rows per table, and the nested JSON document.

The column lists below are the published contract (DESIGN's output tables). A column that
carries a model field names it, and takes its type, vocabulary, required-ness and description
from the model; only derived columns (ids, offsets, date bounds) describe themselves here. The
Table Schemas, the JSON Schema of the nested document and the CSV headers are all generated
from these specs.

An article's rows are turned into CSV lines here too, in the worker process that checked it
(see ``Tabulated``); ``write`` assembles the files.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import json
import tempfile
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import chain, compress, repeat
from operator import add, is_not, itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from pydantic import BaseModel

from .checks import CheckedArticle
from .dataset import Dataset
from .models import (
    Actor,
    Affiliation,
    Article,
    Claim,
    DatePrecision,
    Exclusion,
    ExclusionReason,
    Figure,
    Qualifier,
    Statement,
    date_bounds,
    enum_of,
    field_description,
    qualifier_bounds,
)
from .outputs import BLOCK, blocks

__all__ = [
    "JSON_NAME",
    "REGISTRY_TABLES",
    "TABLES",
    "Column",
    "Filed",
    "LineageChange",
    "Spool",
    "Table",
    "Tabulated",
    "article_csv",
    "csv_text",
    "csv_writer",
    "document",
    "document_schema",
    "rows",
    "tabulate",
]

JSON_NAME = "chechnya-purges.json"
JSON_PATH = f"build/{JSON_NAME}"
Value = str | int | date | None


@dataclass(frozen=True)
class Column:
    """One published column: its name, Table Schema type, and where its meaning comes from."""

    name: str
    kind: str
    description: str
    required: bool = False
    enum: type[StrEnum] | None = None


def field(
    name: str, model: type[BaseModel], attribute: str, *, required: bool | None = None
) -> Column:
    """A column that publishes a model field: everything but its name comes from the model."""
    info = model.model_fields[attribute]
    kind = "integer" if info.annotation is int else "string"
    is_required = info.is_required() if required is None else required
    return Column(
        name, kind, field_description(model, attribute), is_required, enum_of(model, attribute)
    )


def derived(
    name: str,
    kind: str,
    description: str,
    *,
    required: bool = False,
    enum: type[StrEnum] | None = None,
) -> Column:
    """A column computed by the build (ids, offsets, date bounds)."""
    return Column(name, kind, description, required, enum)


def _dates(prefix: str, model: type[BaseModel], attribute: str, basis: str) -> list[Column]:
    return [
        field(prefix, model, attribute),
        derived(
            f"{prefix}_precision",
            "string",
            f"Precision of {prefix}: year, month or day.",
            enum=DatePrecision,
        ),
        derived(f"{prefix}_earliest", "date", f"First day {prefix} can be."),
        derived(f"{prefix}_latest", "date", f"Last day {prefix} can be."),
        field(f"{prefix}_basis", model, basis),
    ]


def _evidence(what: str) -> list[Column]:
    return [
        derived(
            "quote", "string", f"The seed's exact text that evidences the {what}.", required=True
        ),
        derived(
            "start",
            "integer",
            "Offset of the quote's first character in the seed "
            "(Unicode code points, counting from 0).",
            required=True,
        ),
        derived(
            "end",
            "integer",
            "Offset just past the quote's last character (half-open).",
            required=True,
        ),
    ]


ARTICLE_ID = derived(
    "article_id", "string", "Id of the article: its seed's file name without .txt.", required=True
)
ACTOR_ID = field("actor_id", Actor, "id")
CLAIM_ID = field("claim_id", Claim, "id")


class LineageChange(StrEnum):
    """How a record of a claim differs from the claim's first record (its first appearance)."""

    value_changed = "value_changed"
    qualifier_changed = "qualifier_changed"
    bounds_changed = "bounds_changed"
    attribution_added = "attribution_added"
    attribution_changed = "attribution_changed"
    attribution_dropped = "attribution_dropped"
    via_added = "via_added"
    via_changed = "via_changed"
    via_dropped = "via_dropped"


# Lineage rows are ordered by their article's publication: the last day it can have
# appeared, then the first, then the article id, then the place of the record in the
# article. An article dated only to a month is placed after one of a day in that month: it
# is known to be out only by the month's end.
LINEAGE_ORDER = (
    "published_latest, then published_earliest, then article_id, then the record's place in "
    "the article"
)


@dataclass(frozen=True)
class Table:
    """One CSV resource of the Data Package."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = ()  # (column, table, column)

    @property
    def path(self) -> str:
        return f"build/{self.name}.csv"


TABLES: tuple[Table, ...] = (
    Table(
        "actors",
        "Every person, body, outlet or group the articles name, once.",
        (
            ACTOR_ID,
            field("name", Actor, "name"),
            field("kind", Actor, "kind"),
            field("country", Actor, "country"),
            field("wikidata_id", Actor, "wikidata"),
            field("description", Actor, "description"),
        ),
        ("actor_id",),
    ),
    Table(
        "affiliations",
        "Roles the articles state an actor holds in an organisation. Dates given as a year "
        "or month are published as the widest range they allow.",
        (
            field("actor_id", Actor, "id"),
            field("organization_id", Affiliation, "org"),
            field("role", Affiliation, "role"),
            derived("start", "date", "First day the role can have begun."),
            derived("end", "date", "Last day the role can have ended."),
        ),
        ("actor_id", "organization_id"),
        (("actor_id", "actors", "actor_id"), ("organization_id", "actors", "actor_id")),
    ),
    Table(
        "articles",
        "One row per annotated article.",
        (
            ARTICLE_ID,
            field("publisher_id", Article, "publisher"),
            field("kind", Article, "kind"),
            field("title", Article, "title"),
            derived("authors", "string", "Authors as published, joined with '; '."),
            field("language", Article, "language"),
            field("url", Article, "url"),
            *_dates("published", Article, "published", "published_basis"),
            derived(
                "seed_path",
                "string",
                "Path of the article's text in the repository.",
                required=True,
            ),
            field("seed_sha256", Article, "seed_sha256"),
        ),
        ("article_id",),
        (("publisher_id", "actors", "actor_id"),),
    ),
    Table(
        "mentions",
        "Where each article names each actor (its first naming outside excluded regions).",
        (ARTICLE_ID, ACTOR_ID, *_evidence("mention")),
        ("article_id", "actor_id"),
        (("article_id", "articles", "article_id"), ("actor_id", "actors", "actor_id")),
    ),
    Table(
        "figures",
        "Numbers the articles report about people affected or acting together. low and high "
        "are the inclusive bounds the wording implies.",
        (
            derived(
                "figure_id", "string", "Id of the figure: <article_id>:<local id>.", required=True
            ),
            ARTICLE_ID,
            field("category", Figure, "category"),
            field("value", Figure, "value"),
            field("qualifier", Figure, "qualifier"),
            derived(
                "low",
                "integer",
                "Smallest count the wording allows (more than 100 → "
                "101); empty when the wording sets none.",
            ),
            derived(
                "high",
                "integer",
                "Largest count the wording allows (fewer than 10 → 9); "
                "empty when the wording sets none.",
            ),
            field("unit", Figure, "unit"),
            field("subject", Figure, "subject"),
            field("place", Figure, "place"),
            derived("period_start", "date", "First day of the period the figure covers."),
            derived("period_end", "date", "Last day of the period the figure covers."),
            field("reported_by", Figure, "reported_by"),
            field("via", Figure, "via"),
            *_evidence("figure"),
            field("note", Figure, "note"),
            field("claim_id", Figure, "claim"),
        ),
        ("figure_id",),
        (
            ("article_id", "articles", "article_id"),
            ("reported_by", "actors", "actor_id"),
            ("via", "actors", "actor_id"),
            ("claim_id", "claims", "claim_id"),
        ),
    ),
    Table(
        "statements",
        "Speech acts the articles report, one speaker and one act each.",
        (
            derived(
                "statement_id",
                "string",
                "Id of the statement: <article_id>:<local id>.",
                required=True,
            ),
            ARTICLE_ID,
            field("speaker_id", Statement, "speaker"),
            field("speaker_label", Statement, "speaker_label"),
            field("on_behalf_of", Statement, "on_behalf_of"),
            field("via", Statement, "via"),
            field("act", Statement, "act"),
            field("mode", Statement, "mode"),
            field("medium", Statement, "medium"),
            *_dates("said", Statement, "said", "said_basis"),
            *_evidence("statement"),
            field("note", Statement, "note"),
            field("claim_id", Statement, "claim"),
        ),
        ("statement_id",),
        (
            ("article_id", "articles", "article_id"),
            ("speaker_id", "actors", "actor_id"),
            ("on_behalf_of", "actors", "actor_id"),
            ("via", "actors", "actor_id"),
            ("claim_id", "claims", "claim_id"),
        ),
    ),
    Table(
        "statement_addressees",
        "Whom each statement is directed at.",
        (
            derived("statement_id", "string", "The statement.", required=True),
            ACTOR_ID,
        ),
        ("statement_id", "actor_id"),
        (("statement_id", "statements", "statement_id"), ("actor_id", "actors", "actor_id")),
    ),
    Table(
        "claims",
        "One number or speech event that several figures or statements report, each with its "
        "own wording and attribution (data/claims.yaml). Count claims, not figure rows, to "
        "avoid counting one report many times.",
        (
            CLAIM_ID,
            field("kind", Claim, "kind"),
            field("summary", Claim, "summary"),
            field("origin_id", Claim, "origin"),
            field("note", Claim, "note"),
            derived(
                "records",
                "integer",
                "How many figures or statements link to the claim.",
                required=True,
            ),
            derived("articles", "integer", "In how many articles they are.", required=True),
            derived(
                "first_article_id",
                "string",
                f"The article that reports the claim first (by {LINEAGE_ORDER}); empty when "
                "no record links to it.",
            ),
            derived(
                "first_published_earliest",
                "date",
                "First day the first article can have been published.",
            ),
        ),
        ("claim_id",),
        (
            ("origin_id", "actors", "actor_id"),
            ("first_article_id", "articles", "article_id"),
        ),
    ),
    Table(
        "lineage",
        "Each claim's records in the order of their articles' publication "
        f"({LINEAGE_ORDER}), with what changed against the claim's first appearance.",
        (
            CLAIM_ID,
            derived(
                "position",
                "integer",
                "Place of the record in the claim's lineage, from 1 (the first appearance).",
                required=True,
            ),
            derived("figure_id", "string", "The figure, for a figure claim."),
            derived("statement_id", "string", "The statement, for a statement claim."),
            ARTICLE_ID,
            *_dates("published", Article, "published", "published_basis")[:4],
            derived(
                "credited_to",
                "string",
                "Actor the article credits: the figure's reported_by (empty when the article "
                "states the number in its own voice) or the statement's speaker.",
            ),
            derived("via", "string", "Actor that relays the number or the words."),
            field("value", Figure, "value", required=False),
            field("qualifier", Figure, "qualifier", required=False),
            derived("low", "integer", "Smallest count the wording allows (see figures.low)."),
            derived("high", "integer", "Largest count the wording allows (see figures.high)."),
            derived(
                "quote",
                "string",
                "The seed's exact text that evidences the record.",
                required=True,
            ),
            derived(
                "changes",
                "string",
                "What differs from the first appearance (position 1), joined with '; ': "
                + ", ".join(change.value for change in LineageChange)
                + ". Empty for the first appearance and for records that repeat it.",
            ),
        ),
        ("claim_id", "position"),
        (
            ("claim_id", "claims", "claim_id"),
            ("figure_id", "figures", "figure_id"),
            ("statement_id", "statements", "statement_id"),
            ("article_id", "articles", "article_id"),
            ("credited_to", "actors", "actor_id"),
            ("via", "actors", "actor_id"),
        ),
    ),
)


def _bounds(text: str | None) -> tuple[str | None, DatePrecision | None, date | None, date | None]:
    if text is None:
        return None, None, None, None
    precision, earliest, latest = date_bounds(text)
    return text, precision, earliest, latest


@functools.lru_cache(maxsize=4096)
def _iso_bounds(text: str) -> tuple[str, DatePrecision, str, str]:
    """A date's text, precision and bounds, the bounds in ISO form: what the CSV (str) and
    the JSON (``_isoformat``) write of a date. Dates repeat within an article and across
    articles, so each is worked out once in a worker, not for every statement."""
    precision, earliest, latest = date_bounds(text)
    return text, precision, earliest.isoformat(), latest.isoformat()


_NO_DATE = (None, None, None, None)
# Bounds repeat too (a figure's low and high follow its qualifier and value alone).
_qualifier_bounds = functools.lru_cache(maxsize=4096)(qualifier_bounds)


def _actor_rows(dataset: Dataset[Filed]) -> Iterator[tuple[Value, ...]]:
    for a in dataset.actors:
        yield a.id, a.name, a.kind, a.country, a.wikidata, a.description


def _affiliation_rows(dataset: Dataset[Filed]) -> Iterator[tuple[Value, ...]]:
    for a in dataset.actors:
        for f in a.affiliations:
            start = date_bounds(f.start)[1] if f.start else None
            end = date_bounds(f.end)[2] if f.end else None
            yield a.id, f.org, f.role, start, end


def _article_rows(c: CheckedArticle) -> Iterator[tuple[Value, ...]]:
    r = c.record
    yield (
        c.id,
        r.publisher,
        r.kind,
        r.title,
        "; ".join(r.authors),
        r.language,
        r.url,
        *_bounds(r.published),
        r.published_basis,
        c.seed_path,
        c.seed_sha256,
    )


def _mention_rows(c: CheckedArticle) -> Iterator[tuple[Value, ...]]:
    for actor_id, span in c.mentions.items():
        yield c.id, actor_id, span.text, span.start, span.end


def _figure_rows(c: CheckedArticle) -> Iterator[tuple[Value, ...]]:
    for f, span in zip(c.record.figures, c.figures, strict=True):
        period = f.period
        start = _iso_bounds(period.start)[2] if period and period.start else None
        end = _iso_bounds(period.end)[3] if period and period.end else None
        yield (
            f"{c.id}:{f.id}",
            c.id,
            f.category,
            f.value,
            f.qualifier,
            *_qualifier_bounds(f.qualifier, f.value),
            f.unit,
            f.subject,
            f.place,
            start,
            end,
            f.reported_by,
            f.via,
            span.text,
            span.start,
            span.end,
            f.note,
            f.claim,
        )


def _statement_rows(c: CheckedArticle) -> Iterator[tuple[Value, ...]]:
    for s, span in zip(c.record.statements, c.statements, strict=True):
        said = _NO_DATE if s.said is None else _iso_bounds(s.said)
        yield (
            f"{c.id}:{s.id}",
            c.id,
            s.speaker,
            s.speaker_label,
            s.on_behalf_of,
            s.via,
            s.act,
            s.mode,
            s.medium,
            *said,
            s.said_basis,
            span.text,
            span.start,
            span.end,
            s.note,
            s.claim,
        )


def _addressee_rows(c: CheckedArticle) -> Iterator[tuple[Value, ...]]:
    for s in c.record.statements:
        for actor_id in s.addressees:
            yield f"{c.id}:{s.id}", actor_id


class Linked(NamedTuple):
    """A figure or statement linked to a claim, as its claim's lineage shows it."""

    claim: str
    figure_id: str | None
    statement_id: str | None
    start: int
    credited_to: str | None
    via: str | None
    value: int | None
    qualifier: Qualifier | None
    low: int | None
    high: int | None
    quote: str


def _linked(
    figures: list[tuple[Value, ...]], statements: list[tuple[Value, ...]]
) -> Iterator[Linked]:
    """The figures and then the statements linked to a claim, in the record's order, read
    from their rows (a row's values are read faster than a record's attributes)."""
    for row in compress(figures, map(is_not, map(_FIGURE_CLAIM, figures), repeat(None))):
        claim, figure_id, start, credited_to, via, value, qualifier, low, high, quote = (
            _FIGURE_LINK(row)
        )
        yield Linked(
            claim, figure_id, None, start, credited_to, via, value, qualifier, low, high, quote
        )
    for row in compress(statements, map(is_not, map(_STATEMENT_CLAIM, statements), repeat(None))):
        claim, statement_id, start, credited_to, via, quote = _STATEMENT_LINK(row)
        yield Linked(
            claim, None, statement_id, start, credited_to, via, None, None, None, None, quote
        )


def _changes(first: Linked, this: Linked) -> list[LineageChange]:
    """What a record of a claim changes against the claim's first appearance."""
    found = []
    if this.value != first.value:
        found.append(LineageChange.value_changed)
    if this.qualifier != first.qualifier:
        found.append(LineageChange.qualifier_changed)
    if (this.low, this.high) != (first.low, first.high):
        found.append(LineageChange.bounds_changed)
    for name, added, changed, dropped in (
        (
            "credited_to",
            LineageChange.attribution_added,
            LineageChange.attribution_changed,
            LineageChange.attribution_dropped,
        ),
        ("via", LineageChange.via_added, LineageChange.via_changed, LineageChange.via_dropped),
    ):
        before, after = getattr(first, name), getattr(this, name)
        if before == after:
            continue
        found.append(added if before is None else dropped if after is None else changed)
    return found


_ARTICLE_COLUMNS = [c.name for t in TABLES if t.name == "articles" for c in t.columns]
# What the package needs of an article row after the article's own rows are written: its
# publication date (for lineage order) and what the descriptor's sources name.
_KEPT = (
    "published",
    "published_precision",
    "published_earliest",
    "published_latest",
    "title",
    "publisher_id",
    "url",
    "seed_path",
)
_KEEP = itemgetter(*(_ARTICLE_COLUMNS.index(name) for name in _KEPT))
_AUTHORS = _ARTICLE_COLUMNS.index("authors")


def _lineages(dataset: Dataset[Filed]) -> dict[str, list[tuple[Value, ...]]]:
    """Every claim's lineage rows, in order, by claim id."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for article in dataset.articles:
        published = article.published
        for link in article.links:
            order = (published[3], published[2], article.id, link.start, link.quote)
            found.setdefault(link.claim, []).append((order, article.id, published, link))
    lineages: dict[str, list[tuple[Value, ...]]] = {}
    for claim, entries in found.items():
        entries.sort(key=itemgetter(0))
        first = entries[0][3]
        lineages[claim] = [
            (
                claim,
                position,
                link.figure_id,
                link.statement_id,
                article_id,
                *published,
                link.credited_to,
                link.via,
                link.value,
                link.qualifier,
                link.low,
                link.high,
                link.quote,
                "; ".join(_changes(first, link)),
            )
            for position, (_, article_id, published, link) in enumerate(entries, 1)
        ]
    return lineages


def _claim_rows(dataset: Dataset[Filed]) -> Iterator[tuple[Value, ...]]:
    lineages = _lineages(dataset)
    for claim in dataset.claims:
        lineage = lineages.get(claim.id, [])
        first = lineage[0] if lineage else None
        yield (
            claim.id,
            claim.kind,
            claim.summary,
            claim.origin,
            claim.note,
            len(lineage),
            len({row[4] for row in lineage}),
            first[4] if first else None,
            first[7] if first else None,
        )


def _lineage_rows(dataset: Dataset[Filed]) -> Iterator[tuple[Value, ...]]:
    for lineage in _lineages(dataset).values():
        yield from lineage


_REGISTRY_ROWS: dict[str, Callable[[Dataset[Filed]], Iterator[tuple[Value, ...]]]] = {
    "actors": _actor_rows,
    "affiliations": _affiliation_rows,
    "claims": _claim_rows,
    "lineage": _lineage_rows,
}
_ARTICLE_ROWS: dict[str, Callable[[CheckedArticle], Iterator[tuple[Value, ...]]]] = {
    "articles": _article_rows,
    "mentions": _mention_rows,
    "figures": _figure_rows,
    "statements": _statement_rows,
    "statement_addressees": _addressee_rows,
}
# Tables made from the registry and the claims, across articles (the rest are made article
# by article).
REGISTRY_TABLES = frozenset(_REGISTRY_ROWS)
_BY_NAME = {table.name: table for table in TABLES}


def _picker(table: str, *names: str) -> Callable[[tuple[Value, ...]], Any]:
    """What reads the named columns' values from a table's row."""
    columns = [column.name for column in _BY_NAME[table].columns]
    return itemgetter(*(columns.index(name) for name in names))


_FIGURE_CLAIM = _picker("figures", "claim_id")
_FIGURE_LINK = _picker(
    "figures",
    "claim_id",
    "figure_id",
    "start",
    "reported_by",
    "via",
    "value",
    "qualifier",
    "low",
    "high",
    "quote",
)
_STATEMENT_CLAIM = _picker("statements", "claim_id")
_STATEMENT_LINK = _picker(
    "statements", "claim_id", "statement_id", "start", "speaker_id", "via", "quote"
)


def _key_positions(table: Table) -> list[int]:
    """Where the primary key's columns are in a row, in the key's order."""
    names = [c.name for c in table.columns]
    return [names.index(name) for name in table.primary_key]


def _key(table: Table) -> Callable[[tuple[Value, ...]], Any]:
    return itemgetter(*_key_positions(table))


# Each table's sort key and the position of its key's first column, made once: tabulate
# sorts and checks five tables per article.
_KEYS = {table.name: (_key(table), _key_positions(table)[0]) for table in TABLES}


def _sorted(table: Table, body: list[tuple[Value, ...]]) -> list[tuple[Value, ...]]:
    """Rows by primary key, so that every build lists them alike."""
    assert set(map(len, body)) <= {len(table.columns)}, table.name
    return sorted(body, key=_KEYS[table.name][0])  # primary keys are text ids


def csv_writer(file: Any) -> Any:
    """The one CSV dialect of the package: minimal quoting, "\\n" line ends. None is written
    as an empty cell, and ints, dates (ISO) and vocabulary members (their value) through
    str(), exactly as the tables want them."""
    return csv.writer(file, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)


def csv_text(body: list[tuple[Value, ...]]) -> str:
    """Rows as CSV lines, without the header."""
    out = io.StringIO()
    csv_writer(out).writerows(body)
    return out.getvalue()


@dataclass(frozen=True)
class Tabulated:
    """One article, ready to write: its row of the articles table, its rows of every article
    table as CSV lines, how many rows each has, and its JSON record.

    It is made in the worker process that checked the article, so what travels back to the
    writer is bytes: pickling rows of dates and vocabulary members cost more than making them.
    """

    id: str
    article: tuple[Value, ...]
    csv: dict[str, bytes]
    counts: dict[str, int]
    record: bytes
    links: tuple[Linked, ...] = ()


def _order(table: Table, article_id: str) -> str:
    """Where an article's rows go in an article table, sorted by primary key.

    An article's rows all begin their key with the article's id: the id itself, or an id
    written "<article_id>:<local id>" (tabulate asserts it). Article ids hold no ":", so no
    other article's key falls between them, and ordering the articles by this string, then
    each article's rows by key, orders the whole table by key. The composite ids sort by
    "<article_id>:", the plain ones by the id: "a-b" comes before "a:x" but after "a".
    """
    return article_id if table.primary_key[0] == "article_id" else f"{article_id}:"


def tabulate(c: CheckedArticle) -> Tabulated:
    """An article's rows, as CSV lines, and its nested JSON record."""
    made = {name: list(make(c)) for name, make in _ARTICLE_ROWS.items()}  # in record order
    tables = {name: _sorted(_BY_NAME[name], body) for name, body in made.items()}
    texts = {name: _values_text(body) for name, body in tables.items()}
    record = _record(c, tables, texts).encode("utf-8")
    for name, body in tables.items():
        # The rows are sorted by key, and the keys that begin with the prefix are consecutive
        # in that order: when the first row's and the last row's do, every row's does.
        first = _KEYS[name][1]
        prefix = _order(_BY_NAME[name], c.id)
        assert all(str(row[first]).startswith(prefix) for row in body[:1] + body[-1:]), name
    return Tabulated(
        c.id,
        tables["articles"][0],
        {name: _csv_lines(body, texts[name]).encode("utf-8") for name, body in tables.items()},
        {name: len(body) for name, body in tables.items()},
        record,
        tuple(_linked(made["figures"], made["statements"])),
    )


class Filed(NamedTuple):
    """What build keeps in memory of an article once its rows and record are in the spool:
    the few facts that tables across articles and the descriptor need, and its place in the
    spool. A few hundred bytes, where the article's rows and record are tens of kilobytes."""

    id: str
    kept: tuple[Value, ...]  # the values of _KEPT
    counts: tuple[int, ...]  # rows in each article table, in _ARTICLE_ROWS's order
    links: tuple[Linked, ...]
    number: int

    @property
    def published(self) -> tuple[Value, ...]:
        """Publication date, precision and bounds, as the articles table gives them."""
        return self.kept[:4]

    def value(self, column: str) -> Value:
        return self.kept[_KEPT.index(column)]

    def count(self, table: str) -> int:
        return self.counts[_ARTICLE_TABLES.index(table)]


_ARTICLE_TABLES = tuple(_ARTICLE_ROWS)
_RECORD = len(_ARTICLE_TABLES)  # the spool's part after the tables: the JSON records
_SEPARATOR = b",\n"  # between the records of the nested JSON's articles list


class Spool:
    """Every article's CSV lines and JSON record, set down as the workers deliver them, one
    file per article table and one for the records; the package's files are then copied
    from it in their own order.

    This is what keeps build's memory flat: the parent holds a ``Filed`` per article, not
    its bytes. In a folder the files have no name (they vanish when closed, or when build
    is killed); without one they are in memory, which gives the same bytes for commands that
    compare outputs rather than write them (check, diff, release).
    """

    def __init__(self, folder: Path | None = None) -> None:
        parts = len(_ARTICLE_TABLES) + 1
        self._folder = folder
        # Closed by close(), which build calls however it ends. Each file buffers a block
        # (six of them: a few megabytes), not the default 8 KiB: an article's parts, of
        # bytes to tens of kilobytes, then reach the system a block at a time rather than in
        # 60,000 writes at 10,000 articles, which cost 0.25 s of CPU against 0.1 s. A write
        # the disk refuses fails at the block's turn, or when the spool is flushed once every
        # article is in (``flush``), still named by its part.
        self._files: list[IO[bytes]] = [
            tempfile.TemporaryFile(dir=folder, buffering=BLOCK)  # noqa: SIM115
            if folder is not None
            else io.BytesIO()
            for _ in range(parts)
        ]
        self._starts = [array("q", [0]) for _ in range(parts)]

    def add(self, article: Tabulated) -> Filed:
        """Set an article's parts down; what to keep of it."""
        number = len(self._starts[0]) - 1
        parts = [article.csv[name] for name in _ARTICLE_TABLES]
        parts.append(article.record + _SEPARATOR)
        part = 0
        try:
            for part, content in enumerate(parts):
                self._files[part].write(content)
                self._starts[part].append(self._starts[part][-1] + len(content))
        except OSError as exc:
            raise self._named(exc, part) from exc
        counts = tuple(article.counts[name] for name in _ARTICLE_TABLES)
        return Filed(article.id, _KEEP(article.article), counts, article.links, number)

    def chunks(self, part: int, order: list[Filed]) -> Iterator[bytes]:
        """A part of the given articles, in the given order. In the order they arrived (the
        usual case: the files' order is the ids' order) the part is copied in large blocks."""
        handle, starts = self._files[part], self._starts[part]
        self.flush()
        if [article.number for article in order] == list(range(len(starts) - 1)):
            handle.seek(0)
            yield from blocks(handle)
            return
        for article in order:
            handle.seek(starts[article.number])
            yield handle.read(starts[article.number + 1] - starts[article.number])

    def flush(self) -> None:
        """Every part on the disk, the records first: build calls it once every article is
        in, before it writes any output. Each record is larger than a file's default
        buffer, so with it the records went to the disk as they arrived, and a disk too full
        for the spool refused them first, while the articles were read: it is still the
        nested JSON that such a disk is reported on, before anything else is written."""
        for part in (_RECORD, *range(_RECORD)):
            try:
                self._files[part].flush()
            except OSError as exc:
                raise self._named(exc, part) from exc

    def _named(self, exc: OSError, part: int) -> OSError:
        """A write that failed (a full disk), naming the output the part is for: the spool's
        own files have no name to give."""
        output = _BY_NAME[_ARTICLE_TABLES[part]].path if part < _RECORD else JSON_PATH
        where = Path(self._folder or ".", output)
        return OSError(exc.errno, exc.strerror, str(where))

    def close(self) -> None:
        """Let the spool go. What it could not set down no longer matters."""
        for handle in self._files:
            with contextlib.suppress(OSError):
                handle.close()


def rows(dataset: Dataset[Filed], table: Table) -> list[tuple[Value, ...]]:
    """A registry table's rows, sorted by primary key."""
    return _sorted(table, list(_REGISTRY_ROWS[table.name](dataset)))


def article_csv(dataset: Dataset[Filed], spool: Spool, table: Table) -> Iterator[bytes]:
    """An article table's CSV lines, sorted by primary key (see ``_order``)."""
    ordered = sorted(dataset.articles, key=lambda article: _order(table, article.id))
    return spool.chunks(_ARTICLE_TABLES.index(table.name), ordered)


@functools.cache
def _shape(
    table: str, drop: tuple[str, ...]
) -> tuple[tuple[str, ...], Callable[[tuple[Value, ...]], tuple[Value, ...]]]:
    """The names of a table's columns, less ``drop``, and what picks their values from a row
    (cached by table name: hashing a Table hashes all its columns)."""
    kept = [(c.name, i) for i, c in enumerate(_BY_NAME[table].columns) if c.name not in drop]
    assert len(kept) > 1, table  # itemgetter of one position gives a value, not a tuple
    return tuple(name for name, _ in kept), itemgetter(*(i for _, i in kept))


def _as_object(table: Table, row: tuple[Value, ...], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A row as a JSON object. Vocabulary members and dates stay as they are: members are
    strings, and ``_encode`` writes dates in ISO form (tens of objects per article: a pass
    over every value to convert the few dates cost more than the encoding)."""
    names, pick = _shape(table.name, drop)
    return dict(zip(names, pick(row), strict=True))


def _isoformat(value: object) -> str:
    """What the encoder writes of a value it has no JSON type for: only dates reach it."""
    if type(value) is date:
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a value of the package")


# The nested JSON's encoder: the standard library's C encoder, one for the whole build. The
# rows are flat tuples made here, so there is no cycle for it to look for.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=_isoformat).encode


# An article table's values are encoded by the C encoder in one call per table, as one list
# with a NUL between items: the encoder escapes every control character inside a string, so
# no other NUL is in its output, and each value's text is what the value is as the value of
# an object's key. The keys and separators of the objects, and the commas of the CSV lines,
# are then set around those texts by templates, instead of being written again for every
# row (the keys were about half the encoder's work, and making the dicts cost as much again).
_ITEM = "\x00"
# A plain text's JSON text, quotes taken away, is its CSV field only for these kinds: a
# boolean would be "true" in JSON and "True" in the csv module's output.
assert {c.kind for t in TABLES for c in t.columns} <= {"string", "integer", "date"}
_encode_items = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, default=_isoformat, separators=(_ITEM, ": ")
).encode


def _values_text(body: list[tuple[Value, ...]]) -> str:
    """Every value's JSON text, row after row, a NUL between two."""
    return _encode_items(list(chain.from_iterable(body)))[1:-1]


def _value_texts(body: list[tuple[Value, ...]], text: str) -> list[str]:
    """Every value's JSON text, row after row."""
    if not body:
        return []
    texts = text.split(_ITEM)
    # A list among the values would have NULs of its own.
    assert len(texts) == len(body) * len(body[0]), "a value is a list"
    return texts


def _csv_lines(body: list[tuple[Value, ...]], text: str) -> str:
    """``csv_text(body)``, made from the values' JSON texts where they are plain text.

    Without a backslash no text holds an escape: a string's text is the string in quotes,
    and it holds no quote, line break or other control character. Without a comma either,
    no CSV field needs quoting, and a field is the JSON text with null emptied and the
    quotes taken away. Otherwise (a quote, a comma, a line break anywhere in the article's
    table) the csv module writes the rows, and those of a table of one column, whose empty
    field alone on its line it writes as "".
    """
    if not body:
        return ""
    if "\\" in text or "," in text or len(body[0]) == 1:
        return csv_text(body)
    # Each value's text follows a NUL, and only null's begins with "n" (the others begin
    # with a quote, a digit or a minus).
    fields = f"{_ITEM}{text}".replace(f"{_ITEM}null", _ITEM).replace('"', "")[1:].split(_ITEM)
    return (_line(len(body[0])) * len(body)) % tuple(fields)


@functools.cache
def _line(width: int) -> str:
    return ",".join(["%s"] * width) + "\n"


@functools.cache
def _template(table: str) -> str:
    """A row's JSON object with a ``%s`` for each value's text. In a mention, figure or
    statement, ``article_id``'s text is taken and dropped (``%.0s``): the object is nested in
    its article. A statement's has one more, for its addressees."""
    keys, dropped = [], ""
    for column in _BY_NAME[table].columns:
        if column.name == "article_id" and table != "articles":
            dropped = "%.0s"
            continue
        keys.append(f"{dropped}{_encode(column.name).replace('%', '%%')}: %s")
        dropped = ""
    assert not dropped, table
    if table == "statements":
        keys.append('"addressees": %s')
    return "{" + ", ".join(keys) + "}"


def _objects(
    table: str,
    body: list[tuple[Value, ...]],
    text: str,
    extra: list[str] | None = None,
) -> str:
    """The rows' JSON objects, ", " between them (as the encoder lists them); ``extra`` is
    one more value's text per row."""
    template = _template(table)
    texts = _value_texts(body, text)
    if extra is None:
        return ", ".join([template] * len(body)) % tuple(texts)
    assert len(extra) == len(body), table
    rows = zip(*[iter(texts)] * len(body[0]), strict=True) if body else iter(())
    return ", ".join(map(template.__mod__, map(add, rows, zip(extra))))


def _region(lines: str, span: tuple[int, int]) -> dict[str, Any]:
    return {"lines": lines, "start": span[0], "end": span[1]}


def _record(
    c: CheckedArticle, tables: dict[str, list[tuple[Value, ...]]], texts: dict[str, str]
) -> str:
    """One article as the nested JSON document holds it: its row and its mentions, figures
    and statements from their value texts (see ``_objects``), what no table has through the
    encoder."""
    own = _value_texts(tables["articles"], texts["articles"])
    # The record lists the authors where the table joins them.
    own[_AUTHORS] = _encode(list(c.record.authors))
    rest = {
        "published_note": c.record.published_note,
        "note": c.record.note,
        "excluded": [
            {**_region(e.lines, span), "reason": e.reason.value}
            for e, span in zip(c.record.excluded, c.excluded, strict=True)
        ],
        "block_quotes": [
            _region(lines, span)
            for lines, span in zip(c.record.block_quotes, c.block_quotes, strict=True)
        ],
    }
    addressees: dict[Value, list[Value]] = {}
    for statement_id, actor_id in tables["statement_addressees"]:
        addressees.setdefault(statement_id, []).append(actor_id)
    listed = {key: _encode(actors) for key, actors in addressees.items()}
    statements = tables["statements"]
    addressed = [listed.get(row[0], "[]") for row in statements]
    head = (_template("articles") % tuple(own))[:-1]
    mentions = _objects("mentions", tables["mentions"], texts["mentions"])
    figures = _objects("figures", tables["figures"], texts["figures"])
    said = _objects("statements", statements, texts["statements"], addressed)
    return (
        f'{head}, {_encode(rest)[1:-1]}, "mentions": [{mentions}], "figures": [{figures}], '
        f'"statements": [{said}]}}'
    )


def document(dataset: Dataset[Filed], spool: Spool, version: str) -> Iterator[bytes]:
    """The whole dataset nested by article, one actor, claim or article per line; each
    claim carries its lineage.

    Still one JSON value, but a change to one article is a one-line diff, and the records
    are written by the standard library's C encoder (indentation would force its
    pure-Python one, which dominates the build at thousands of articles).
    """
    affiliations: dict[str, list[dict[str, Any]]] = {}
    for row in rows(dataset, _BY_NAME["affiliations"]):
        item = _as_object(_BY_NAME["affiliations"], row, drop=("actor_id",))
        affiliations.setdefault(str(row[0]), []).append(item)
    actors = []
    for actor, row in zip(dataset.actors, rows(dataset, _BY_NAME["actors"]), strict=True):
        item = _as_object(_BY_NAME["actors"], row)
        item["aliases"] = list(actor.aliases)
        item["affiliations"] = affiliations.get(actor.id, [])
        actors.append(_encode(item).encode("utf-8"))
    lineages: dict[str, list[dict[str, Any]]] = {}
    for row in rows(dataset, _BY_NAME["lineage"]):
        item = _as_object(_BY_NAME["lineage"], row, drop=("claim_id",))
        lineages.setdefault(str(row[0]), []).append(item)
    claims = []
    for row in rows(dataset, _BY_NAME["claims"]):
        item = _as_object(_BY_NAME["claims"], row)
        item["lineage"] = lineages.get(str(row[0]), [])
        claims.append(_encode(item).encode("utf-8"))

    def listed(key: str, items: list[bytes]) -> bytes:
        if not items:
            return f'"{key}": []'.encode()
        return f'"{key}": [\n'.encode() + b",\n".join(items) + b"\n]"

    yield f'{{"name": "chechnya-purges",\n"version": {_encode(version)},\n'.encode()
    yield listed("actors", actors) + b",\n" + listed("claims", claims) + b",\n"
    if not dataset.articles:
        yield b'"articles": []}\n'
        return
    yield b'"articles": [\n'
    # Each record was spooled with the separator after it: the last one's is left out.
    ordered = sorted(dataset.articles, key=lambda a: a.id)
    held = b""
    for chunk in spool.chunks(_RECORD, ordered):
        if held and len(chunk) >= len(_SEPARATOR):
            yield held
            held = chunk
        else:
            held += chunk
    yield held[: -len(_SEPARATOR)] + b"\n]}\n"


_JSON_TYPES = {"string": "string", "integer": "integer", "date": "string"}


def _column_schema(column: Column) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": column.description}
    json_type = _JSON_TYPES[column.kind]
    schema["type"] = json_type if column.required else [json_type, "null"]
    if column.kind == "date":
        schema["format"] = "date"
    if column.enum is not None:
        values: list[Any] = [v.value for v in column.enum]
        schema["enum"] = values if column.required else [*values, None]
    return schema


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    return schema | {
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _columns(table: Table, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {c.name: _column_schema(c) for c in table.columns if c.name not in drop}


def _text_list(model: type[BaseModel], attribute: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "description": field_description(model, attribute),
    }


def _optional_text(model: type[BaseModel], attribute: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": field_description(model, attribute)}


def document_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of :func:`document`'s output, built from the same specs."""
    table = {t.name: t for t in TABLES}
    region = {
        "lines": {"type": "string", "description": field_description(Exclusion, "lines")},
        "start": {"type": "integer", "description": "Offset of the region's first character."},
        "end": {"type": "integer", "description": "Offset just past the region's end."},
    }
    reason = {
        "type": "string",
        "enum": [r.value for r in ExclusionReason],
        "description": field_description(Exclusion, "reason"),
    }
    statement = _columns(table["statements"], ("article_id",))
    statement["addressees"] = {
        "type": "array",
        "items": {"type": "string"},
        "description": field_description(Statement, "addressees"),
    }
    actor = _columns(table["actors"]) | {
        "aliases": _text_list(Actor, "aliases"),
        "affiliations": {
            "type": "array",
            "items": _object(_columns(table["affiliations"], ("actor_id",))),
        },
    }
    claim = _columns(table["claims"]) | {
        "lineage": {
            "type": "array",
            "description": table["lineage"].description,
            "items": _object(_columns(table["lineage"], ("claim_id",))),
        }
    }
    article = _columns(table["articles"]) | {
        "authors": _text_list(Article, "authors"),
        "published_note": _optional_text(Article, "published_note"),
        "note": _optional_text(Article, "note"),
        "excluded": {"type": "array", "items": _object(region | {"reason": reason})},
        "block_quotes": {"type": "array", "items": _object(region)},
        "mentions": {
            "type": "array",
            "items": _object(_columns(table["mentions"], ("article_id",))),
        },
        "figures": {"type": "array", "items": _object(_columns(table["figures"], ("article_id",)))},
        "statements": {"type": "array", "items": _object(statement)},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "chechnya-purges dataset, nested by article",
        **_object(
            {
                "name": {"const": "chechnya-purges"},
                "version": {"type": "string", "description": "Dataset version (SemVer)."},
                "actors": {"type": "array", "items": _object(actor)},
                "claims": {"type": "array", "items": _object(claim)},
                "articles": {"type": "array", "items": _object(article)},
            }
        ),
    }
