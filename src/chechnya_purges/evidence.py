"""Anchoring quotes in seed texts.

A contributor types a quote; the seed may hold curly quotes, no-break spaces and en dashes the
keyboard does not. Both sides are folded to a canonical form (any run of whitespace → one
space, every quote mark and apostrophe → its straight form, every dash → a hyphen), matched
there, and the match is mapped back so the output stores the seed's own characters and their
code-point offsets, half-open, as the W3C TextPositionSelector counts them.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from functools import cached_property
from typing import NamedTuple

__all__ = ["Seed", "Span"]

_QUOTES = {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4"} | {
    c: '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
}
_DASHES = dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-")
# Every whitespace character becomes a plain space, one for one, so that offsets survive.
_SPACES = dict.fromkeys((chr(c) for c in range(0x3100) if chr(c).isspace()), " ")
_FOLDS = {k: v for k, v in (_QUOTES | _DASHES | _SPACES).items() if k != v}
_TABLE = str.maketrans(_FOLDS)
_FOLD_PAIRS = tuple(_FOLDS.items())


def _translate(text: str) -> str:
    """``text.translate(_TABLE)``, faster where few kinds of character change (a seed's
    case): a test for each kind, a scan in C that stops at the first one found (or at once
    for a kind too wide for the text), and one ``str.replace`` for each kind present. No
    character folds to one that folds again, so the order of the replacements is free."""
    for char, folded in _FOLD_PAIRS:
        if char in text:
            text = text.replace(char, folded)
    return text


_RUNS = re.compile(r"  +")
# A run of two spaces or more, the spaces after its first two in the group: written with two
# spaces first, so that the engine looks for a pair of spaces, not at every space.
_EXTRA_SPACES = re.compile(r"  ( *)")


def _quotation_rule(opening: str, closing: str) -> re.Pattern[str]:
    """A quotation, in one match: an opening mark; then any text but a line break or a
    closing mark, where an opening mark that cannot close is only text and a line break is
    text when the next paragraph reopens the quotation with a mark; then its end: a closing
    mark, a line break with the spaces after it (a paragraph that does not reopen it), or
    the end of the seed. Possessive runs: every step is forced, nothing is retried."""
    marks = opening + "".join(mark for mark in closing if mark not in opening)
    inner = "".join(mark for mark in opening if mark not in closing)
    return re.compile(
        f"[{opening}](?:[^{marks}\n]++|[{inner}]|\n\\s*+(?=[{opening}]))*+"
        f"(?:[{closing}]|\n\\s*+|\\Z)"
    )


# Marks that open (a straight one too) and close a quotation.
_QUOTATION = _quotation_rule('\u201c\u201e"', '\u201d"')
# The same rule for a seed whose only opening mark is the curly one (no straight mark, no
# low one: every seed of the dataset and of the benchmark so far). Looking for an opening
# mark is then looking for one character (a class of one is compiled as that character),
# which the engine does eight times faster than for a set of three, and which was nearly
# all of the time this rule took.
_CURLY_QUOTATION = _quotation_rule("\u201c", "\u201d")


def fold(text: str) -> str:
    """The canonical form a quote is matched in (whitespace runs collapsed, ends stripped)."""
    if text.isascii() and "`" not in text:
        # The common case: typed quotes need no translation; and printable ASCII has no
        # whitespace but the space, so without a double space only the ends change.
        if text.isprintable() and "  " not in text:
            return text.strip(" ")
        return " ".join(text.split())
    return _RUNS.sub(" ", text.translate(_TABLE)).strip()


# A match may not start or end inside a word: two word characters (\w is exactly
# str.isalnum() or "_") on either side of its edge.
_TWO_WORD_CHARS = re.compile(r"\w\w")
# Nor inside a grapheme: before a combining mark (the accent of "é" written e + U+0301), a
# joiner or a variation selector, which belong to the character before them.
_JOINERS = frozenset("\u200d\u034f") | frozenset(map(chr, range(0xFE00, 0xFE10)))


def _extends(char: str) -> bool:
    """Whether a character belongs to the grapheme before it."""
    return char in _JOINERS or unicodedata.category(char) in ("Mn", "Mc", "Me")


class Span(NamedTuple):
    """Where a quote anchors: ``[start, end)`` in code points, and the seed's exact text."""

    start: int
    end: int
    text: str


# ``Span(...)`` goes through a generated Python ``__new__``; the tuple's own is the same
# object without that call (a third of ``_span``'s time, once per quote).
_new_span = tuple.__new__
_after_run = bisect.bisect_right


class Seed:
    """One seed text, folded once, with the lookups every quote of its article needs."""

    def __init__(self, text: str):
        self.text = text
        translated = _translate(text)
        # Collapsing a run of n spaces shifts every later offset by n - 1; keep the shifts
        # (few: one per paragraph break) rather than an offset for every character.
        # Split at the runs (no match object each): text, the run's spaces after its first
        # two, text, ... The shift changes just after the space a run keeps.
        parts = _EXTRA_SPACES.split(translated)
        self.folded = " ".join(parts[::2])
        self._at: list[int] = [0]
        self._shift: list[int] = [0]
        at = shift = 0
        for index in range(1, len(parts), 2):
            at += len(parts[index - 1]) + 1
            shift += len(parts[index]) + 1
            self._at.append(at)
            self._shift.append(shift)
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def _origin(self, index: int) -> int:
        """The seed offset of a character of the folded text."""
        return index + self._shift[bisect.bisect_right(self._at, index) - 1]

    @property
    def line_count(self) -> int:
        return len(self._line_starts) - (1 if self.text.endswith("\n") else 0)

    def line_of(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a code-point offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def lines_span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets ``[start, end)`` covering seed lines ``first``..``last`` (1-based)."""
        start = self._line_starts[first - 1]
        end = self._line_starts[last] if last < len(self._line_starts) else len(self.text)
        return start, end

    def find(self, quote: str) -> list[Span]:
        """Every place the quote matches on word boundaries, in seed order."""
        return list(self.spans(quote))

    def spans(self, quote: str) -> Iterator[Span]:
        """``find``'s places one by one, each searched for only when asked for: a caller
        that needs the first suitable place stops scanning the seed there."""
        needle = fold(quote)
        if not needle:
            return
        folded, size, span = self.folded, len(needle), self._span
        at = folded.find(needle)
        while at != -1:
            found = span(at, size)
            if found is not None:
                yield found
            at = folded.find(needle, at + 1)

    def first(self, quote: str) -> Span | None:
        """The first place of the quote in the folded seed, if it is on word boundaries:
        ``find``'s first place whenever it is not None. None says nothing (the quote may
        not occur, or its first place be inside a word): the caller then asks ``find``."""
        needle = fold(quote)
        at = self.folded.find(needle) if needle else -1
        return None if at == -1 else self._span(at, len(needle))

    def only(self, quote: str) -> Span | None:
        """The place of a quote that occurs once in the folded seed, on word boundaries:
        ``find``'s one place whenever it is not None. None says nothing (the quote may not
        occur, occur more than once, or be inside a word): the caller then asks ``find``."""
        needle = fold(quote)
        folded = self.folded
        at = folded.find(needle) if needle else -1
        if at == -1 or folded.find(needle, at + 1) != -1:
            return None
        return self._span(at, len(needle))

    def _span(self, at: int, size: int) -> Span | None:
        """The seed's own span of ``[at, at + size)`` of the folded text, unless it starts
        or ends inside a word or a grapheme. The hot path of validation (every quote of
        every article): the common case (a space or a mark either side) settles each test
        before any regex runs."""
        text, at_list, shifts = self.text, self._at, self._shift
        start = at + shifts[_after_run(at_list, at) - 1]
        end = at + size - 1
        end += shifts[_after_run(at_list, end) - 1] + 1
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if (
            ((before.isalnum() or before == "_") and _TWO_WORD_CHARS.match(text, start - 1))
            or ((after.isalnum() or after == "_") and _TWO_WORD_CHARS.match(text, end - 1))
            # (no character below U+0300 extends another: the common case stays cheap)
            or (after >= "\u0300" and _extends(after))
            or (text[start] >= "\u0300" and _extends(text[start]))
        ):
            return None
        return _new_span(Span, (start, end, text[start:end]))

    def closest(self, quote: str) -> tuple[int, str]:
        """The passage that shares the longest start or end with the quote, and its line:
        as long as the quote, widened to whole words, within the line.

        Cheap on purpose (binary search over prefix and suffix lengths, each a substring
        test): it runs for every unanchored quote of a large corpus.
        """
        needle = fold(quote)

        def longest(*, suffix: bool) -> int:
            low, high = 0, len(needle)
            while low < high:
                mid = (low + high + 1) // 2
                part = needle[-mid:] if suffix else needle[:mid]
                if part in self.folded:
                    low = mid
                else:
                    high = mid - 1
            return low

        head = longest(suffix=False)
        tail = longest(suffix=True)
        if head >= tail:
            at = self.folded.find(needle[:head]) if head else 0
        else:
            at = max(self.folded.find(needle[-tail:]) - (len(needle) - tail), 0)
        stop = min(at + len(needle), len(self.folded))
        start = self._origin(at) if self.folded else 0
        end = self._origin(stop - 1) + 1 if stop > at else start
        line = self.line_of(start)[0]
        first, last = self.lines_span(line, line)
        end = min(end, last)
        # Whole words, so that the hint can be copied into the record as it stands.
        text, inside_word = self.text, _TWO_WORD_CHARS.match
        while start > first and inside_word(text, start - 1):
            start -= 1
        while end < last and inside_word(text, end - 1):
            end += 1
        return line, text[start:end].strip()

    @cached_property
    def _quoted(self) -> list[tuple[int, int]]:
        """Regions inside double quotation marks, as ``[start, end)`` offsets.

        A quotation that runs over several paragraphs reopens each paragraph with an opening
        mark and closes once; a paragraph that does not reopen ends an unclosed quotation, so
        one stray mark cannot make the rest of the article count as quoted. A closing mark
        outside any quotation is ignored.
        """
        text = self.text
        rule = _QUOTATION if '"' in text or "\u201e" in text else _CURLY_QUOTATION
        return [match.span() for match in rule.finditer(text)]

    def quotations(self) -> list[tuple[int, int]]:
        """Every region inside double quotation marks, marks included, in seed order."""
        return list(self._quoted)

    def in_quotation(self, span: Span) -> bool:
        """Whether a span lies inside one quotation (marks included)."""
        index = bisect.bisect_right(self._quoted, (span.start, len(self.text))) - 1
        return index >= 0 and self._quoted[index][1] >= span.end
