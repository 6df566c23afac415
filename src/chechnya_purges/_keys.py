"""The written tables' primary and foreign keys, checked with the keys kept on disk.

frictionless checks a table's primary key by holding every key it has read, and each foreign
key by holding every key of the table referred to, which it reads whole again for each table
that refers to it. At 30,000 articles that alone passes 400 MiB, at 100,000 a GiB. Here the
same checks are made over the same values, the cells as frictionless's own row stream casts
them, taken while it validates each row (its own key checks are switched off for the pass);
the keys go to SQLite databases in a temporary folder and are compared there, so memory stays
flat however long the tables, and no table is read twice.

Only string and integer keys are compared this way, the only kinds ``build`` writes: SQLite
compares those values as Python compares the cells (text by code point, integers by value,
never text with a number; a missing cell is NULL, and ``IS`` compares it as ``==`` compares
None). A package with keys of any other kind is left to frictionless whole.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Collector", "Plan", "plan", "problems"]

COMPARABLE = {"string", "integer"}
# frictionless stops listing a table's problems at this many; so do the key checks.
LIMIT = 1000
_BATCH = 4096
# More cells than any real key needs; SQLite allows 2,000 columns a table.
_COLUMNS = 100


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

    def table(self, name: str) -> str:
        """A table's name in SQL: its place in the plan, never text from the descriptor."""
        return f"t{list(self.columns).index(name)}"

    def column(self, name: str, field: str) -> str:
        return f"c{self.columns[name].index(field)}"


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


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    return connection


class Collector:
    """One worker's tables' keys, as frictionless reads their rows."""

    def __init__(self, keys: Plan, path: Path) -> None:
        self.keys, self.connection = keys, _connect(path)
        self.connection.execute("CREATE TABLE present (resource TEXT, field TEXT)")
        self.connection.execute("BEGIN")

    def table(self, name: str) -> _Table:
        return _Table(self, name)

    def close(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.close()


class _Table:
    """One table's keys: called with each row frictionless validates."""

    def __init__(self, collector: Collector, name: str) -> None:
        keys = collector.keys
        self.connection, self.name = collector.connection, name
        self.fields = keys.columns[name]
        cells = "".join(f", {keys.column(name, f)}" for f in self.fields)
        self.sql = f"{keys.table(name)} (row INTEGER PRIMARY KEY{cells})"
        self.insert = f"INSERT INTO {keys.table(name)} VALUES (?{', ?' * len(self.fields)})"
        self.batch: list[tuple[Any, ...]] = []
        self.last = 0

    def __call__(self, row: Any) -> None:
        if not self.last:
            self.connection.execute(f"CREATE TABLE {self.sql}")
            present = [(self.name, f) for f in self.fields if f in row.field_names]
            self.connection.executemany("INSERT INTO present VALUES (?, ?)", present)
        self.batch.append((row.row_number, *[row.get(f) for f in self.fields]))
        self.last = row.row_number
        if len(self.batch) == _BATCH:
            self._flush()

    def _flush(self) -> None:
        try:
            self.connection.executemany(self.insert, self.batch)
        except OverflowError:
            again = self.insert.replace("INSERT", "INSERT OR REPLACE", 1)
            self.connection.executemany(again, [tuple(map(_huge, row)) for row in self.batch])
        self.batch.clear()

    def close(self, resource: Any, partial: bool) -> bool:
        """Whether the table's keys were read (None of them when frictionless could not
        open it: it says why). When it stopped early, at too many errors, the rest of the
        rows are read for their keys, which other tables' foreign keys need."""
        from frictionless import FrictionlessException

        if resource.stats.rows is None:
            return False
        if not self.last:
            self.connection.execute(f"CREATE TABLE {self.sql}")
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
        return True


def _huge(value: Any) -> Any:
    """An integer past SQLite's 64 bits as its digits, a BLOB: equal to the same integer's,
    and to no text or number (SQLite never finds a BLOB equal to either)."""
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value).encode("ascii")
    return value


def _shown(value: Any) -> str:
    return str(int(value)) if isinstance(value, bytes) else str(value)


class Problem(NamedTuple):
    resource: str
    row: int
    message: str


def problems(keys: Plan, where: dict[str, Path], folder: Path) -> list[Problem]:
    """The key problems frictionless would find, by table and row: ``where`` names the
    database each table's keys went to."""
    connection = _connect(folder / "keys.sqlite")
    schemas: dict[str, str] = {}
    for number, path in enumerate(sorted(set(where.values()))):
        connection.execute(f"ATTACH DATABASE ? AS w{number}", (str(path),))
        schemas[str(path)] = f"w{number}"
    at = {name: f"{schemas[str(path)]}.{keys.table(name)}" for name, path in where.items()}
    present: set[tuple[str, str]] = set()
    for schema in set(schemas.values()):
        present |= set(connection.execute(f"SELECT resource, field FROM {schema}.present"))
    found: list[Problem] = []
    indexed: set[tuple[str, tuple[str, ...]]] = set()

    def index(name: str, fields: tuple[str, ...]) -> None:
        if (name, fields) not in indexed:
            indexed.add((name, fields))
            schema, table = at[name].split(".")
            columns = ", ".join(keys.column(name, f) for f in fields)
            number = len(indexed)
            connection.execute(f"CREATE INDEX {schema}.i{number} ON {table} ({columns})")

    for name, fields in keys.primary.items():
        if not fields or name not in at or any((name, f) not in present for f in fields):
            continue
        index(name, fields)
        cells = [keys.column(name, f) for f in fields]
        empty = " AND ".join(f"{c} IS NULL" for c in cells)
        note = 'cells composing the primary keys are all "None"'
        for (row,) in connection.execute(f"SELECT row FROM {at[name]} WHERE {empty}"):
            found.append(Problem(name, row, f"frictionless primary-key: {note}"))
        repeated = connection.execute(
            f"SELECT row, previous FROM (SELECT row, LAG(row) OVER "
            f"(PARTITION BY {', '.join(cells)} ORDER BY row) AS previous "
            f"FROM {at[name]} WHERE NOT ({empty})) WHERE previous IS NOT NULL"
        )
        for row, previous in repeated:
            note = f"the same as in the row at position {previous}"
            found.append(Problem(name, row, f"frictionless primary-key: {note}"))
    for name, foreign in keys.foreign.items():
        for fk in foreign:
            if name not in at or fk.resource not in at:
                continue
            if any((name, f) not in present for f in fk.fields):
                continue
            index(fk.resource, fk.reference)
            cells = [keys.column(name, f) for f in fk.fields]
            theirs = [keys.column(fk.resource, f) for f in fk.reference]
            empty = " AND ".join(f"t.{c} IS NULL" for c in cells)
            same = " AND ".join(f"s.{a} IS t.{b}" for a, b in zip(theirs, cells, strict=True))
            missing = connection.execute(
                f"SELECT t.row, {', '.join(f't.{c}' for c in cells)} FROM {at[name]} AS t "
                f"WHERE NOT ({empty}) AND NOT EXISTS "
                f"(SELECT 1 FROM {at[fk.resource]} AS s WHERE {same})"
            )
            for row, *values in missing:
                note = 'for "{}": values "{}" not found in the lookup table "{}" as "{}"'.format(
                    ", ".join(fk.fields),
                    ", ".join(_shown(value) for value in values),
                    fk.named,
                    ", ".join(fk.reference),
                )
                found.append(Problem(name, row, f"frictionless foreign-key: {note}"))
    connection.close()
    return found
