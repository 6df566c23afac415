"""Compatibility between releases: snapshots, a classified diff, and the version rule.

A snapshot is what a release promised downstream users: each table's columns, types and
constraints, and each record by primary key with a hash of its row. Comparing two snapshots
classifies every change by DESIGN's version rules (the Data Package version recipe):

- MAJOR: a table or column removed, a type changed, a constraint tightened, an enum value
  removed, a primary or foreign key changed, a record id removed;
- MINOR: a table, column, enum value or record added, a constraint loosened;
- PATCH: a record's values corrected, a description reworded.

Records are the rows of the entity tables (actors, articles, figures, statements), whose
single-column ids are public and never reused. Rows of the link tables (affiliations,
mentions, statement addressees) are corrections of their entities: any change to them is a
PATCH.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from ._package import CopyError, open_copy
from .diagnostics import Diagnostic

__all__ = [
    "Change",
    "Level",
    "SnapshotError",
    "classify",
    "diff",
    "latest_snapshot",
    "read_package",
    "release_problems",
    "required_version",
    "snapshot",
]

SNAPSHOTS = "releases"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


class SnapshotError(Exception):
    """A package or snapshot that cannot be read."""


class Level(IntEnum):
    """How much a change breaks, in SemVer terms."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


@dataclass(frozen=True, order=True)
class Change:
    """One difference between two releases."""

    level: Level
    table: str
    subject: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "level": self.level.name}


def _version(text: str) -> tuple[int, int, int]:
    match = _SEMVER.match(text)
    if not match:
        raise SnapshotError(f"version {text!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def required_version(old: str, level: Level) -> str:
    """The smallest version that may follow ``old`` after changes of ``level``."""
    major, minor, patch = _version(old)
    return {
        Level.NONE: old,
        Level.PATCH: f"{major}.{minor}.{patch + 1}",
        Level.MINOR: f"{major}.{minor + 1}.0",
        Level.MAJOR: f"{major + 1}.0.0",
    }[level]


def enough(old: str, new: str, level: Level) -> bool:
    """Whether ``new`` rises far enough above ``old`` for changes of ``level``."""
    return _version(new) >= _version(required_version(old, level))


def read_package(path: Path) -> dict[str, bytes]:
    """The files of a package (a folder with datapackage.json, or a release zip) by path,
    once the copy was found to match its descriptor."""
    try:
        copy = open_copy(path)
    except CopyError as exc:
        raise SnapshotError(f"{path}: {exc}") from exc
    errors = [p for p in copy.problems if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SnapshotError(
            f"{path} does not match its descriptor: {first.path}: {first.message}{more}; "
            "see `chechnya-purges verify`"
        )
    return {"datapackage.json": copy.raw_descriptor, **copy.files}


def _row_hash(row: list[str]) -> str:
    return hashlib.sha256(json.dumps(row, ensure_ascii=False).encode()).hexdigest()[:16]


def _snapshot(files: Mapping[str, bytes]) -> dict[str, Any]:
    descriptor = json.loads(files["datapackage.json"])
    tables: dict[str, Any] = {}
    records: dict[str, dict[str, str]] = {}
    for resource in descriptor["resources"]:
        if resource.get("type") != "table":
            continue
        schema = resource["schema"]
        tables[resource["name"]] = {
            "primaryKey": schema.get("primaryKey", []),
            "foreignKeys": schema.get("foreignKeys", []),
            "fields": {
                f["name"]: {
                    "type": f.get("type", "string"),
                    "description": f.get("description", ""),
                    "constraints": f.get("constraints", {}),
                }
                for f in schema["fields"]
            },
        }
        content = files.get(resource["path"])
        if content is None:
            raise SnapshotError(f"{resource['path']}: missing from the package")
        reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""))
        header = next(reader)
        keys = [header.index(k) for k in schema.get("primaryKey", [])]
        records[resource["name"]] = {
            "|".join(row[i] for i in keys): _row_hash(row) for row in reader
        }
    return {"version": descriptor.get("version", ""), "tables": tables, "records": records}


# What diff relies on in a snapshot, checked before it compares anything: a snapshot file
# in releases/ or a package can come from anywhere.
_SNAPSHOT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "tables", "records"],
    "properties": {
        "version": {"type": "string"},
        "tables": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["primaryKey", "foreignKeys", "fields"],
                "properties": {
                    "primaryKey": {"type": "array", "items": {"type": "string"}},
                    "foreignKeys": {"type": "array"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["type", "description", "constraints"],
                            "properties": {
                                "type": {"type": "string"},
                                "description": {"type": "string"},
                                "constraints": {
                                    "type": "object",
                                    "properties": {
                                        "enum": {
                                            "type": "array",
                                            "items": {"type": ["string", "number", "boolean"]},
                                        }
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "records": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
        },
    },
}


def _checked(value: Any, source: str) -> dict[str, Any]:
    import jsonschema

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(_SNAPSHOT_SCHEMA).iter_errors(value)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise SnapshotError(f"{source}: not a package snapshot: at /{where}: {error.message}")
    return dict(value)


def snapshot(files: Mapping[str, bytes]) -> dict[str, Any]:
    """What a package promises: its tables' structure and every record by primary key."""
    try:
        made = _snapshot(files)
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        IndexError,
        StopIteration,
        RecursionError,
        csv.Error,
    ) as exc:  # a descriptor of another shape than build writes
        reason = f"{type(exc).__name__}: {exc}"
        raise SnapshotError(f"the package's tables cannot be read: {reason}") from exc
    return _checked(made, "the package")


def load_snapshot(path: Path) -> dict[str, Any]:
    """A snapshot from a snapshot file, a descriptor, a package folder or a release zip."""
    if path.name == "datapackage.json":
        return snapshot(read_package(path.parent))
    if path.suffix == ".json" and path.is_file():
        try:
            value = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SnapshotError(f"{path}: not a readable snapshot: {exc}") from exc
        return _checked(value, str(path))
    return snapshot(read_package(path))


def latest_snapshot(root: Path) -> Path | None:
    """The snapshot of the highest released version kept in ``releases/``, if any."""
    found = []
    for path in (root / SNAPSHOTS).glob("*.json"):
        try:
            found.append((_version(path.stem), path))
        except SnapshotError:
            continue
    return max(found)[1] if found else None


def _field_changes(table: str, name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    subject = f"{table}.{name}"
    changes = []
    if old["type"] != new["type"]:
        changes.append(
            Change(Level.MAJOR, table, subject, f"type changed from {old['type']} to {new['type']}")
        )
    before, after = old["constraints"], new["constraints"]
    if before.get("required") != after.get("required"):
        tightened = bool(after.get("required"))
        changes.append(
            Change(
                Level.MAJOR if tightened else Level.MINOR,
                table,
                subject,
                "now required" if tightened else "no longer required",
            )
        )
    if "enum" in before or "enum" in after:
        if "enum" not in after:
            changes.append(Change(Level.MINOR, table, subject, "no longer limited to a list"))
        elif "enum" not in before:
            changes.append(Change(Level.MAJOR, table, subject, "now limited to a list"))
        else:
            for value in sorted(set(before["enum"]) - set(after["enum"])):
                changes.append(Change(Level.MAJOR, table, subject, f"enum value {value!r} removed"))
            for value in sorted(set(after["enum"]) - set(before["enum"])):
                changes.append(Change(Level.MINOR, table, subject, f"enum value {value!r} added"))
    for key in sorted((set(before) | set(after)) - {"required", "enum"}):
        if before.get(key) != after.get(key):
            loosened = key not in after
            changes.append(
                Change(
                    Level.MINOR if loosened else Level.MAJOR,
                    table,
                    subject,
                    f"constraint {key} {'removed' if loosened else 'changed'}: "
                    f"{before.get(key)!r} → {after.get(key)!r}",
                )
            )
    if old["description"] != new["description"]:
        changes.append(Change(Level.PATCH, table, subject, "description reworded"))
    return changes


_ENTITY_TABLES = frozenset({"actors", "articles", "figures", "statements"})


def _record_changes(table: str, old: dict[str, str], new: dict[str, str]) -> list[Change]:
    entity = table in _ENTITY_TABLES
    noun = "record" if entity else "row"
    removed, added = (Level.MAJOR, Level.MINOR) if entity else (Level.PATCH, Level.PATCH)
    changes = [
        Change(removed, table, key, f"{noun} removed") for key in sorted(set(old) - set(new))
    ]
    changes += [Change(added, table, key, f"{noun} added") for key in sorted(set(new) - set(old))]
    for key in sorted(set(old) & set(new)):
        if old[key] != new[key]:
            changes.append(Change(Level.PATCH, table, key, "values changed"))
    return changes


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from one snapshot to the next, classified."""
    changes: list[Change] = []
    for table in sorted(set(old["tables"]) - set(new["tables"])):
        changes.append(Change(Level.MAJOR, table, table, "table removed"))
    for table in sorted(set(new["tables"]) - set(old["tables"])):
        changes.append(Change(Level.MINOR, table, table, "table added"))
    for table in sorted(set(old["tables"]) & set(new["tables"])):
        before, after = old["tables"][table], new["tables"][table]
        for name in before["fields"]:
            if name not in after["fields"]:
                changes.append(Change(Level.MAJOR, table, f"{table}.{name}", "column removed"))
            else:
                changes += _field_changes(
                    table, name, before["fields"][name], after["fields"][name]
                )
        for name in after["fields"]:
            if name not in before["fields"]:
                changes.append(Change(Level.MINOR, table, f"{table}.{name}", "column added"))
        if before["primaryKey"] != after["primaryKey"]:
            changes.append(Change(Level.MAJOR, table, table, "primary key changed"))
        old_keys = {json.dumps(k, sort_keys=True) for k in before["foreignKeys"]}
        new_keys = {json.dumps(k, sort_keys=True) for k in after["foreignKeys"]}
        if new_keys - old_keys:
            changes.append(Change(Level.MAJOR, table, table, "foreign key added"))
        if old_keys - new_keys:
            changes.append(Change(Level.MINOR, table, table, "foreign key removed"))
        changes += _record_changes(
            table, old["records"].get(table, {}), new["records"].get(table, {})
        )
    return changes


def classify(changes: list[Change]) -> Level:
    """The release level the changes call for."""
    return max((change.level for change in changes), default=Level.NONE)


def _version_position(root: Path) -> tuple[str, int]:
    """Where the version is written, for a diagnostic that says where to raise it."""
    source = Path(__file__).with_name("__init__.py")
    try:
        shown = source.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = str(source)
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("__version__"):
            return shown, number
    return shown, 1


def release_problems(root: Path, files: Mapping[str, bytes], version: str) -> list[Diagnostic]:
    """Whether the version rises enough since the last release, and the changelog says so.

    Applies only to a dataset that keeps release snapshots in ``releases/``.
    """
    baseline = latest_snapshot(root)
    if baseline is None:
        return []
    try:
        old = load_snapshot(baseline)
        changes = diff(old, snapshot(files))
        level = classify(changes)
        rises = enough(old["version"], version, level)
    except SnapshotError as exc:
        shown = f"{SNAPSHOTS}/{baseline.name}"
        return [
            Diagnostic(
                shown,
                1,
                1,
                "package-unreadable",
                str(exc).replace(str(baseline), shown),
                "restore the snapshot the release made (git checkout releases/)",
            )
        ]
    problems = []
    if not rises:
        path, line = _version_position(root)
        needed = required_version(old["version"], level)
        breaking = [c for c in changes if c.level is level][:3]
        examples = "; ".join(f"{c.subject}: {c.detail}" for c in breaking)
        problems.append(
            Diagnostic(
                path,
                line,
                1,
                "version-bump",
                f"version {version} after release {old['version']}: the changes are {level.name}"
                f" ({examples}), which needs at least {needed}",
                "see `chechnya-purges diff` for every change",
            )
        )
    changelog = root / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8") if changelog.is_file() else ""
    if not re.search(rf"^## \[?{re.escape(version)}\]?(\s|$)", text, flags=re.M):
        problems.append(
            Diagnostic(
                "CHANGELOG.md",
                1,
                1,
                "changelog-missing",
                f"no entry for version {version}",
                f"add a '## {version}' section",
            )
        )
    return problems
