"""A SQLite database of the built package, and Datasette metadata for it, for SQL users.

Everything is derived from the built package's descriptor: each table becomes a SQLite table
with declared types, NOT NULL for required columns, the primary key, every foreign key,
``CHECK`` constraints for vocabularies and dates, and each column's description as a comment
in its ``CREATE TABLE`` (SQLite keeps the text, so ``.schema`` and Datasette show it). Empty
cells become NULL, never ``''``, so that ``IS NULL`` tells what the articles do not state. A
table with a ``quote`` column gets an FTS5 index over it; a table that refers to actors or
articles gets a view with their names and the article's publication date beside the ids; the
``vocabulary`` table holds every value's definition, for joins.

The database is not committed or released: its bytes depend on the SQLite library that
writes it. Written twice by the same library from the same package, it is the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

__all__ = ["LABELS", "VOCABULARY_TABLE", "database_name", "metadata", "write_database"]

# What a view shows beside a reference to these tables, in place of a bare id.
LABELS: dict[str, tuple[str, ...]] = {
    "actors": ("name",),
    "articles": ("title", "published", "published_earliest", "published_latest"),
}
# Facet columns Datasette offers first: every vocabulary, and these references.
_FACET_REFERENCES = ("speaker_id", "reported_by", "publisher_id", "article_id", "actor_id")
VOCABULARY_TABLE = "vocabulary"
_TYPES = {"integer": "INTEGER", "number": "REAL"}


def _name(identifier: str) -> str:
    """An SQL identifier, quoted; descriptor names are plain, but quoting costs nothing."""
    return '"' + identifier.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _comment(text: str) -> str:
    return " ".join(text.split())


def _tables(descriptor: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [r for r in descriptor["resources"] if r.get("type") == "table"]


def _column(field: Mapping[str, Any]) -> str:
    name = _name(field["name"])
    parts = [name, _TYPES.get(field.get("type", "string"), "TEXT")]
    constraints = field.get("constraints", {})
    if constraints.get("required"):
        parts.append("NOT NULL")
    if "enum" in constraints:
        values = ", ".join(_literal(str(v)) for v in constraints["enum"])
        parts.append(f"CHECK ({name} IN ({values}))")
    if field.get("type") == "date":
        # date() passes 30 February through; a modifier makes it normalise, so that fails.
        parts.append(f"CHECK ({name} IS date({name}, '+0 days'))")
    return " ".join(parts)


def create_table(resource: Mapping[str, Any]) -> str:
    """``CREATE TABLE`` for one Table Schema, each column's description as its comment."""
    schema = resource["schema"]
    lines = [f"CREATE TABLE {_name(resource['name'])} ( -- {_comment(resource['description'])}"]
    items = [(_column(f), _comment(f.get("description", ""))) for f in schema["fields"]]
    if schema.get("primaryKey"):
        items.append((f"PRIMARY KEY ({', '.join(map(_name, schema['primaryKey']))})", ""))
    for fk in schema.get("foreignKeys", []):
        reference = fk["reference"]
        items.append(
            (
                f"FOREIGN KEY ({', '.join(map(_name, fk['fields']))}) "
                f"REFERENCES {_name(reference['resource'])} "
                f"({', '.join(map(_name, reference['fields']))})",
                "",
            )
        )
    for index, (sql, comment) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        lines.append(f"  {sql}{comma}" + (f" -- {comment}" if comment else ""))
    lines.append(")")
    return "\n".join(lines)


def _view(resource: Mapping[str, Any]) -> str | None:
    """A view of a table with, beside each reference to a labelled table, its labels."""
    table = resource["name"]
    columns = [f"t.{_name(f['name'])}" for f in resource["schema"]["fields"]]
    joins = []
    for number, fk in enumerate(resource["schema"].get("foreignKeys", [])):
        target = fk["reference"]["resource"]
        if target not in LABELS or len(fk["fields"]) != 1:
            continue
        column, alias = fk["fields"][0], f"r{number}"
        stem = column.removesuffix("_id")
        joins.append(
            f"LEFT JOIN {_name(target)} AS {alias} ON {alias}.{_name(fk['reference']['fields'][0])}"
            f" = t.{_name(column)}"
        )
        columns += [
            f"{alias}.{_name(label)} AS {_name(f'{stem}_{label}')}" for label in LABELS[target]
        ]
    if not joins:
        return None
    return (
        f"CREATE VIEW {_name(f'{table}_with_names')} AS SELECT\n  "
        + ",\n  ".join(columns)
        + f"\nFROM {_name(table)} AS t\n"
        + "\n".join(joins)
    )


def _values(resource: Mapping[str, Any], content: bytes) -> Iterator[list[Any]]:
    fields = resource["schema"]["fields"]
    integers = [f.get("type") == "integer" for f in fields]
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(content), encoding="utf-8", newline=""))
    next(reader)
    for row in reader:
        yield [
            None if cell == "" else int(cell) if integer else cell
            for cell, integer in zip(row, integers, strict=True)
        ]


def _fill(
    db: sqlite3.Connection, descriptor: Mapping[str, Any], files: Mapping[str, bytes]
) -> None:
    db.execute(
        f"CREATE TABLE {VOCABULARY_TABLE} ( -- Every vocabulary value with its definition.\n"
        "  table_name TEXT NOT NULL,\n  column_name TEXT NOT NULL,\n  value TEXT NOT NULL,\n"
        "  definition TEXT NOT NULL,\n  PRIMARY KEY (table_name, column_name, value)\n)"
    )
    for resource in _tables(descriptor):
        name = resource["name"]
        fields = resource["schema"]["fields"]
        db.execute(create_table(resource))
        marks = ", ".join("?" for _ in fields)
        db.executemany(
            f"INSERT INTO {_name(name)} VALUES ({marks})",
            _values(resource, files[resource["path"]]),
        )
        for fk in resource["schema"].get("foreignKeys", []):
            columns = "_".join(fk["fields"])
            db.execute(
                f"CREATE INDEX {_name(f'{name}_{columns}')} ON {_name(name)} "
                f"({', '.join(map(_name, fk['fields']))})"
            )
        if any(f["name"] == "quote" for f in fields):
            fts = _name(f"{name}_fts")
            db.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5(quote, content={_name(name)}, "
                "content_rowid=rowid, tokenize='porter unicode61 remove_diacritics 2')"
            )
            db.execute(f"INSERT INTO {fts} (rowid, quote) SELECT rowid, quote FROM {_name(name)}")
        view = _view(resource)
        if view is not None:
            db.execute(view)
        db.executemany(
            f"INSERT INTO {VOCABULARY_TABLE} VALUES (?, ?, ?, ?)",
            [
                (name, f["name"], c["value"], c["label"])
                for f in fields
                for c in f.get("categories", [])
            ],
        )


class DatabaseError(Exception):
    """A database that would break its own constraints (a package whose keys do not hold)."""


def write_database(files: Mapping[str, bytes], out: Path) -> dict[str, int]:
    """Write the package's tables to a new SQLite file at ``out``; return rows per table.

    Written to a temporary file beside ``out`` and renamed over it only when every foreign
    key holds, so a failure leaves any previous database as it was.
    """
    descriptor = json.loads(files["datapackage.json"])
    # Named by process id rather than by mkstemp, so that SQLite creates the file with the
    # usual permissions; a leftover of a crashed run is replaced.
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(temporary)) as db:
            db.execute("PRAGMA journal_mode = OFF")
            try:
                with db:
                    _fill(db, descriptor, files)
            except (sqlite3.Error, ValueError, KeyError, TypeError, OverflowError) as exc:
                raise DatabaseError(f"the package does not fit its own schema: {exc}") from exc
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                table, _, parent, _ = broken[0]
                raise DatabaseError(
                    f"{len(broken)} rows break a foreign key (first: {table} → {parent})"
                )
            counts = {
                r["name"]: db.execute(f"SELECT count(*) FROM {_name(r['name'])}").fetchone()[0]
                for r in _tables(descriptor)
            }
            db.execute("VACUUM")
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
    return counts


def database_name(path: Path) -> str:
    """The name Datasette gives a database file: its name without the extension."""
    return path.stem


def metadata(descriptor: Mapping[str, Any], database: str) -> dict[str, Any]:
    """Datasette metadata: title, licence, source, table and column descriptions, facets."""
    licence = descriptor["licenses"][0]
    tables: dict[str, Any] = {}
    for resource in _tables(descriptor):
        fields = resource["schema"]["fields"]
        names = {f["name"] for f in fields}
        entry: dict[str, Any] = {
            "description": resource["description"],
            "columns": {f["name"]: f.get("description", "") for f in fields},
        }
        # A date's precision and basis are vocabularies too, but rarely the first question.
        facets = [
            f["name"]
            for f in fields
            if f.get("categories") and not f["name"].endswith(("_precision", "_basis"))
        ]
        facets += [c for c in _FACET_REFERENCES if c in names and c not in facets]
        if facets:
            entry["facets"] = facets[:4]
        for label in ("name", "title"):
            if label in names:
                entry["label_column"] = label
                break
        if "quote" in names:
            entry["fts_table"] = f"{resource['name']}_fts"
            entry["fts_pk"] = "rowid"
        tables[resource["name"]] = entry
    tables[VOCABULARY_TABLE] = {
        "description": "Every vocabulary value of every table, with its definition.",
        "facets": ["table_name", "column_name"],
    }
    about = {
        "title": descriptor["title"],
        "description": descriptor["description"],
        "license": licence["name"],
        "license_url": licence["path"],
        "source": f"{descriptor['name']} {descriptor['version']} (datapackage.json)",
    }
    # Datasette shows the top-level entries on its index page and the database's own on the
    # database page, where a researcher arrives from a link: both carry the same facts.
    return {**about, "databases": {database: {**about, "tables": tables}}}
