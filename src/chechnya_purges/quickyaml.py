"""A fast reader for the plain block YAML that annotation files are written in.

libyaml's event stream costs about 0.6 ms per article before any data is built, most of the
time ``validate`` spends reading. Hand-written files use a small part of YAML: block mappings
and sequences, plain and quoted scalars, one-line flow sequences, and ``|``/``>`` block
scalars. This module reads exactly that part, line by line, and declines everything else:
anchors, tags, flow mappings, tabs, multi-line plain scalars, unusual escapes, duplicate keys,
anything not well-formed. A declined file is read by the libyaml reader in ``reader``, which
stays the authority: it types scalars by the same rule, finds every problem and keeps
positions. The two must agree on every file this module accepts; ``tests/test_reader.py``
compares them on the dataset, the benchmark corpus, edge cases and random edits.

The typing rule of plain scalars, which both readers apply, is defined here (``typed``).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

__all__ = ["DECLINED", "SAFE_INTEGER", "NumberTooLarge", "read", "typed"]

DECLINED: Any = object()
# The largest integer a double holds exactly: what spreadsheets, JavaScript and many JSON and
# CSV readers can represent. Beyond it a count would change on its way to a researcher.
SAFE_INTEGER = 2**53 - 1
# More digits than this can only be out of range (and int() refuses past 4,300 digits).
_DIGITS = len(str(SAFE_INTEGER))
# Deeper than this, a file is left to libyaml's reader, which refuses nesting past 64 levels
# (reader.MAX_DEPTH); one level less, so that a one-line list at the limit is its to judge.
_DEPTH = 63

# From this size on (a registry; an article rarely is), the keys of a file are shared strings.
_SHARED_KEYS_FROM = 1 << 16
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# Characters outside YAML's printable set, line breaks other than \n, tabs (whose rules are
# subtle) and byte-order marks: a file holding any of them goes to libyaml.
_UNUSUAL = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
# The usual characters of an ASCII file: deleting them from its bytes leaves the unusual ones.
_USUAL_ASCII = b"\n" + bytes(range(0x20, 0x7F))
# Every line: its indent, a sequence dash, a "key:" and the rest (one pass over the file,
# which ends with a line break). Keys are short words: libyaml refuses a key of over 1,024
# characters. Possessive runs: no part of a line can be read in two ways, so none is retried.
_LINE = re.compile(
    r"( *+)(- ++|-(?=\n))?(?:([A-Za-z0-9_][A-Za-z0-9_.-]{0,99}+):(?: ++|(?=\n)))?([^\n]*+)\n"
)
# Possessive (*+): a run of plain characters never gives any back, so a line without its
# closing quote fails at once instead of retrying at every shorter run.
_DQ_END = re.compile(r'([^"\\]*+(?:\\["\\/][^"\\]*+)*+)"')
_DQ_LINE = re.compile(r'[^"\\]*+(?:\\["\\/][^"\\]*+)*+')
_SQ = re.compile(r"'((?:[^']|'')*)'")
# A plain item is taken greedily, trailing spaces and all (they are stripped after): a lazy
# match followed by " *" would take quadratic time on a long run of spaces.
_FLOW_ITEM = re.compile(
    r' *(?:"((?:[^"\\]|\\["\\/])*)" *'
    r"|'((?:[^']|'')*)' *"
    r"|([^\s,\[\]{}#:\"'&*!|>%@`?-][^,\[\]{}#:]*))([,\]])"
)
_ESCAPES = {'\\"': '"', "\\\\": "\\", "\\/": "/"}
_ESCAPE = re.compile(r'\\["\\/]')
# Plain scalars may not start with these (YAML's indicators); "-" only before a space.
_INDICATORS = frozenset("{}[],#&*!|>'\"%@`?:")
# A value starting with none of these is text, unless it holds ": " or " #" or ends oddly.
_NOT_TEXT = _INDICATORS | frozenset("-+0123456789~nN")


class _Decline(Exception):
    """Outside the subset: let libyaml read the file."""


class NumberTooLarge(ValueError):
    """A plain integer beyond ``SAFE_INTEGER``: refused, never silently rounded or typed."""


def typed(text: str) -> Any:
    """A plain (unquoted) scalar's value: an integer only when written as one without
    leading zeros, null only when empty, ``~`` or ``null``, text otherwise.

    Raises ``NumberTooLarge`` for an integer beyond ``SAFE_INTEGER`` either way."""
    if text in _NULLS:
        return None
    # An integer is ``[-+]?(?:0|[1-9][0-9]*)``: ASCII digits, after a sign at most, with no
    # leading zero. Told by str methods rather than a regular expression: this runs for
    # every number and date of every file.
    digits = text[1:] if text[0] in "+-" else text
    if not (digits.isdecimal() and digits.isascii()) or (digits[0] == "0" and len(digits) > 1):
        return text
    if len(digits) > _DIGITS or abs(value := int(text)) > SAFE_INTEGER:
        raise NumberTooLarge(text)
    return value


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group()], text) if "\\" in text else text


def _after(text: str) -> None:
    """What may follow a quoted scalar or a flow sequence on its line: spaces, a comment."""
    rest = text.lstrip(" ")
    if rest and not (rest[0] == "#" and len(rest) < len(text)):
        raise _Decline


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.tokens: list[tuple[str, str, str, str]] = _LINE.findall(text)
        self.at = 0
        self.depth = 0
        self.keys: dict[str, str] | None = {} if len(text) > _SHARED_KEYS_FROM else None

    @cached_property
    def raw(self) -> list[str]:
        """The lines as written, for the few that ``tokens`` cannot give back whole."""
        return self.text.split("\n")

    def line(self, at: int) -> str:
        """Line ``at`` as written: from its tokens when it has no dash or key (a line of a
        quoted scalar usually), else from ``raw``."""
        spaces, dash, key, rest = self.tokens[at]
        if dash or key:
            return self.raw[at]
        return spaces + rest if spaces else rest

    def skip(self) -> tuple[int, str, str] | None:
        """The next line with content: its column, dash and key (blank and comment lines
        are passed over)."""
        tokens, at = self.tokens, self.at
        while at < len(tokens):
            spaces, dash, key, rest = tokens[at]
            if dash or key or (rest and rest[0] != "#"):
                self.at = at
                return len(spaces), dash, key
            at += 1
        self.at = at
        return None

    def document(self) -> Any:
        first = self.skip()
        if first is None or first[0] != 0:
            raise _Decline
        data = self.block(*first)
        if self.skip() is not None:
            raise _Decline
        return data

    def block(self, column: int, dash: str, key: str) -> Any:
        if dash:
            return self.sequence(column)
        if key:
            return self.mapping(column)
        raise _Decline

    def deeper(self) -> None:
        """One more level of nesting; past the bound, libyaml's reader reports the file."""
        self.depth += 1
        if self.depth > _DEPTH:
            raise _Decline

    def mapping(self, indent: int) -> dict[str, Any]:
        """The block mapping at ``indent``. It ends at a shallower line (left to the
        enclosing block, or to ``document``) or at a dash; a deeper line, or one that is
        neither an entry nor a key, is declined. Blank and comment lines are passed over
        here rather than by ``skip``: this loop runs for nearly every line of a file."""
        self.deeper()
        result: dict[str, Any] = {}
        tokens, keys = self.tokens, self.keys
        count, at = len(tokens), self.at
        pad = " " * indent  # compared with a line's indent: one test for the common case
        while True:
            while at < count:
                spaces, dash, key, rest = tokens[at]
                if dash or key or (rest and rest[0] != "#"):
                    break
                at += 1
            else:
                break
            if spaces != pad:
                if len(spaces) < indent:
                    break
                raise _Decline
            if dash:
                break  # an indentless sequence ends here, or the caller declines
            if key in result or key in _NULLS:  # ("" too: a line that is no entry)
                raise _Decline
            # One string for each "name:" of a large file, not one per line: at 100,000
            # actors that is half a million strings fewer held while the registry is
            # checked. (A small file's data is let go of as soon as it is checked.)
            if keys is not None:
                key = keys.setdefault(key, key)
            at += 1
            # The common cases inline: a one-line plain scalar (text unless it may be a
            # number or null), one-line quoted text.
            if rest:
                first = rest[0]
                if (
                    first not in _INDICATORS
                    and rest[-1] not in " :"
                    and ": " not in rest
                    and " #" not in rest
                ):
                    if first not in _NOT_TEXT:
                        result[key] = rest
                        continue
                    if first != "-" or (len(rest) > 1 and rest[1] != " "):
                        result[key] = typed(rest)
                        continue
                if (
                    first == '"'
                    and rest[-1] == '"'
                    and len(rest) > 1
                    and '"' not in rest[1:-1]
                    and "\\" not in rest
                ):
                    result[key] = rest[1:-1]
                    continue
            self.at = at
            result[key] = self.value(rest, indent, in_mapping=True)
            at = self.at
        self.at = at
        self.depth -= 1
        return result

    def sequence(self, indent: int) -> list[Any]:
        """The block sequence at ``indent``: its lines are judged as ``mapping``'s are."""
        self.deeper()
        result: list[Any] = []
        tokens = self.tokens
        count, at = len(tokens), self.at
        while True:
            while at < count:
                spaces, dash, key, rest = tokens[at]
                if dash or key or (rest and rest[0] != "#"):
                    break
                at += 1
            else:
                break
            column = len(spaces)
            if column < indent:
                break
            if column > indent or not (dash or key):
                raise _Decline
            if not dash:
                break
            self.at = at
            if key:
                # "- key: value" opens a mapping whose keys line up with this one.
                inner = indent + len(dash)
                tokens[at] = (" " * inner, "", key, rest)
                result.append(self.mapping(inner))
            else:
                self.at += 1
                result.append(self.value(rest, indent, in_mapping=False))
            at = self.at
        self.at = at
        self.depth -= 1
        return result

    def value(self, text: str, indent: int, *, in_mapping: bool) -> Any:
        """The value written after ``key:`` or ``-`` (``text``), reading on where it does."""
        text = text.rstrip(" ")
        if not text or text[0] == "#":
            line = self.skip()
            if line is None or line[0] < indent:
                return None
            if line[0] > indent:
                return self.block(*line)
            if in_mapping and line[1]:
                return self.sequence(indent)
            return None
        first = text[0]
        if first == '"':
            return self.double_quoted(text)
        if first == "'":
            match = _SQ.match(text)
            if match is None:
                raise _Decline
            _after(text[match.end() :])
            return match.group(1).replace("''", "'")
        if first == "[":
            return self.flow(text)
        if first in "|>":
            return self.block_scalar(text, indent)
        if first in _INDICATORS or text.startswith("- ") or text == "-":
            raise _Decline
        if " #" in text:
            text = text[: text.index(" #")].rstrip(" ")
        if ": " in text or text.endswith(":"):
            raise _Decline
        return typed(text)

    def double_quoted(self, text: str) -> str:
        match = _DQ_END.match(text, 1)
        if match is not None:
            _after(text[match.end() :])
            return _unescape(match.group(1))
        # Over several lines: line breaks fold to a space, n empty lines to n newlines.
        first = text[1:]
        if _DQ_LINE.fullmatch(first) is None or first.endswith("\\"):
            raise _Decline
        parts, breaks = [first.rstrip(" ")], 0
        at, count = self.at, len(self.tokens)
        while True:
            if at >= count:
                raise _Decline
            line = self.line(at)
            at += 1
            if line.startswith(("---", "...")):
                raise _Decline
            match = _DQ_END.match(line)
            if match is None:
                if _DQ_LINE.fullmatch(line) is None or line.endswith("\\"):
                    raise _Decline
                if not line.strip(" "):
                    breaks += 1
                    continue
                parts.append("\n" * breaks if breaks else " ")
                parts.append(line.strip(" "))
                breaks = 0
                continue
            _after(line[match.end() :])
            parts.append("\n" * breaks if breaks else " ")
            parts.append(match.group(1).lstrip(" "))
            self.at = at
            return _unescape("".join(parts))

    def flow(self, text: str) -> list[Any]:
        body = text[1:].lstrip(" ")
        if body.startswith("]"):
            _after(body[1:])
            return []
        items: list[Any] = []
        at = 1
        while True:
            match = _FLOW_ITEM.match(text, at)
            if match is None:
                raise _Decline
            double, single, plain, end = match.groups()
            if double is not None:
                items.append(_unescape(double))
            elif single is not None:
                items.append(single.replace("''", "'"))
            else:
                items.append(typed(plain.rstrip(" ")))
            at = match.end()
            if end == "]":
                _after(text[at:])
                return items

    def block_scalar(self, text: str, indent: int) -> str:
        if text not in ("|", "|-", ">", ">-"):
            raise _Decline
        raw, at = self.raw, self.at
        if at >= len(raw) or not raw[at].strip(" "):
            raise _Decline
        column = len(raw[at]) - len(raw[at].lstrip(" "))
        if column <= indent:
            raise _Decline
        lines: list[str] = []
        while at < len(raw):
            line = raw[at]
            if not line:
                lines.append("")
            elif not line.strip(" ") or line.endswith(" "):
                raise _Decline
            elif line[:column].strip(" "):
                break
            elif text[0] == ">" and line[column] == " ":
                raise _Decline  # more-indented lines keep their breaks when folded
            else:
                lines.append(line[column:])
            at += 1
        while not lines[-1]:
            lines.pop()
            at -= 1
        self.at = at
        if text[0] == "|":
            body = "\n".join(lines)
        else:
            body, breaks = lines[0], 0
            for line in lines[1:]:
                if not line:
                    breaks += 1
                    continue
                body += ("\n" * breaks if breaks else " ") + line
                breaks = 0
        return body if text.endswith("-") else body + "\n"


def _unusual(text: str) -> bool:
    """Whether the text holds a character ``_UNUSUAL`` matches. Most files are ASCII
    (``isascii`` costs nothing), for which a table lookup per byte in C does the regex's work
    in an eighth of its time."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _USUAL_ASCII))
    return _UNUSUAL.search(text) is not None


def read(text: str) -> Any:
    """The data of a YAML document in the subset, else ``DECLINED``."""
    if not text.endswith("\n") or _unusual(text):
        return DECLINED
    try:
        return _Reader(text).document()
    except (_Decline, NumberTooLarge):
        return DECLINED
