"""Claim lineages, read from the built package: who first published a number or reported a
speech event, and how it changed as it travelled from article to article.

Everything here reads the published tables (``claims``, ``lineage``, ``actors``), verified
against the descriptor's hashes first, so what the command prints is what a researcher who
downloads the package gets; the changes were named by the build (``lineage.changes``).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .diagnostics import folded

__all__ = [
    "Lineage",
    "LineageError",
    "Listed",
    "as_json",
    "claim_list",
    "lineage",
    "list_text",
    "text",
]

NONE = "—"
OWN_VOICE = "the article's own voice"

# Each named change, and the lineage columns whose values it compares.
_COLUMNS = {
    "value_changed": ("value",),
    "qualifier_changed": ("qualifier",),
    "bounds_changed": ("low", "high"),
    "attribution_added": ("credited_to",),
    "attribution_changed": ("credited_to",),
    "attribution_dropped": ("credited_to",),
    "via_added": ("via",),
    "via_changed": ("via",),
    "via_dropped": ("via",),
}


class LineageError(Exception):
    """The package cannot be read, or has no such claim."""


@dataclass(frozen=True)
class Lineage:
    """One claim and its records, in the order of their articles' publication."""

    claim: Any
    records: list[Any]
    names: dict[str, str]


def _package(root: Path) -> Any:
    from .api import VerificationError, load

    try:
        package = load(root)
    except (VerificationError, OSError, KeyError, ValueError, TypeError, csv.Error) as exc:
        raise LineageError(f"{exc}; run `chechnya-purges build` first") from exc
    if "claims" not in package.tables or "lineage" not in package.tables:
        raise LineageError("the built package has no claims: run `chechnya-purges build`")
    return package


@dataclass(frozen=True)
class Listed:
    """A claim, and when its first appearance was published, at the precision the article's
    date has (the claims table's first_published_earliest is a day even for a month)."""

    claim: Any
    first_published: str | None


def claim_list(root: Path) -> list[Listed]:
    """Every claim of the built package, by id."""
    package = _package(root)
    first = {row.claim_id: row.published for row in package.lineage if row.position == 1}
    return [Listed(claim, first.get(claim.claim_id)) for claim in package.claims]


def lineage(root: Path, claim_id: str) -> Lineage:
    """One claim's lineage from the built package."""
    package = _package(root)
    claims = {claim.claim_id: claim for claim in package.claims}
    if claim_id not in claims:
        close = difflib.get_close_matches(claim_id, list(claims), n=1, cutoff=0.6)
        hint = (
            f"did you mean {close[0]!r}?" if close else "run `chechnya-purges lineage` for the list"
        )
        raise LineageError(f"no claim {claim_id!r}; {hint}")
    records = sorted(
        (row for row in package.lineage if row.claim_id == claim_id), key=lambda r: r.position
    )
    names = {actor.actor_id: actor.name for actor in package.actors}
    return Lineage(claims[claim_id], records, names)


def _shown(value: Any) -> str:
    return NONE if value is None else str(value)


def _actor(actor_id: str | None, names: dict[str, str], empty: str = NONE) -> str:
    if actor_id is None:
        return empty
    return f"{folded(names.get(actor_id, actor_id))} ({actor_id})"


def _changes(record: Any) -> list[str]:
    return record.changes.split("; ") if record.changes else []


def _change_text(change: str, first: Any, record: Any, names: dict[str, str]) -> str:
    """A change with the first appearance's value and this record's: "qualifier changed:
    more_than → at_least"."""
    columns = _COLUMNS.get(change, ())
    if columns == ("credited_to",) or columns == ("via",):
        (column,) = columns
        empty = OWN_VOICE if column == "credited_to" else NONE
        before = _actor(getattr(first, column), names, empty)
        after = _actor(getattr(record, column), names, empty)
    elif len(columns) == 1:
        before, after = _shown(getattr(first, columns[0])), _shown(getattr(record, columns[0]))
    else:
        before = ", ".join(f"{c} {_shown(getattr(first, c))}" for c in columns)
        after = ", ".join(f"{c} {_shown(getattr(record, c))}" for c in columns)
    return f"{change.replace('_', ' ')}: {before} → {after}"


def text(found: Lineage) -> str:
    """The lineage as people read it: the claim, then each record with what changed."""
    claim, names = found.claim, found.names
    lines = [
        f"{claim.claim_id} ({claim.kind} claim): {folded(claim.summary)}",
        f"origin: {_actor(claim.origin_id, names, 'not traced')}",
    ]
    if claim.note:
        lines.append(f"note: {folded(claim.note)}")
    if not found.records:
        lines.append("no figure or statement links to this claim")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{claim.records} record(s) in {claim.articles} article(s); first appearance in "
        f"{claim.first_article_id}"
    )
    first = found.records[0]
    for record in found.records:
        record_id = record.figure_id or record.statement_id
        lines += [
            "",
            f"{record.position}. {record.published} ({record.published_precision})  {record_id}",
            f"   credited to: {_actor(record.credited_to, names, OWN_VOICE)}",
        ]
        if record.via is not None:
            lines.append(f"   via: {_actor(record.via, names)}")
        if record.figure_id is not None:
            lines.append(
                f"   value: {record.value}  qualifier: {record.qualifier}  "
                f"low: {_shown(record.low)}  high: {_shown(record.high)}"
            )
        lines.append(f"   quote: {folded(record.quote)}")
        changes = _changes(record)
        if record.position == 1:
            lines.append("   first appearance")
        elif not changes:
            lines.append("   unchanged from the first appearance")
        for change in changes:
            lines.append(f"   changed: {folded(_change_text(change, first, record, names))}")
    return "\n".join(lines) + "\n"


def list_text(claims: list[Listed]) -> str:
    """One line per claim: how many records and articles report it, and where it appears
    first."""
    header = ("claim", "kind", "records", "articles", "first appearance", "summary")
    rows = [
        (
            c.claim.claim_id,
            c.claim.kind,
            str(c.claim.records),
            str(c.claim.articles),
            f"{c.first_published or NONE} {c.claim.first_article_id or ''}".strip(),
            folded(c.claim.summary),
        )
        for c in claims
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        + "  "
        + row[-1]
        + "\n"
        for row in [header, *rows]
    )


def _plain(row: Any) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in ((n, getattr(row, n)) for n in row.__slots__)
    }


def as_json(found: Lineage | list[Listed]) -> Any:
    """The lineage (or the list of claims) as JSON values, changes as lists."""
    if isinstance(found, list):
        return [_plain(c.claim) | {"first_published": c.first_published} for c in found]
    records = []
    for record in found.records:
        item = _plain(record)
        item["changes"] = _changes(record)
        records.append(item)
    return {"claim": _plain(found.claim), "lineage": records}
