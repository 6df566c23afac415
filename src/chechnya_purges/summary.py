"""What the README says about each article, computed from the published tables.

The per-article table in README.md is generated, never typed: ``chechnya-purges summary``
prints it from ``build/``, and a test fails when the README and the build disagree.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

__all__ = ["MARKERS", "SummaryError", "article_table"]

MARKERS = ("<!-- articles:start -->", "<!-- articles:end -->")


class SummaryError(Exception):
    """build/ is missing or holds tables of another shape than build writes."""


def _read(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def article_table(root: Path) -> str:
    """A Markdown table: one row per article with its publisher, date and counts."""
    try:
        return _table(root)
    except OSError as exc:
        where = Path(str(exc.filename or root / "build"))
        shown = where.relative_to(root) if where.is_relative_to(root) else where
        raise SummaryError(f"cannot read {shown}: {exc.strerror or exc}") from exc
    except (KeyError, ValueError, csv.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise SummaryError(f"build/ does not hold the tables build writes: {exc!r}") from exc


def _table(root: Path) -> str:
    names = {row["actor_id"]: row["name"] for row in _read(root, "actors")}
    counts = {
        name: Counter(row["article_id"] for row in _read(root, name))
        for name in ("figures", "statements", "mentions")
    }
    lines = [
        "| article | publisher | published | figures | statements | actors |",
        "|---|---|---|--:|--:|--:|",
    ]
    for row in _read(root, "articles"):
        article = row["article_id"]
        publisher = names.get(row["publisher_id"], "not stated")
        lines.append(
            f"| `{article}` | {publisher} | {row['published']} ({row['published_basis']}) "
            f"| {counts['figures'][article]} | {counts['statements'][article]} "
            f"| {counts['mentions'][article]} |"
        )
    return "\n".join(lines) + "\n"
