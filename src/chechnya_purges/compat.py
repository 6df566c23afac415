"""Compatibility between releases: snapshots, a classified diff, and the version rule.

A snapshot is what a release promised downstream users: each table's columns, types and
constraints, and each record by primary key with a hash of its row. Comparing two snapshots
classifies every change by the Data Package version recipe (README, "Versions"):

- MAJOR: a table or column removed, a type changed, a constraint tightened, an enum value
  removed, a primary key changed, a foreign key added on existing columns, a record id
  removed;
- MINOR: a table, column (with its foreign key), enum value or record added, a constraint
  loosened;
- PATCH: a record's values corrected, a description reworded.

Records are the rows of the entity tables (actors, articles, claims, figures, statements),
whose single-column ids are public and never reused. Rows of the link tables (affiliations,
mentions, statement addressees, lineage) are corrections of their entities, or follow from
them: any change to them is a PATCH.

The version itself is never typed by hand. The last release is the highest snapshot in
``releases/`` (written only by ``release``); between releases the outputs carry the version
the pending changes call for, as a SemVer pre-release (``1.1.0-dev``), so that no output ever
claims a released version for bytes that differ from that release.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from ._package import CopyError, open_copy
from .diagnostics import Diagnostic

__all__ = [
    "FIRST",
    "Change",
    "Level",
    "Pending",
    "SnapshotError",
    "changelog_for_release",
    "classify",
    "content_digest",
    "diff",
    "latest_snapshot",
    "pending",
    "python_version",
    "read_package",
    "release_problems",
    "required_version",
    "snapshot",
    "unreleased_entries",
]

SNAPSHOTS = "releases"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
# The version of a dataset's first release, and the suffix of every version between releases.
FIRST = "1.0.0"
DEV = "-dev"


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


def python_version(version: str) -> str:
    """The PEP 440 form of a dataset version, for the Python package: ``1.1.0-dev`` →
    ``1.1.0.dev0`` (pip orders it before 1.1.0, as SemVer orders ``1.1.0-dev``)."""
    base, dev, rest = version.partition(DEV)
    return f"{base}.dev0" if dev and not rest else version


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


def content_digest(files: Mapping[str, bytes]) -> str:
    """A hash of every byte the package publishes except its version string.

    The tables' structure and records miss some changes (package metadata, a descriptor
    property, the nested JSON's layout); two packages with the same digest differ at most in
    the version they state, so a changed digest is at least a PATCH. Several files state the
    version (the nested JSON, the citation, the codebook, the Croissant file), so each listed
    file is hashed with its version string taken out, and the descriptor without the sizes
    and hashes that those files' versions change.
    """
    descriptor = json.loads(files["datapackage.json"])
    version = str(descriptor.pop("version", "")).encode()
    paths = []
    for resource in descriptor.get("resources", []):
        resource.pop("bytes", None)
        resource.pop("hash", None)
        paths.append(str(resource.get("path", "")))
    digest = hashlib.sha256(json.dumps(descriptor, sort_keys=True).encode())
    for path in sorted(paths):
        content = files.get(path, b"")
        digest.update(f"\n{path}\n{len(content)}\n".encode())
        digest.update(content.replace(version, b"") if version else content)
    return digest.hexdigest()


def _snapshot(files: Mapping[str, bytes], like: Mapping[str, Any] | None) -> dict[str, Any]:
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
        older = (like or {}).get("tables", {}).get(resource["name"], {}).get("fields", {})
        kept = [index for index, name in enumerate(header) if name in older]
        if not older or len(kept) != len(older):
            kept = list(range(len(header)))
        records[resource["name"]] = {
            "|".join(row[i] for i in keys): _row_hash([row[i] for i in kept]) for row in reader
        }
    return {
        "version": descriptor.get("version", ""),
        "tables": tables,
        "records": records,
        "content": content_digest(files),
    }


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


def snapshot(files: Mapping[str, bytes], like: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a package promises: its tables' structure, every record by primary key, and a
    digest of all its bytes but the version.

    With ``like`` (an older snapshot), each row of a table the older one has is hashed over
    the older table's columns only: a column added since then, empty or not, is reported
    once as a column, not again as a change to every row.
    """
    try:
        made = _snapshot(files, like)
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


def load_snapshot(path: Path, like: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A snapshot from a snapshot file, a descriptor, a package folder or a release zip
    (``like`` as for :func:`snapshot`; a snapshot file is taken as it is)."""
    if path.name == "datapackage.json":
        return snapshot(read_package(path.parent), like)
    if path.suffix == ".json" and path.is_file():
        try:
            value = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise SnapshotError(f"{path}: not a readable snapshot: {exc}") from exc
        return _checked(value, str(path))
    return snapshot(read_package(path), like)


def latest_snapshot(root: Path) -> Path | None:
    """The snapshot of the highest released version kept in ``releases/``, if any.

    Raises SnapshotError when ``releases/`` is a link or not a folder: a pull request could
    point it at snapshots outside the dataset, or at an empty folder to pass for a first
    release."""
    folder = root / SNAPSHOTS
    if os.path.lexists(folder) and not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise SnapshotError(
            f"{SNAPSHOTS} is a symbolic link or not a folder; only a real folder is read"
        )
    found = []
    for path in folder.glob("*.json"):
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


_ENTITY_TABLES = frozenset({"actors", "articles", "claims", "figures", "statements"})


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
        for key in sorted(new_keys - old_keys):
            # A key on columns that are new constrains no value a user already had: it comes
            # with the columns (a MINOR change), as a new table's keys do.
            fields = json.loads(key).get("fields", [])
            fresh = bool(fields) and not set(fields) & set(before["fields"])
            changes.append(
                Change(
                    Level.MINOR if fresh else Level.MAJOR,
                    table,
                    table,
                    f"foreign key added on {', '.join(fields)}"
                    + (", a new column" if fresh else ""),
                )
            )
        if old_keys - new_keys:
            changes.append(Change(Level.MINOR, table, table, "foreign key removed"))
        changes += _record_changes(
            table, old["records"].get(table, {}), new["records"].get(table, {})
        )
    if not changes and old.get("content", new.get("content")) != new.get("content"):
        changes.append(
            Change(
                Level.PATCH,
                "package",
                "datapackage.json",
                "published bytes changed outside the tables' records and columns",
            )
        )
    return changes


def classify(changes: list[Change]) -> Level:
    """The release level the changes call for."""
    return max((change.level for change in changes), default=Level.NONE)


@dataclass(frozen=True)
class Pending:
    """Where the dataset stands against its last release.

    ``released`` is the last release (None before the first), ``level`` what the changes
    since then call for, ``next`` the version ``release`` would assign, and ``version`` the
    one the outputs carry now: the release itself when nothing changed, else ``next-dev``.
    """

    released: str | None
    level: Level
    changes: tuple[Change, ...]
    next: str

    @property
    def version(self) -> str:
        if self.released is not None and self.level is Level.NONE:
            return self.released
        return self.next + DEV


def pending(root: Path, files: Mapping[str, bytes]) -> Pending:
    """Compare what build writes now with the last release kept in ``releases/``.

    Raises SnapshotError when that snapshot cannot be read.
    """
    baseline = latest_snapshot(root)
    if baseline is None:
        return Pending(None, Level.MINOR, (), FIRST)
    where = baseline.relative_to(root).as_posix()
    if baseline.is_symlink() or not baseline.is_file():
        raise SnapshotError(f"{where}: not a regular file")
    try:
        old = load_snapshot(baseline)
        released = str(old["version"])
        if released != baseline.stem:
            raise SnapshotError(f"{where}: states version {released!r}, not {baseline.stem}")
        changes = diff(old, snapshot(files, like=old))
    except (KeyError, TypeError, AttributeError, ValueError, OSError) as exc:
        raise SnapshotError(f"{where}: not a release snapshot ({exc})") from exc
    level = classify(changes)
    return Pending(released, level, tuple(changes), required_version(released, level))


def unreleased_entries(text: str) -> str:
    """The text under CHANGELOG.md's ``## Unreleased`` heading (empty when there is none)."""
    match = re.search(r"^## Unreleased[ \t]*\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1).strip() if match else ""


def changelog_for_release(text: str, version: str) -> str:
    """CHANGELOG.md with the entries under ``## Unreleased`` moved under ``## version``,
    leaving an empty ``## Unreleased`` above it for the changes that follow."""
    entries = unreleased_entries(text)
    heading = re.search(r"^## Unreleased[ \t]*\n", text, flags=re.M)
    if heading is None or not entries:
        raise SnapshotError("CHANGELOG.md has no entries under '## Unreleased' to release")
    start = heading.start()
    end = text.index(entries, heading.end()) + len(entries)
    rest = text[end:].lstrip("\n")
    tail = "\n" + rest if rest else ""
    return f"{text[:start]}## Unreleased\n\n## {version}\n\n{entries}\n{tail}"


CHANGELOG = "CHANGELOG.md"
CHANGELOG_BYTES = 1 << 20


def read_changelog(root: Path) -> tuple[str, list[Diagnostic]]:
    """CHANGELOG.md's text ("" when there is none), read like every input of a pull request:
    a regular file inside the root, bounded, UTF-8; else the one diagnostic why not."""
    from .reader import decode_text, read_input

    if not os.path.lexists(root / CHANGELOG):
        return "", []
    raw, problems = read_input(root, CHANGELOG, CHANGELOG_BYTES)
    if raw is None:
        return "", problems
    text, problems = decode_text(raw, CHANGELOG)
    return (text, []) if text is not None else ("", problems)


def release_problems(root: Path, state: Pending) -> list[Diagnostic]:
    """Whether CHANGELOG.md says what changed since the last release: pending changes need a
    line under ``## Unreleased``, and the last release its own heading (``release`` writes
    both). ``release`` asks for the Unreleased entries of a first release itself."""
    if state.released is None:  # a dataset that has never been released keeps no log yet
        return []
    text, unreadable = read_changelog(root)
    if unreadable:
        return unreadable
    if state.level is not Level.NONE:
        if unreleased_entries(text):
            return []
        return [
            Diagnostic(
                "CHANGELOG.md",
                1,
                1,
                "changelog-missing",
                f"the changes since {state.released} ({state.level.name}) have "
                "no entry under '## Unreleased'",
                "add a '## Unreleased' section with one line saying what you added or "
                "corrected, e.g. '- Article 900_example: asylum granted to 14 activists.'",
            )
        ]
    if state.released and not re.search(
        rf"^## \[?{re.escape(state.released)}\]?(\s|$)", text, flags=re.M
    ):
        return [
            Diagnostic(
                "CHANGELOG.md",
                1,
                1,
                "changelog-missing",
                f"no entry for the released version {state.released}",
                f"add a '## {state.released}' section",
            )
        ]
    return []
