"""Stage 1, read: YAML text → plain data that remembers where every value was written.

The reader builds data from the parser's events rather than PyYAML's constructors, for three
reasons: every key and value keeps its line and column, so any later problem can point at it;
anchors, aliases, tags and duplicate keys can be refused instead of silently resolved; and
scalars are typed by a deliberately small rule instead of YAML 1.1's guessing. A plain scalar
is an integer only when it is written as one without leading zeros (``22``), null only when
empty, ``~`` or ``null``, and text otherwise: ``NO``, ``yes``, ``2017-04`` and ``001`` stay
text. The models decide what else a value may be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .diagnostics import Diagnostic

__all__ = ["Document", "Position", "read_text", "read_yaml"]

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
# libyaml when it is there (the speed matters at thousands of files); events are the same.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Key = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    col: int


@dataclass
class Document:
    """Plain data read from one file, with the position of every value and mapping key.

    ``values[path]`` is where the value at ``path`` starts; ``keys[path]`` is where the key
    that names it starts. Paths are tuples of keys and list indices, the form pydantic uses
    for error locations, so its errors map straight back to the file.
    """

    path: str
    data: Any = None
    values: dict[Key, Position] = field(default_factory=dict)
    keys: dict[Key, Position] = field(default_factory=dict)

    def position(self, loc: Key, *, prefer_key: bool = False) -> Position:
        """Where to point for a location: the value (or key), else the nearest ancestor."""
        loc = tuple(loc)
        while True:
            if prefer_key and loc in self.keys:
                return self.keys[loc]
            if loc in self.values:
                return self.values[loc]
            if not loc:
                return Position(1, 1)
            loc = loc[:-1]


class _Stop(Exception):
    """The parser failed; the diagnostic is already recorded."""


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, doc: Document, events: Iterator[Any], problems: list[Diagnostic]):
        self.doc = doc
        self.events = events
        self.problems = problems

    def problem(self, mark: Any, code: str, message: str, hint: str | None = None) -> None:
        pos = _position(mark)
        self.problems.append(Diagnostic(self.doc.path, pos.line, pos.col, code, message, hint))

    def next(self) -> Any:
        try:
            return next(self.events)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            if mark is None:
                self.problems.append(
                    Diagnostic(self.doc.path, 1, 1, "yaml-syntax", message or "invalid YAML")
                )
            else:
                self.problem(mark, "yaml-syntax", message or "invalid YAML")
            raise _Stop from exc

    def node(self, event: Any, path: Key) -> Any:
        self.doc.values[path] = _position(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            # Only the alias is reported: an anchor nobody refers to changes nothing.
            self.problem(
                event.start_mark,
                "yaml-alias",
                f"alias *{event.anchor} refers to another value",
                "write the value out in full and remove the &anchor",
            )
            return None
        if event.tag is not None and not (
            isinstance(event, yaml.ScalarEvent) and event.tag == "!" and not event.implicit[0]
        ):
            self.problem(
                event.start_mark,
                "yaml-tag",
                f"explicit tag {event.tag} is not allowed",
                "remove the tag; put the value in quotes if it is text",
            )
        if isinstance(event, yaml.ScalarEvent):
            return self.scalar(event)
        if isinstance(event, yaml.SequenceStartEvent):
            items: list[Any] = []
            while not isinstance(item := self.next(), yaml.SequenceEndEvent):
                items.append(self.node(item, (*path, len(items))))
            return items
        if isinstance(event, yaml.MappingStartEvent):
            return self.mapping(path)
        raise AssertionError(f"unexpected YAML event {event!r}")

    def mapping(self, path: Key) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        while not isinstance(key_event := self.next(), yaml.MappingEndEvent):
            key_pos = _position(key_event.start_mark)
            if isinstance(key_event, yaml.ScalarEvent) and key_event.anchor is None:
                key = self.scalar(key_event)
            else:
                self.problem(key_event.start_mark, "wrong-type", "a key must be plain text")
                key = self.node(key_event, (*path, "<key>"))
                key = repr(key)
            key = "" if key is None else str(key)
            value_event = self.next()
            if key in result:
                first = self.doc.keys[(*path, key)]
                self.problem(
                    key_event.start_mark,
                    "duplicate-key",
                    f"key {key!r} appears twice in this mapping (first at line {first.line})",
                    "remove or rename one of them; YAML would keep only the last",
                )
                self.node(value_event, (*path, "<duplicate>"))
                continue
            self.doc.keys[(*path, key)] = key_pos
            result[key] = self.node(value_event, (*path, key))
        return result

    @staticmethod
    def scalar(event: Any) -> Any:
        value: str = event.value
        if event.implicit[0] and not event.style:
            if value in _NULLS:
                return None
            if _INT.match(value):
                return int(value)
        return value


def read_text(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """A file's text, or an ``invalid-utf8`` diagnostic at the first byte that is not UTF-8."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        return None, [
            Diagnostic(
                display,
                line,
                col,
                "invalid-utf8",
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid UTF-8",
                "re-save the file as UTF-8",
            )
        ]
    return text.removeprefix("\ufeff"), []


def read_yaml(path: Path, display: str) -> tuple[Document, list[Diagnostic]]:
    """One YAML file as a located document, with every problem the reader found.

    ``display`` is the path diagnostics print (relative to the dataset root). A document with
    a syntax error has ``data`` None; other problems leave the rest of the data usable, so one
    run reports everything.
    """
    doc = Document(display)
    text, problems = read_text(path, display)
    if text is None:
        return doc, problems
    builder = _Builder(doc, iter(yaml.parse(text, Loader=_Loader)), problems)
    try:
        builder.next()  # stream start
        event = builder.next()
        if isinstance(event, yaml.DocumentStartEvent):
            doc.data = builder.node(builder.next(), ())
            builder.next()  # document end
            extra = builder.next()
            if isinstance(extra, yaml.DocumentStartEvent):
                builder.problem(
                    extra.start_mark,
                    "yaml-syntax",
                    "a second YAML document in one file",
                    "keep one document per file; remove the '---' line",
                )
    except _Stop:
        doc.data = None
    return doc, problems
