"""The dataset as Python objects: ``chechnya_purges.load()``.

The installed wheel carries the built package (``_package/``), so ``load()`` works anywhere
the library is installed, at exactly the pinned version. Any other copy — a folder, a
release zip — is verified against its descriptor's hashes before a row is read. Row types
are made from the copy's own Table Schema, so an older or newer release loads with its own
columns.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import field, make_dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ._package import CopyError, open_copy
from .compat import python_version
from .release import verify_version

__all__ = ["Dataset", "VerificationError", "datapackage_path", "load", "package_version"]

_PACKAGED = Path(__file__).with_name("_package")
_CHECKOUT = Path(__file__).resolve().parents[2]
_TYPES: dict[str, Any] = {"integer": int, "date": date, "string": str}


class VerificationError(Exception):
    """A package copy that does not match its own descriptor."""


def datapackage_path() -> Path:
    """The descriptor of the package this library version ships (for frictionless, pandas).

    In a source checkout it is the repository's own ``datapackage.json``.
    """
    for folder in (_PACKAGED, _CHECKOUT):
        if (folder / "datapackage.json").is_file():
            return folder / "datapackage.json"
    raise FileNotFoundError("no packaged datapackage.json: reinstall chechnya-purges")


def package_version() -> str:
    """The version of the package this library ships, in PEP 440 form (``1.1.0.dev0``).

    Read from the shipped descriptor, which ``build`` wrote, so that the library and its data
    never disagree; "0+unknown" when there is no readable descriptor.
    """
    try:
        descriptor = json.loads(datapackage_path().read_bytes())
        return python_version(str(descriptor["version"]))
    except (OSError, ValueError, KeyError, TypeError):
        return "0+unknown"


class Dataset:
    """All tables of one release: ``ds.figures`` is a list of rows, ``ds.version`` the
    version. ``ds.tables`` maps every table name to its rows."""

    def __init__(self, version: str, tables: dict[str, list[Any]]):
        self.version = version
        self.tables = tables

    def __getattr__(self, name: str) -> list[Any]:
        try:
            return self.tables[name]
        except KeyError:
            raise AttributeError(f"no table {name!r}; tables: {', '.join(self.tables)}") from None

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(rows)}" for name, rows in self.tables.items())
        return f"<chechnya-purges {self.version}: {sizes}>"


def _row_type(resource: dict[str, Any]) -> tuple[type, list[tuple[str, Any]]]:
    fields = []
    for spec in resource["schema"]["fields"]:
        kind = _TYPES.get(spec.get("type", "string"), str)
        required = spec.get("constraints", {}).get("required", False)
        fields.append((spec["name"], kind if required else kind | None))
    name = "".join(part.title() for part in resource["name"].split("_")) + "Row"
    dataclass_fields = [(n, t, field()) for n, t in fields]
    return make_dataclass(name, dataclass_fields, frozen=True, slots=True), fields


def _value(text: str, kind: Any) -> Any:
    if text == "":
        return None
    base = next((t for t in (int, date) if kind in (t, t | None)), str)
    if base is int:
        return int(text)
    if base is date:
        return date.fromisoformat(text)
    return text


def load(path: str | Path | None = None) -> Dataset:
    """Every table of the package as typed rows.

    Without ``path``: the package this library version ships. With one (a folder holding
    ``datapackage.json``, the descriptor itself, or a release zip): that copy, after its files
    are checked against the descriptor's sizes and SHA-256 hashes, as ``verify`` checks them.

    Raises :class:`VerificationError`, and nothing else, for any copy that cannot be read or
    does not match its descriptor.
    """
    try:
        target = Path(path) if path is not None else datapackage_path().parent
    except FileNotFoundError as exc:
        raise VerificationError(str(exc)) from None
    if target.name == "datapackage.json":
        target = target.parent
    try:
        copy = open_copy(target)
    except CopyError as exc:
        raise VerificationError(f"{target}: {exc}") from None
    problems = [p for p in copy.problems if p.severity == "error"]
    problems += verify_version(copy.descriptor)
    if problems:
        details = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise VerificationError(f"{target} does not match its descriptor: {details}")
    try:
        return _tables(copy.descriptor, copy.files)
    except (KeyError, TypeError, ValueError, AttributeError, csv.Error) as exc:
        # Every file matches its descriptor, yet the descriptor describes something else
        # than this library reads: a package made by another tool, or made to mislead.
        reason = f"{type(exc).__name__}: {exc}"
        raise VerificationError(f"{target}: its tables cannot be read: {reason}") from None


def _tables(descriptor: dict[str, Any], files: dict[str, bytes]) -> Dataset:
    tables: dict[str, list[Any]] = {}
    for resource in descriptor["resources"]:
        if resource.get("type") != "table":
            continue
        row_type, fields = _row_type(resource)
        reader = csv.DictReader(io.StringIO(files[resource["path"]].decode("utf-8"), newline=""))
        tables[resource["name"]] = [
            row_type(**{name: _value(row[name], kind) for name, kind in fields}) for row in reader
        ]
    return Dataset(str(descriptor["version"]), tables)
