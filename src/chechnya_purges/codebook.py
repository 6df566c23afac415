"""The codebook, ``docs/codebook.md``: what every table, column and value means, with counts and
real examples, generated from the built package so that it cannot drift from the data.

Event datasets usually ship a hand-written codebook that ages apart from the data. This one is
written by ``build`` from the descriptor (whose descriptions and vocabulary definitions come
from the pydantic models) and the CSV bytes, and ``check`` fails when the committed copy
differs. Tables are read from the descriptor, so a table added to the package gets its section
without a change here; the general sections (dates, low/high, attribution) read their rules
from the models.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from itertools import compress, islice
from operator import itemgetter
from typing import Any

from .models import Qualifier, definition, qualifier_bounds
from .outputs import csv_rows

__all__ = ["CODEBOOK_PATH", "codebook"]

CODEBOOK_PATH = "docs/codebook.md"
_QUOTE_LIMIT = 240
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#])")
_BATCH = 1024


@dataclass
class _Table:
    """What the codebook needs of one table, gathered in one pass over its CSV: its size,
    each vocabulary column's counts and first row per value, and the first rows that make
    the worked examples. No table is held whole, so a large package costs little memory;
    ``labels`` holds the titles or names of only the ids the cited rows hold (see
    ``_labels``)."""

    resource: dict[str, Any]
    size: int = 0
    counts: dict[str, Counter[str]] = default(default_factory=dict)
    first: dict[tuple[str, str], dict[str, str]] = default(default_factory=dict)
    coarse: dict[str, dict[str, str]] = default(default_factory=dict)
    relayed: dict[str, str] | None = None
    labels: dict[str, str] = default(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.resource["name"])

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.resource["schema"]["fields"])

    @property
    def key(self) -> list[str]:
        return list(self.resource["schema"].get("primaryKey", []))

    def has(self, column: str) -> bool:
        return any(f["name"] == column for f in self.fields)

    def cited(self) -> list[dict[str, str]]:
        """The rows the codebook may cite from this table."""
        relayed = [self.relayed] if self.relayed is not None else []
        return [*self.first.values(), *self.coarse.values(), *relayed]


def _batches(rows: Iterator[list[str]]) -> Iterator[list[list[str]]]:
    """A table's rows a few thousand at a time, so that they are counted and searched a
    column at a time by the standard library's loops in C rather than a row at a time here:
    the tables have hundreds of thousands of rows, the values sought are few."""
    while batch := list(islice(rows, _BATCH)):
        yield batch


def _first_of(column: list[str], values: Iterable[str]) -> int | None:
    """Where the first of ``values`` is in ``column``, if any is."""
    return min((column.index(value) for value in values), default=None)


def _scan(resource: dict[str, Any], files: Mapping[str, bytes]) -> _Table:
    table = _Table(resource)
    reader = csv_rows(files, resource["path"])
    header = next(reader, [])
    names = [f["name"] for f in table.fields]
    vocabularies = [names.index(f["name"]) for f in table.fields if f.get("categories")]
    precisions = [i for i, name in enumerate(header) if name.endswith("_precision")]
    relay = (
        (header.index("reported_by"), header.index("via"))
        if {"reported_by", "via"} <= set(header)
        else None
    )
    counters = {i: Counter[str]() for i in vocabularies}
    for batch in _batches(reader):
        table.size += len(batch)
        for i in vocabularies:
            column = list(map(itemgetter(i), batch))
            for value in set(column).difference(counters[i]):  # first seen in this batch
                table.first[(header[i], value)] = dict(
                    zip(header, batch[column.index(value)], strict=True)
                )
            counters[i].update(column)
        for i in precisions:
            if header[i] not in table.coarse:
                column = list(map(itemgetter(i), batch))
                at = _first_of(column, set(column) - {"", "day"})
                if at is not None:
                    table.coarse[header[i]] = dict(zip(header, batch[at], strict=True))
        if relay is not None and table.relayed is None:
            both = map(all, map(itemgetter(*relay), batch))
            row = next(compress(batch, both), None)
            if row is not None:
                table.relayed = dict(zip(header, row, strict=True))
    table.counts = {header[i]: counter for i, counter in counters.items()}
    return table


def _tables(files: Mapping[str, bytes]) -> tuple[dict[str, Any], dict[str, _Table]]:
    descriptor = json.loads(files["datapackage.json"])
    # Not described here, and one per article: the descriptor's largest part.
    descriptor.pop("sources", None)
    tables = {
        resource["name"]: _scan(resource, files)
        for resource in descriptor["resources"]
        if resource.get("type") == "table"
    }
    return descriptor, tables


Quoted = dict[tuple[str, str], tuple[str, dict[str, str]]]


def _quoted(files: Mapping[str, bytes], tables: dict[str, _Table]) -> Quoted:
    """Words from an article for the example rows that carry none of their own (an actor):
    the first row of a quoted table that refers to each, such as where an article names the
    actor. Rows with a title (articles) are cited by it instead. The reading stops once
    each has been found: no later row can change what is cited."""
    wanted = {
        t.name: {row[t.key[0]] for row in t.first.values()}
        for t in tables.values()
        if len(t.key) == 1 and not t.has("quote") and not t.has("title")
    }
    sought = sum(len(ids) for ids in wanted.values())
    found: Quoted = {}
    for quoted in tables.values():
        if len(found) == sought:
            break
        links = [
            (fk["fields"][0], fk["reference"]["resource"])
            for fk in quoted.resource["schema"].get("foreignKeys", [])
            if len(fk["fields"]) == 1 and fk["reference"]["resource"] in wanted
        ]
        if not quoted.has("quote") or not links:
            continue
        reader = csv_rows(files, quoted.resource["path"])
        header = next(reader, [])
        columns = [(header.index(column), target) for column, target in links]
        for batch in _batches(reader):
            # The first row of the batch that refers to each id not found yet, in any column.
            rows: dict[tuple[str, str], int] = {}
            for index, target in columns:
                column = list(map(itemgetter(index), batch))
                for value in wanted[target].intersection(column):
                    if (target, value) not in found:
                        at = column.index(value)
                        rows[(target, value)] = min(at, rows.get((target, value), at))
            for key, at in rows.items():
                found[key] = (quoted.name, dict(zip(header, batch[at], strict=True)))
            if len(found) == sought:
                break
    return found


def _labels(files: Mapping[str, bytes], tables: dict[str, _Table], quoted: Quoted) -> None:
    """The titles of the articles and the names of the actors that the cited rows refer to.

    Read once the cited rows are known, rather than a label for every title and name while
    counting (tens of megabytes at 100,000 articles, where the page cites a few dozen): any
    value of a cited row may be an id the codebook names, so each is kept if it is one.
    """
    cited = [row for table in tables.values() for row in table.cited()]
    cited += [row for _, row in quoted.values()]
    ids = {value for row in cited for value in row.values()}
    for name in ("articles", "actors"):
        table = tables.get(name)
        if table is None:
            continue
        reader = csv_rows(files, table.resource["path"])
        header = next(reader, [])
        label = next((header.index(c) for c in ("name", "title") if c in header), None)
        if label is None:
            continue
        for batch in _batches(reader):
            table.labels.update((row[0], row[label]) for row in batch if row[0] in ids)


def _text(value: str) -> str:
    """Article text made safe for Markdown: one line, no markup."""
    return _MARKDOWN.sub(r"\\\1", " ".join(value.split()))


def _quote(value: str) -> str:
    words = " ".join(value.split())
    if len(words) > _QUOTE_LIMIT:
        words = words[:_QUOTE_LIMIT].rsplit(" ", 1)[0] + " …"
    return f"“{_text(words)}”"


class _Examples:
    """Cites a row of the data as a reader can check it: its quote and its article."""

    def __init__(self, tables: dict[str, _Table], quoted: Quoted | None = None):
        self.quoted = quoted or {}
        articles = tables.get("articles")
        actors = tables.get("actors")
        self.titles = articles.labels if articles else {}
        self.names = actors.labels if actors else {}

    def actor(self, actor_id: str) -> str:
        name = self.names.get(actor_id)
        return f"{_text(name)} (`{actor_id}`)" if name else f"`{actor_id}`"

    def article(self, article_id: str) -> str:
        title = self.titles.get(article_id)
        return f"*{_text(title)}* (`{article_id}`)" if title else f"`{article_id}`"

    def cite(self, table: _Table, row: dict[str, str]) -> str:
        key = ", ".join(row[k] for k in table.key)
        where = f"{table.name} `{key}`"
        if row.get("quote"):
            speaker = f", speaker {self.actor(row['speaker_id'])}" if row.get("speaker_id") else ""
            article = f" in {self.article(row['article_id'])}" if row.get("article_id") else ""
            return f"{_quote(row['quote'])} — {where}{speaker}{article}"
        if table.name == "articles" and row.get("title"):
            return f"{where}: *{_text(row['title'])}*"
        if row.get("name"):
            named = f"{where}: {_text(row['name'])}"
            evidence = self.quoted.get((table.name, key))
            if evidence is not None:
                _, words = evidence
                named += f", named {_quote(words['quote'])}"
                if words.get("article_id"):
                    named += f" in {self.article(words['article_id'])}"
            return named
        if row.get("article_id"):
            return f"{where} in {self.article(row['article_id'])}"
        return where


def _heading(descriptor: dict[str, Any], tables: dict[str, _Table]) -> list[str]:
    licences = ", ".join(
        f"[{lic.get('title', lic['name'])}]({lic['path']})" for lic in descriptor["licenses"]
    )
    lines = [
        f"# Codebook: {descriptor['name']} {descriptor['version']}",
        "",
        "<!-- Written by `chechnya-purges build` from datapackage.json and build/; the "
        "definitions live in src/chechnya_purges/models.py. Edit those, not this file. -->",
        "",
        _text(descriptor["description"]),
        "",
        f"Licence of the data: {licences}. Every value below is tied to the exact words of "
        "its article: `quote` is the article's own text and `start`/`end` its offsets "
        "(Unicode code points, half-open) in the article's seed text.",
        "",
        "An empty cell is a missing value (NULL in the SQLite database): the article does not "
        "state it. No table uses an empty string, zero or a placeholder to mean anything.",
        "",
        "The same tables, with these definitions in a `vocabulary` table, come as a SQLite "
        "database from `chechnya-purges sqlite OUT.db`; the README shows how to load them "
        "in pandas, SQLite, Datasette and Excel.",
        "",
        "## Tables",
        "",
        "| table | one row per | rows | primary key |",
        "|---|---|--:|---|",
    ]
    for table in tables.values():
        key = ", ".join(f"`{k}`" for k in table.key)
        lines.append(
            f"| [`{table.name}`](#table-{table.name.replace('_', '-')}) "
            f"| {_text(table.resource['description'])} | {table.size} | {key} |"
        )
    return [*lines, ""]


def _dates(tables: dict[str, _Table]) -> list[str]:
    lines = [
        "## Dates: precision and bounds",
        "",
        "A date is written at the precision the article supports, as an ISO 8601 prefix: "
        "`2017`, `2017-04` or `2017-04-12`. Each such column `X` comes with `X_precision`, "
        "`X_earliest` and `X_latest` (the first and last day it can be, real dates to filter "
        "on) and `X_basis` (how the date was established). To find everything that may have "
        "happened in a window, compare `X_latest` with its start and `X_earliest` with its "
        "end; never read a month-precision date as the first of the month.",
        "",
    ]
    for table in tables.values():
        for column in (f["name"] for f in table.fields):
            if not column.endswith("_precision"):
                continue
            stem = column.removesuffix("_precision")
            row = table.coarse.get(column)
            if row is None or not all(
                table.has(f"{stem}_{part}") for part in ("earliest", "latest", "basis")
            ):
                continue
            lines += [
                f"Worked example: {_Examples(tables).cite(table, row)}.",
                "",
                f"| `{stem}` | `{column}` | `{stem}_earliest` | `{stem}_latest` | `{stem}_basis` |",
                "|---|---|---|---|---|",
                f"| {row[stem]} | {row[column]} | {row[stem + '_earliest']} "
                f"| {row[stem + '_latest']} | {row[stem + '_basis']} |",
                "",
                f"The article gives only the {row[column]}, so the date covers every day from "
                f"{row[stem + '_earliest']} to {row[stem + '_latest']}.",
                "",
            ]
            return lines
    return lines


def _bounds(tables: dict[str, _Table]) -> list[str]:
    figures = tables.get("figures")
    counts = figures.counts.get("qualifier", Counter[str]()) if figures else Counter[str]()
    lines = [
        "## Figures: how `low` and `high` follow from the qualifier",
        "",
        "`value` is the number as the article writes it and `qualifier` keeps the wording "
        "around it. `low` and `high` are the inclusive bounds that wording implies, empty "
        "where it sets none, so that a researcher can filter counts without re-reading the "
        "words. For a figure whose value is 100:",
        "",
        "| qualifier | wording | low | high | figures |",
        "|---|---|--:|--:|--:|",
    ]
    for qualifier in Qualifier:
        low, high = qualifier_bounds(qualifier, 100)
        shown = ["" if bound is None else str(bound) for bound in (low, high)]
        lines.append(
            f"| `{qualifier.value}` | {_text(definition(qualifier))} | {shown[0]} "
            f"| {shown[1]} | {counts[qualifier.value]} |"
        )
    return [*lines, ""]


def _attribution(tables: dict[str, _Table]) -> list[str]:
    examples = _Examples(tables)
    lines = [
        "## Who said it: `reported_by`, `via` and `speaker_id`",
        "",
        "A figure's `reported_by` is the actor the article credits with the number (\"rights "
        'groups say", "the ministry said"); it is empty only when the article states the '
        'number in its own voice. When the credited actor itself cites a source ("the '
        'ministry said rights monitors counted…"), `reported_by` is that source and `via` '
        "the actor who relays it. A statement's `speaker_id` is who spoke or wrote; when the "
        "words are known only through another actor's account, that actor is its `via`. "
        'Unnamed "reports" are not a source: then the speaker is credited.',
        "",
    ]
    figures = tables.get("figures")
    if figures and figures.has("via") and figures.has("reported_by"):
        row = figures.relayed
        if row is not None:
            lines += [
                f"Worked example: {examples.cite(figures, row)}.",
                "",
                f"The article credits the number ({row['value']}, `{row['qualifier']}`) to "
                f"{examples.actor(row['reported_by'])} as `reported_by`, and learns of it "
                f"through {examples.actor(row['via'])} as `via`. Counting figures by "
                "`reported_by` counts who produced a number; by `via`, who spread it.",
                "",
            ]
    return lines


def _vocabulary(table: _Table, field: dict[str, Any], examples: _Examples) -> list[str]:
    column = field["name"]
    counts = table.counts[column]
    lines = [f"Values of `{column}`:", ""]
    for category in field.get("categories", []):
        value = category["value"]
        row = table.first.get((column, value))
        example = f" Example: {examples.cite(table, row)}." if row else ""
        lines.append(
            f"- **`{value}`** ({counts[value]} of {table.size} rows): "
            f"{_text(category['label'])}{example}"
        )
    empty = counts[""]
    if empty:
        lines.append(f"- *empty* ({empty} of {table.size} rows): not stated.")
    return [*lines, ""]


def _table(table: _Table, examples: _Examples) -> list[str]:
    schema = table.resource["schema"]
    keys = ", ".join(f"`{k}`" for k in table.key)
    references = {
        fk["fields"][0]: f"{fk['reference']['resource']}.{fk['reference']['fields'][0]}"
        for fk in schema.get("foreignKeys", [])
    }
    lines = [
        f'<a id="table-{table.name.replace("_", "-")}"></a>',
        "",
        f"## Table `{table.name}`",
        "",
        f"`{table.resource['path']}`: {_text(table.resource['description'])} "
        f"{table.size} rows. Primary key: {keys}.",
        "",
    ]
    if references:
        lines += [
            "Foreign keys: "
            + "; ".join(f"`{c}` → `{target}`" for c, target in references.items())
            + ".",
            "",
        ]
    lines += ["| column | type | required | description |", "|---|---|---|---|"]
    for field in table.fields:
        required = "yes" if field.get("constraints", {}).get("required") else ""
        note = f" References `{references[field['name']]}`." if field["name"] in references else ""
        vocabulary = " One of the values below." if field.get("categories") else ""
        lines.append(
            f"| `{field['name']}` | {field['type']} | {required} "
            f"| {_text(field.get('description', ''))}{note}{vocabulary} |"
        )
    lines.append("")
    for field in table.fields:
        if field.get("categories"):
            lines += _vocabulary(table, field, examples)
    return lines


def codebook(files: Mapping[str, bytes]) -> bytes:
    """``docs/codebook.md`` for a built package given as its files' bytes by path."""
    descriptor, tables = _tables(files)
    quoted = _quoted(files, tables)
    _labels(files, tables, quoted)
    examples = _Examples(tables, quoted)
    lines = [
        *_heading(descriptor, tables),
        *_dates(tables),
        *_bounds(tables),
        *_attribution(tables),
    ]
    for table in tables.values():
        lines += _table(table, examples)
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
