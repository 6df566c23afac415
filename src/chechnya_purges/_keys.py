"""The written tables' primary and foreign keys, checked with the keys kept on disk.

frictionless checks a table's primary key by holding every key it has read, and each foreign
key by holding every key of the table referred to, which it reads whole again for each table
that refers to it. At 30,000 articles that alone passes 400 MiB, at 100,000 a GiB. Here the
same checks are made over the same values, the cells as frictionless's own row stream casts
them, taken while it validates each row (its own key checks are switched off for the pass);
the keys go to SQLite databases in a temporary folder and are compared there, so memory stays
flat however long the tables, and no table is read twice. Each table's keys have a database
of their own: the worker that read the table indexes it and checks its primary key, and the
foreign keys, which need two tables, are checked once every table is read, each on its own,
in parallel.

Only string and integer keys are compared this way, the only kinds ``build`` writes: SQLite
compares those values as Python compares the cells (text by code point, integers by value,
never text with a number; a missing cell is NULL, and ``IS`` compares it as ``==`` compares
None). A package with keys of any other kind is left to frictionless whole.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Kept", "Plan", "Problem", "Table", "foreign", "plan", "references", "unkeyed"]

COMPARABLE = {"string", "integer"}
# frictionless stops listing a table's problems at this many; so do the key checks.
LIMIT = 1000
_BATCH = 4096
# More cells than any real key needs; SQLite allows 2,000 columns a table.
_COLUMNS = 100
# SQLite's page cache for each connection: enough for its sorts to run mostly in memory.
_CACHE_KIB = 16 * 1024


class ForeignKey(NamedTuple):
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]
    named: str  # the resource as the descriptor names it: "" for the table itself


class Plan(NamedTuple):
    """What the key checks need of each table: its primary key, its foreign keys, and the
    cells to keep (its own keys' and those other tables' foreign keys read)."""

    primary: dict[str, tuple[str, ...]]
    foreign: dict[str, list[ForeignKey]]
    columns: dict[str, list[str]]

    def column(self, name: str, field: str) -> str:
        return f"c{self.columns[name].index(field)}"

    def looked_up(self, name: str) -> list[tuple[str, ...]]:
        """The sets of a table's fields to index: its primary key, and the fields other
        tables' foreign keys look up."""
        found = [self.primary[name]] if self.primary[name] else []
        for foreign in self.foreign.values():
            found += [fk.reference for fk in foreign if fk.resource == name]
        return list(dict.fromkeys(found))


def _listed(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def plan(package: Any) -> Plan | None:
    """The key checks of a frictionless package, or None when any key is of a kind compared
    here differently from frictionless, or refers to something that is not a table."""
    tables = {r.name: r for r in package.resources if r.type == "table"}
    primary: dict[str, tuple[str, ...]] = {}
    foreign: dict[str, list[ForeignKey]] = {}
    columns: dict[str, list[str]] = {name: [] for name in tables}
    try:
        for name, resource in tables.items():
            primary[name] = _listed(resource.schema.primary_key)
            foreign[name] = []
            for key in resource.schema.foreign_keys:
                named = key["reference"].get("resource", "")
                target = named or name
                if target not in tables:
                    return None
                reference = _listed(key["reference"]["fields"])
                fk = ForeignKey(_listed(key["fields"]), target, reference, named)
                foreign[name].append(fk)
                columns[target] = list(dict.fromkeys([*columns[target], *fk.reference]))
            needed = [*primary[name], *(f for fk in foreign[name] for f in fk.fields)]
            columns[name] = list(dict.fromkeys([*columns[name], *needed]))
        for name, fields in columns.items():
            schema = tables[name].schema
            if len(fields) > _COLUMNS:
                return None
            if any(not schema.has_field(f) for f in fields):
                return None
            if any(schema.get_field(f).type not in COMPARABLE for f in fields):
                return None
    except (KeyError, TypeError, AttributeError):
        return None
    return Plan(primary, foreign, columns)


def unkeyed(package: Any) -> None:
    """frictionless's own key checks switched off: they are made here."""
    for resource in package.resources:
        if resource.type == "table":
            resource.schema.primary_key = []
            resource.schema.foreign_keys = []


def _connect(path: Path | str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    return connection


class Problem(NamedTuple):
    resource: str
    row: int
    message: str


class Kept(NamedTuple):
    """A table's keys, read: where they are, the table's place in the package (to name it
    in problems), which key fields its header has, how many rows it has, the problems of
    its primary key (which it alone decides), and whether it was read to its end."""

    path: str
    place: str
    present: tuple[str, ...]
    rows: int
    problems: list[Problem]
    # frictionless stopped reading it part way (its encoding, say): a foreign key to it
    # cannot be checked, and frictionless says only that of the table that refers to it.
    broken: bool = False


class Table:
    """One table's keys, in a database of its own: called with each row frictionless
    validates, then closed for its primary key to be checked."""

    def __init__(self, keys: Plan, name: str, folder: str) -> None:
        self.keys, self.name = keys, name
        self.fields = keys.columns[name]
        handle, self.path = tempfile.mkstemp(suffix=".sqlite", dir=folder)
        os.close(handle)
        self.connection = _connect(self.path)
        cells = "".join(f", {keys.column(name, f)}" for f in self.fields)
        self.connection.execute(f"CREATE TABLE keys (row INTEGER PRIMARY KEY{cells})")
        self.connection.execute("BEGIN")
        self.insert = f"INSERT INTO keys VALUES (?{', ?' * len(self.fields)})"
        self.batch: list[tuple[Any, ...]] = []
        self.present: tuple[str, ...] = ()
        self.last, self.rows = 0, 0

    def __call__(self, row: Any) -> None:
        if not self.rows:
            self.present = tuple(f for f in self.fields if f in row.field_names)
        self.batch.append((row.row_number, *[row.get(f) for f in self.fields]))
        self.last = row.row_number
        self.rows += 1
        if len(self.batch) == _BATCH:
            self._flush()

    def _flush(self) -> None:
        try:
            self.connection.executemany(self.insert, self.batch)
        except (OverflowError, UnicodeEncodeError):
            again = self.insert.replace("INSERT", "INSERT OR REPLACE", 1)
            self.connection.executemany(again, [tuple(map(_stored, row)) for row in self.batch])
        self.batch.clear()

    def close(self, resource: Any, partial: bool) -> Kept | None:
        """The table's keys, read, indexed for the foreign keys that refer to it, and its
        primary key checked; None when frictionless could not open the table (it says why).
        When it stopped early, at too many errors, the rest of the rows are read for their
        keys, which other tables' foreign keys need."""
        from frictionless import FrictionlessException

        try:
            if resource.stats.rows is None:
                return None
            self._flush()
            if partial:
                try:
                    with resource:
                        for row in resource.row_stream:
                            if row.row_number > self.last:
                                self(row)
                except FrictionlessException:
                    pass  # frictionless has said what is wrong with the table
                self._flush()
            for number, fields in enumerate(self.keys.looked_up(self.name)):
                columns = ", ".join(self.keys.column(self.name, f) for f in fields)
                self.connection.execute(f"CREATE INDEX i{number} ON keys ({columns})")
            self.connection.execute("COMMIT")
            problems = list(self._primary())
            return Kept(self.path, resource.place, self.present, self.rows, problems)
        finally:
            self.connection.close()

    def _primary(self) -> Iterator[Problem]:
        fields = self.keys.primary[self.name]
        if not fields or any(f not in self.present for f in fields):
            return
        cells = [self.keys.column(self.name, f) for f in fields]
        empty = " AND ".join(f"{c} IS NULL" for c in cells)
        note = 'cells composing the primary keys are all "None"'
        for (row,) in self.connection.execute(f"SELECT row FROM keys WHERE {empty}"):
            yield Problem(self.name, row, f"frictionless primary-key: {note}")
        # The index on the key finds repeated keys without sorting; only those are ranked.
        listed = ", ".join(cells)
        repeated = f"SELECT {listed} FROM keys WHERE NOT ({empty}) GROUP BY {listed}"
        same = " AND ".join(f"k.{c} IS r.{c}" for c in cells)
        for row, previous in self.connection.execute(
            f"SELECT row, previous FROM (SELECT k.row, LAG(k.row) OVER "
            f"(PARTITION BY {', '.join(f'k.{c}' for c in cells)} ORDER BY k.row) AS previous "
            f"FROM keys AS k JOIN ({repeated} HAVING COUNT(*) > 1) AS r ON {same}) "
            f"WHERE previous IS NOT NULL"
        ):
            note = f"the same as in the row at position {previous}"
            yield Problem(self.name, row, f"frictionless primary-key: {note}")


def _stored(value: Any) -> Any:
    """A value SQLite cannot take as it is, as a BLOB: an integer past its 64 bits as its
    digits, equal to the same integer's; a text holding a lone surrogate (inline data may)
    as its UTF-8 bytes with the surrogate kept, equal to the same text's. SQLite never finds
    a BLOB equal to a text or a number, and the two kinds never meet: digits are never a
    surrogate's bytes."""
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value).encode("ascii")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")
    return value


def _shown(value: Any) -> str:
    if not isinstance(value, bytes):
        return str(value)
    try:
        return str(int(value))
    except ValueError:
        return value.decode("utf-8", "surrogatepass")


def references(keys: Plan, kept: dict[str, Kept]) -> list[tuple[str, int]]:
    """Each foreign key to check, as (table, its number in the table's keys), the
    longest tables' first: checked one each, in parallel, they finish together."""
    found = [
        (name, number)
        for name, foreign in keys.foreign.items()
        for number, fk in enumerate(foreign)
        if name in kept and fk.resource in kept and all(f in kept[name].present for f in fk.fields)
    ]
    return sorted(found, key=lambda pair: -kept[pair[0]].rows)


def foreign(keys: Plan, kept: dict[str, Kept], reference: tuple[str, int]) -> list[Problem]:
    """The rows whose foreign key finds no row of the table it refers to."""
    name, number = reference
    fk = keys.foreign[name][number]
    connection = _connect(":memory:")
    try:
        connection.execute("ATTACH DATABASE ? AS t", (kept[name].path,))
        connection.execute("ATTACH DATABASE ? AS s", (kept[fk.resource].path,))
        cells = [keys.column(name, f) for f in fk.fields]
        theirs = [keys.column(fk.resource, f) for f in fk.reference]
        empty = " AND ".join(f"t.{c} IS NULL" for c in cells)
        same = " AND ".join(f"s.{a} IS t.{b}" for a, b in zip(theirs, cells, strict=True))
        missing = connection.execute(
            f"SELECT t.row, {', '.join(f't.{c}' for c in cells)} FROM t.keys AS t "
            f"WHERE NOT ({empty}) AND NOT EXISTS (SELECT 1 FROM s.keys AS s WHERE {same})"
        )
        problems = []
        for row, *values in missing:
            note = 'for "{}": values "{}" not found in the lookup table "{}" as "{}"'.format(
                ", ".join(fk.fields),
                ", ".join(_shown(value) for value in values),
                fk.named,
                ", ".join(fk.reference),
            )
            problems.append(Problem(name, row, f"frictionless foreign-key: {note}"))
        return problems
    finally:
        connection.close()
