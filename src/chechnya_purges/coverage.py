"""The coverage report: what in an article no figure or statement accounts for.

A reviewer's aid, not a check. Annotators miss things: a number in a quoted letter, a
sentence of a long quotation that makes a demand of its own. Two kinds of text are easy to
find mechanically and are almost always annotated: numbers (digits and number words), which
the rules make figures, and passages in quotation marks (or in a block quote), which are
somebody's words and so statements. The report lists each one that no figure's or
statement's quote covers, outside excluded regions, with its line and context.

Many are rightly left out (a date, a district number, a term in scare quotes); the
article's ``reviewed`` list records that decision where the text says it, anchored like any
evidence, and the report then counts the passage as explained. A ``reviewed`` entry that
explains nothing is listed too, so stale entries do not pile up.

The report reads articles as the check stage leaves them (anchored evidence and the seed),
since the published package carries quotes and offsets but not the seed text around them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from .checks import NUMBER_WORDS, CheckedArticle
from .diagnostics import Diagnostic
from .evidence import Seed, Span

__all__ = ["ArticleCoverage", "CoverageError", "Gap", "article_coverage", "coverage"]

_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# A number in digits ("100", "1,000", "6:37") or a run of number words ("forty-seven",
# "one hundred and five"); word edges keep "one" out of "someone" and "ten" out of "often".
_NUMBER = re.compile(
    rf"\d+(?:[.,:/]\d+)*|\b(?:{_WORDS})(?:(?:[\s-]+|\s+and\s+)(?:{_WORDS}))*\b",
    re.IGNORECASE,
)
_MARKS = '\u201c\u201d\u201e"\u00ab\u00bb'
_CONTEXT = 40  # characters of context either side of a gap


class CoverageError(Exception):
    """A coverage request that cannot be answered (no such article, or it does not
    validate)."""


@dataclass(frozen=True)
class Gap:
    """A number or quoted passage that nothing in the article's record accounts for."""

    kind: Literal["number", "quotation", "reviewed"]
    line: int
    col: int
    text: str
    context: str


@dataclass
class ArticleCoverage:
    """How much of one article's numbers and quoted text its record accounts for."""

    article_id: str
    seed_path: str
    numbers: int = 0
    numbers_in_figures: int = 0
    numbers_explained: int = 0
    passages: int = 0
    passages_in_statements: int = 0
    passages_explained: int = 0
    quoted_chars: int = 0
    quoted_in_statements: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def share_in_statements(self) -> float:
        """Share of the quoted text (inside the marks) that statements' quotes cover."""
        return self.quoted_in_statements / self.quoted_chars if self.quoted_chars else 1.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"share_in_statements": round(self.share_in_statements, 4)}


def _within(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start <= start and end <= s.end for s in spans)


def _touches(start: int, end: int, spans: list[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def _covered_chars(start: int, end: int, spans: list[Span]) -> int:
    """How many characters of ``[start, end)`` the spans cover, overlaps counted once."""
    pieces = sorted((max(s.start, start), min(s.end, end)) for s in spans)
    total, reach = 0, start
    for low, high in pieces:
        low = max(low, reach)
        if high > low:
            total, reach = total + high - low, high
    return total


def _context(seed: Seed, start: int, end: int) -> str:
    """The gap with a few words either side, on its own line."""
    line = seed.line_of(start)[0]
    line_start, line_end = seed.lines_span(line, line)
    text = seed.text
    before = max(line_start, start - _CONTEXT)
    after = min(line_end, end + _CONTEXT)
    head = text[before:start]
    tail = text[end:after].rstrip("\n")
    if before > line_start and " " in head:
        head = "…" + head[head.index(" ") + 1 :]
    if after < line_end and " " in tail:
        tail = tail[: tail.rindex(" ")] + "…"
    # Shown to people: a no-break space or a tab shows as the space it looks like.
    return " ".join(f"{head}{text[start:end]}{tail}".split())


def _passages(seed: Seed, regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Quoted passages: each paragraph of each quotation or block quote, without its marks
    and surrounding space (a statement's quote never includes them)."""
    found = []
    for start, end in regions:
        for part in re.finditer(r"[^\n]+", seed.text[start:end]):
            low, high = start + part.start(), start + part.end()
            while low < high and (seed.text[low].isspace() or seed.text[low] in _MARKS):
                low += 1
            while high > low and (seed.text[high - 1].isspace() or seed.text[high - 1] in _MARKS):
                high -= 1
            if high > low:
                found.append((low, high))
    return found


def article_coverage(checked: CheckedArticle) -> ArticleCoverage:
    """The coverage of one checked article."""
    seed = checked.seed
    report = ArticleCoverage(checked.id, checked.seed_path)
    excluded = [Span(s, e, "") for s, e in checked.excluded]
    used = [False] * len(checked.reviewed)

    def explained(start: int, end: int, *, whole: bool) -> bool:
        hits = [
            i
            for i, span in enumerate(checked.reviewed)
            if (span.start <= start and end <= span.end)
            or (not whole and span.start < end and start < span.end)
        ]
        for i in hits:
            used[i] = True
        return bool(hits)

    def gap(kind: Literal["number", "quotation"], start: int, end: int) -> None:
        line, col = seed.line_of(start)
        text = seed.text[start:end]
        report.gaps.append(Gap(kind, line, col, text, _context(seed, start, end)))

    for match in _NUMBER.finditer(seed.text):
        start, end = match.span()
        if _touches(start, end, excluded):
            continue
        report.numbers += 1
        in_figure = _within(start, end, checked.figures)
        if explained(start, end, whole=True) and not in_figure:
            report.numbers_explained += 1
        elif in_figure:
            report.numbers_in_figures += 1
        else:
            gap("number", start, end)
    regions = sorted(seed.quotations() + checked.block_quotes)
    for start, end in _passages(seed, regions):
        if _touches(start, end, excluded):
            continue
        report.passages += 1
        report.quoted_chars += end - start
        report.quoted_in_statements += _covered_chars(start, end, checked.statements)
        in_statement = _touches(start, end, checked.statements)
        if explained(start, end, whole=False) and not in_statement:
            report.passages_explained += 1
        elif in_statement:
            report.passages_in_statements += 1
        else:
            gap("quotation", start, end)
    for index, span in enumerate(checked.reviewed):
        if not used[index]:
            line, col = seed.line_of(span.start)
            context = f"reviewed[{index}] explains no number or quotation that needs it"
            report.gaps.append(Gap("reviewed", line, col, span.text, context))
    report.gaps.sort(key=lambda g: (g.line, g.col))
    return report


def _wanted(checked: CheckedArticle, article_id: str | None) -> ArticleCoverage | None:
    return article_coverage(checked) if article_id in (None, checked.id) else None


def _resolve(root: Path, article: str) -> str:
    """An article id from an id, a record or seed file name, or a unique prefix."""
    name = Path(article).name.removesuffix(".yaml").removesuffix(".txt")
    ids = sorted(p.stem for p in (root / "data" / "articles").glob("*.yaml"))
    if name in ids:
        return name
    candidates = [i for i in ids if i.startswith(name)]
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(candidates or ids[:10])
    raise CoverageError(f"no single article {name!r}; articles: {known}")


def coverage(root: Path, article: str | None = None) -> list[ArticleCoverage]:
    """The coverage of every article, or of one (an id, a file name, a unique prefix).

    Raises CoverageError when the article does not exist or does not validate: its evidence
    cannot be located, so its coverage cannot be measured.
    """
    from .dataset import load

    article_id = _resolve(root, article) if article is not None else None
    dataset, problems = load(root, partial(_wanted, article_id=article_id))
    found = [a for a in dataset.articles if a is not None]
    failing = _failing(problems)
    if article_id is not None and not found:
        raise CoverageError(f"{article_id} does not validate: run `chechnya-purges validate`")
    if article_id is None and failing:
        raise CoverageError(
            f"{len(failing)} file(s) do not validate ({', '.join(sorted(failing)[:3])}): "
            "run `chechnya-purges validate`"
        )
    return sorted(found, key=lambda a: a.article_id)


def _failing(problems: list[Diagnostic]) -> set[str]:
    return {p.path for p in problems if p.severity == "error"}
