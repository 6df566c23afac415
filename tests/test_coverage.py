"""The coverage report: numbers no figure quotes and quotations no statement quotes, each
placed at its seed line, with reviewers' explanations (``reviewed``) counted and checked."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from conftest import ARTICLE, REPO, SEED, edit, invoke, tree

# The fixture's figure for "more than 40 men" and its statement for the quoted call, taken
# out: the report must then find the number and the quotation.
FIGURE_40 = """  - id: detained-40
    category: detained
    value: 40
    qualifier: more_than
    unit: people
    subject: men
    place: Sylvania
    quote: the detention of more than 40 men in Sylvania
"""
URGES_RELEASE = """  - id: diaz-urges-release
    speaker: ana-diaz
    addressees: [sylvania-government]
    act: urge_action
    mode: direct
    medium: unknown
    quote: We call on the Sylvanian government to release them.
"""
REVIEWED = """reviewed:
  - quote: March 12, 2018
    reason: the dateline
"""


def _drop(root: Path, *parts: str) -> None:
    def change(text: str) -> str:
        for part in parts:
            assert part in text, "fixture changed"
            text = text.replace(part, "")
        return text

    edit(root, ARTICLE, change)


def _append(root: Path, text: str) -> None:
    edit(root, ARTICLE, lambda old: old + text)


def test_uncovered_number_and_quotation_are_listed_with_line_and_context(mini: Path) -> None:
    _drop(mini, FIGURE_40, URGES_RELEASE)
    result = invoke(mini, "coverage")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == [
        f"{SEED}:2:21: number not in any figure: '12'",
        "  By Jane Roe | March 12, 2018",
        f"{SEED}:2:25: number not in any figure: '2018'",
        "  By Jane Roe | March 12, 2018",
        f"{SEED}:4:91: number not in any figure: '40'",
        "  …condemned the detention of more than 40 men in Sylvania, the Freedonian Times…",
        f"{SEED}:6:103: quotation not in any statement: "
        "'We call on the Sylvanian government to release them.'",
        "  …said Foreign Minister Ana Díaz. “We call on the Sylvanian government to release them.”",
        "001_freedonia: numbers 4 (1 in figures, 0 explained, 3 left); quoted passages 3 "
        "(2 in statements, 0 explained, 1 left); 46% of quoted text in statements",
    ]
    assert "4 item(s) neither covered nor explained in 1 article(s)." in result.stderr


def test_excluded_regions_are_not_reported(mini: Path) -> None:
    """The reader comment's "300 people held" is not the article."""
    result = invoke(mini, "coverage", "001")
    assert "300" not in result.stdout
    assert "numbers 4 (2 in figures" in result.stdout


def test_a_reviewed_entry_explains_and_the_report_can_be_emptied(mini: Path) -> None:
    _append(mini, REVIEWED)
    result = invoke(mini, "coverage", "--strict", "001_freedonia.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "001_freedonia: numbers 4 (2 in figures, 2 explained, 0 left); quoted passages 3 "
        "(3 in statements, 0 explained, 0 left); 70% of quoted text in statements",
    ]


def test_strict_fails_while_anything_is_left(mini: Path) -> None:
    result = invoke(mini, "coverage", "--strict")
    assert result.exit_code == 1, result.output
    assert "2 item(s) neither covered nor explained" in result.stderr


def test_a_quotation_can_be_explained(mini: Path) -> None:
    _drop(mini, URGES_RELEASE)
    _append(
        mini,
        REVIEWED + "  - quote: We call on the Sylvanian government\n    reason: tested\n",
    )
    result = invoke(mini, "coverage", "--format", "json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert report["gaps"] == []
    assert (report["passages"], report["passages_explained"]) == (3, 1)
    assert report["share_in_statements"] < 1


def test_a_reviewed_entry_that_explains_nothing_is_listed(mini: Path) -> None:
    _append(mini, REVIEWED + "  - quote: Rights groups say\n    reason: stale\n")
    result = invoke(mini, "coverage")
    assert result.stdout.splitlines()[:2] == [
        f"{SEED}:8:46: reviewed entry with nothing to explain: 'Rights groups say'",
        "  reviewed[1] explains no number or quotation that needs it",
    ]


def test_a_reviewed_quote_must_be_in_the_article(mini: Path) -> None:
    _append(mini, "reviewed:\n  - quote: March 13, 2018\n    reason: the dateline\n")
    before = tree(mini)
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"{ARTICLE}:76:12: error[quote-not-found] reviewed[0].quote: not found in {SEED}\n"
    ), result.stdout
    assert tree(mini) == before
    coverage = invoke(mini, "coverage")
    assert coverage.exit_code == 1
    assert "1 file(s) do not validate (data/articles/001_freedonia.yaml)" in coverage.stderr


def test_a_reviewed_quote_in_an_excluded_region_is_an_error(mini: Path) -> None:
    _append(mini, "reviewed:\n  - quote: the 300 people held\n    reason: comment\n")
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert f"{ARTICLE}:76:12: error[quote-excluded] reviewed[0].quote" in result.stdout


def test_a_reviewed_entry_needs_a_reason(mini: Path) -> None:
    _append(mini, "reviewed:\n  - quote: March 12, 2018\n")
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert f"{ARTICLE}:76:5: error[missing-field] reviewed[0].reason" in result.stdout


def test_unknown_article_is_an_error(mini: Path) -> None:
    result = invoke(mini, "coverage", "999")
    assert result.exit_code == 1
    assert "no single article '999'; articles: 001_freedonia" in result.stderr


def test_every_article_is_fully_covered_or_explained() -> None:
    """The review standard CONTRIBUTING sets: an article is done when coverage is empty."""
    result = invoke(REPO, "coverage", "--strict")
    assert result.exit_code == 0, result.output
    articles = len(list((REPO / "data/articles").glob("*.yaml")))
    assert f"0 item(s) neither covered nor explained in {articles} article(s)." in result.stderr


def test_a_reviewed_quote_that_repeats_needs_an_occurrence(mini: Path) -> None:
    _append(mini, "reviewed:\n  - quote: men\n    reason: tested\n")
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert f"{ARTICLE}:76:12: error[quote-ambiguous] reviewed[0].quote: occurs" in result.stdout
    fixed = edit(mini, ARTICLE, lambda text: text + "    occurrence: 2\n")
    assert fixed.endswith("occurrence: 2\n")
    assert invoke(mini, "validate").exit_code == 0


def test_seed_text_reaches_the_terminal_escaped(mini: Path) -> None:
    """A seed is collected from the web: an escape sequence or a bidirectional override in it
    must not reach a terminal or a CI log raw, from coverage or from locate."""
    seed = mini / SEED
    text = seed.read_text(encoding="utf-8").replace(
        "denied the reports.", "denied the reports. \x1b]0;pwn\x07 \u202eEVIL 7 men.", 1
    )
    seed.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(seed.read_bytes()).hexdigest()
    edit(mini, ARTICLE, lambda t: re.sub(r"seed_sha256: \S+", f"seed_sha256: {digest}", t))
    for args in (("coverage",), ("locate", "001_freedonia", "denied the reports")):
        result = invoke(mini, *args)
        assert "\x1b" not in result.output and "\u202e" not in result.output, args
        assert "\\x1b]0;pwn\\x07 \\u202eEVIL" in result.output, args
