"""The per-article table, computed from the published tables.

It is generated, never typed: ``chechnya-purges summary`` prints it from ``build/``, and
``build`` writes it to ``docs/articles.md`` (drift-checked like every output), so that adding
an article never asks anyone to paste a table.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator, Mapping
from operator import itemgetter
from pathlib import Path
from typing import TypeAlias

from .diagnostics import folded
from .outputs import csv_rows

__all__ = ["ARTICLES_PATH", "SummaryError", "article_page", "article_table", "article_table_of"]

ARTICLES_PATH = "docs/articles.md"
# The tables the page counts rows of, per article.
COUNTED = ("figures", "statements", "mentions")
# Rows of each counted table, by article id.
Counts: TypeAlias = Mapping[str, Mapping[str, int]]


class SummaryError(Exception):
    """build/ is missing or holds tables of another shape than build writes."""


def _rows(files: Mapping[str, bytes], name: str) -> Iterator[dict[str, str]]:
    rows = csv_rows(files, f"build/{name}.csv")
    header = next(rows, [])
    return (dict(zip(header, row, strict=True)) for row in rows)


def _per_article(files: Mapping[str, bytes], name: str) -> Counter[str]:
    """How many rows of a table each article has (counted from lists: a dict per row costs
    several times more)."""
    rows = csv_rows(files, f"build/{name}.csv")
    column = next(rows, []).index("article_id")
    return Counter(map(itemgetter(column), rows))


def article_table(root: Path) -> str:
    """The table of the package at ``root`` (a dataset or an installed package), read only
    once every file matches the descriptor: build/ may come from anywhere, and a link or
    special file there must not put outside text in the table."""
    from .compat import SnapshotError, read_package

    try:
        files = read_package(root)
        return article_table_of(files)
    except SnapshotError as exc:
        raise SummaryError(str(exc).removeprefix(f"{root}: ").replace(str(root), ".")) from exc
    except (KeyError, ValueError, csv.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise SummaryError(f"build/ does not hold the tables build writes: {exc!r}") from exc


def article_page(files: Mapping[str, bytes], counts: Counts) -> str:
    """docs/articles.md: the table of the outputs build is about to write.

    build gives the rows it has just written to each table, as it counted them: reading
    the three largest tables back only to count them again cost it half a second of CPU at
    10,000 articles. `summary` counts them in the tables it reads; the two agree (tested)."""
    return (
        "# The articles\n\n"
        "<!-- Written by `chechnya-purges build` (the same table as `chechnya-purges "
        "summary`); do not edit by hand. -->\n\n"
        "One row per annotated article: its publisher, its publication date (and how the date "
        "is known), and how many figures, statements and actors it gives.\n\n"
        + article_table_of(files, counts)
    )


def _cell(value: str) -> str:
    """A value in one cell of a Markdown table on one line of a terminal: a name may hold a
    line break, a '|' or a control character, and must not split or forge either."""
    return folded(value).replace("|", "\\|")


def article_table_of(files: Mapping[str, bytes], counts: Counts | None = None) -> str:
    """A Markdown table: one row per article with its publisher, date and counts (counted
    in the tables unless given)."""
    names = {row["actor_id"]: row["name"] for row in _rows(files, "actors")}
    if counts is None:
        counts = {name: _per_article(files, name) for name in COUNTED}
    lines = [
        "| article | publisher | published | figures | statements | actors |",
        "|---|---|---|--:|--:|--:|",
    ]
    for row in _rows(files, "articles"):
        article = row["article_id"]
        publisher = _cell(names.get(row["publisher_id"], "not stated"))
        lines.append(
            f"| `{_cell(article)}` | {publisher} | {_cell(row['published'])} "
            f"({_cell(row['published_basis'])}) "
            f"| {counts['figures'].get(article, 0)} | {counts['statements'].get(article, 0)} "
            f"| {counts['mentions'].get(article, 0)} |"
        )
    return "\n".join(lines) + "\n"
