"""The README's claim recipes, run as a researcher runs them against the committed build, give
the numbers the tables hold: distinct counts are counted once per claim, and a lineage comes
out in order with its changes."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import defaultdict

import duckdb
import pytest
from conftest import REPO, invoke

README = (REPO / "README.md").read_text(encoding="utf-8")


def recipe(name: str) -> str:
    match = re.search(rf"<!-- recipe: {name} -->\n```\w+\n(.*?)```", README, flags=re.S)
    assert match, name
    return match.group(1)


def _rows(name: str) -> list[dict[str, str]]:
    with (REPO / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _expected_counts() -> dict[str, tuple[int, int]]:
    """Per category: figure rows, and distinct counts (a claim once, an unlinked figure
    for itself), computed with nothing but the csv module."""
    rows: dict[str, int] = defaultdict(int)
    distinct: dict[str, set[str]] = defaultdict(set)
    for figure in _rows("figures"):
        rows[figure["category"]] += 1
        distinct[figure["category"]].add(figure["claim_id"] or figure["figure_id"])
    return {category: (rows[category], len(distinct[category])) for category in rows}


def _claim() -> str:
    found = re.search(r"claim_id = '([a-z0-9-]+)'", recipe("lineage-duckdb"))
    assert found
    return found.group(1)


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_data_has_claims_that_merge_figure_rows() -> None:
    """The recipe shows something: some category has fewer distinct counts than rows."""
    counts = _expected_counts()
    assert any(distinct < rows for rows, distinct in counts.values()), counts


def test_pandas_counts_distinct_claims() -> None:
    lines = _python(recipe("claims-pandas")).splitlines()
    printed = {line.split()[0]: tuple(map(int, line.split()[1:])) for line in lines[2:]}
    assert printed == _expected_counts()


def test_duckdb_counts_distinct_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    found = duckdb.sql(recipe("claims-duckdb")).fetchall()
    assert {category: (rows, distinct) for category, rows, distinct in found} == (
        _expected_counts()
    )
    assert [row[0] for row in found] == sorted(row[0] for row in found)


def test_duckdb_prints_a_lineage_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    found = duckdb.sql(recipe("lineage-duckdb")).fetchall()
    expected = [row for row in _rows("lineage") if row["claim_id"] == _claim()]
    assert len(found) == len(expected) >= 2
    assert [(r[0], r[2], r[7] or "") for r in found] == [
        (int(row["position"]), row["article_id"], row["changes"]) for row in expected
    ]
    assert [r[0] for r in found] == list(range(1, len(found) + 1))
    latest = [row["published_latest"] for row in expected]
    assert latest == sorted(latest)


def test_pandas_prints_a_lineage_in_order() -> None:
    lines = _python(recipe("lineage-pandas")).splitlines()
    expected = [row for row in _rows("lineage") if row["claim_id"] == _claim()]
    assert [line.split()[0] for line in lines[1:]] == [row["position"] for row in expected]
    assert [line.split()[2] for line in lines[1:]] == [row["article_id"] for row in expected]


def test_the_lineage_command_prints_the_recipes_claim() -> None:
    result = invoke(REPO, "lineage", _claim())
    assert result.exit_code == 0, result.output
    expected = [row for row in _rows("lineage") if row["claim_id"] == _claim()]
    for row in expected:
        assert f"{row['position']}. {row['published']} ({row['published_precision']})" in (
            result.stdout
        )
