"""Stage 1, read: YAML text → plain data that remembers where every value was written.

The reader builds data from the parser's events rather than PyYAML's constructors, for three
reasons: every key and value keeps its line and column, so any later problem can point at it;
anchors, aliases, tags and duplicate keys can be refused instead of silently resolved; and
scalars are typed by a deliberately small rule instead of YAML 1.1's guessing. A plain scalar
is an integer only when it is written as one without leading zeros (``22``), null only when
empty, ``~`` or ``null``, and text otherwise: ``NO``, ``yes``, ``2017-04`` and ``001`` stay
text. The models decide what else a value may be.

Files in plain block YAML, nearly all of them, are first offered to ``quickyaml``, which reads
them in half the time and types scalars by the same rule; anything it declines comes here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from . import quickyaml
from .diagnostics import Diagnostic

__all__ = [
    "Document",
    "Position",
    "decode_text",
    "input_stat",
    "load_yaml",
    "read_input",
    "read_text",
    "read_yaml",
]

# libyaml when it is there (the speed matters at thousands of files); events are the same.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Key = tuple[str | int, ...]


class Position(NamedTuple):
    """A 1-based line and column in a file."""

    line: int
    col: int


@dataclass
class Document:
    """Plain data read from one file, and where each value and mapping key was written.

    ``values[path]`` is where the value at ``path`` starts; ``keys[path]`` is where the key
    that names it starts. Paths are tuples of keys and list indices, the form pydantic uses
    for error locations, so its errors map straight back to the file. Positions are recorded
    on first use: most documents have no problem and never need them, and recording them
    costs as much as parsing.
    """

    path: str
    data: Any = None
    values: dict[Key, Position] = field(default_factory=dict)
    keys: dict[Key, Position] = field(default_factory=dict)
    text: str | None = None

    def position(self, loc: Key, *, prefer_key: bool = False) -> Position:
        """Where to point for a location: the value (or key), else the nearest ancestor."""
        if self.text is not None:
            _build(self, self.text, [], track=True)
            self.text = None
        loc = tuple(loc)
        while True:
            if prefer_key and loc in self.keys:
                return self.keys[loc]
            if loc in self.values:
                return self.values[loc]
            if not loc:
                return Position(1, 1)
            loc = loc[:-1]


class _Retrack(Exception):
    """A problem whose message needs positions: read again, recording them."""


class _Builder:
    """Plain data from parser events, recording where each key and value starts."""

    def __init__(
        self, doc: Document, next_event: Callable[[], Any], problems: list[Diagnostic], track: bool
    ):
        self.doc = doc
        self.next = next_event
        self.problems = problems
        self.values = doc.values
        self.keys = doc.keys
        self.track = track

    def problem(self, mark: Any, code: str, message: str, hint: str | None = None) -> None:
        line, col = mark.line + 1, mark.column + 1
        self.problems.append(Diagnostic(self.doc.path, line, col, code, message, hint))

    def node(self, event: Any, path: Key) -> Any:
        mark = event.start_mark
        if self.track:
            self.values[path] = Position(mark.line + 1, mark.column + 1)
        kind = type(event)
        if kind is yaml.ScalarEvent:
            if event.tag is not None and not (event.tag == "!" and not event.implicit[0]):
                self._tag(event)
            return _scalar(event)
        if kind is yaml.AliasEvent:
            # Only the alias is reported: an anchor nobody refers to changes nothing.
            self.problem(
                mark,
                "yaml-alias",
                f"alias *{event.anchor} refers to another value",
                "write the value out in full and remove the &anchor",
            )
            return None
        if event.tag is not None:
            self._tag(event)
        if kind is yaml.MappingStartEvent:
            return self.mapping(path)
        items: list[Any] = []
        next_event, track = self.next, self.track
        while type(item := next_event()) is not yaml.SequenceEndEvent:
            items.append(self.node(item, (*path, len(items)) if track else path))
        return items

    def _tag(self, event: Any) -> None:
        self.problem(
            event.start_mark,
            "yaml-tag",
            f"explicit tag {event.tag} is not allowed",
            "remove the tag; put the value in quotes if it is text",
        )

    def mapping(self, path: Key) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        next_event, track = self.next, self.track
        while type(key_event := next_event()) is not yaml.MappingEndEvent:
            mark = key_event.start_mark
            if type(key_event) is yaml.ScalarEvent and key_event.anchor is None:
                key = _scalar(key_event)
            else:
                self.problem(mark, "wrong-type", "a key must be plain text")
                key = repr(self.node(key_event, (*path, "<key>")))
            key = "" if key is None else str(key)
            value_event = next_event()
            if key in result:
                if not track:
                    raise _Retrack
                first = self.keys[(*path, key)]
                self.problem(
                    mark,
                    "duplicate-key",
                    f"key {key!r} appears twice in this mapping (first at line {first.line})",
                    "remove or rename one of them; YAML would keep only the last",
                )
                self.node(value_event, (*path, "<duplicate>"))
                continue
            if track:
                child = (*path, key)
                self.keys[child] = Position(mark.line + 1, mark.column + 1)
                result[key] = self.node(value_event, child)
            else:
                result[key] = self.node(value_event, path)
        return result


def _scalar(event: Any) -> Any:
    if event.implicit[0] and not event.style:
        return quickyaml.typed(event.value)
    return event.value


def read_text(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """A file's text, or an ``invalid-utf8`` diagnostic at the first byte that is not UTF-8."""
    return decode_text(path.read_bytes(), display)


def decode_text(raw: bytes, display: str) -> tuple[str | None, list[Diagnostic]]:
    """Bytes read from ``display`` as text, as ``read_text`` gives it (for callers that
    need the bytes too, such as a seed's hash)."""
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


def read_input(root: Path, relative: str, limit: int) -> tuple[Document, list[Diagnostic]]:
    """A hand-written YAML input, read only if it is a regular file inside the dataset root,
    reached without a symbolic link, and at most ``limit`` bytes long.

    Inputs arrive in pull requests from strangers: a link could point the tool at a secret
    outside the repository, a FIFO or device would block or never end, a huge file would
    take the machine's memory. Each is one diagnostic on the path, and the file is not read.
    """
    doc = Document(relative)
    info = input_stat(root, relative)
    if isinstance(info, str):
        return doc, [_refused(relative, info)]
    current = root / relative
    if info.st_size > limit:
        return doc, [
            Diagnostic(
                relative,
                1,
                1,
                "input-too-large",
                f"is {info.st_size:,} bytes, more than the {limit:,} an input may have",
                "split the file or remove what does not belong in it",
            )
        ]
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(current, flags)
        with os.fdopen(handle, "rb") as file:
            raw = file.read(limit + 1)
    except OSError as exc:
        return doc, [_refused(relative, f"cannot be read: {exc.strerror}")]
    if len(raw) > limit:  # grew since it was measured
        return doc, [Diagnostic(relative, 1, 1, "input-too-large", f"is more than {limit:,} bytes")]
    text, problems = decode_text(raw, relative)
    if text is None:
        return doc, problems
    return load_yaml(text, relative)


def input_stat(root: Path, relative: str) -> os.stat_result | str:
    """The status of an input that is a regular file inside the root, reached without a
    symbolic link; else why it is not, to report instead of reading it."""
    current = root
    for part in Path(relative).parts:
        current = current / part
        try:
            info = os.lstat(current)
        except OSError as exc:
            return f"cannot be read: {exc.strerror}"
        if stat.S_ISLNK(info.st_mode):
            shown = current.relative_to(root).as_posix()
            return f"{shown} is a symbolic link, which is not followed"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    return info


def _refused(relative: str, message: str) -> Diagnostic:
    return Diagnostic(
        relative,
        1,
        1,
        "input-not-a-file",
        message,
        "inputs must be regular files inside the dataset, not links, folders or devices",
    )


def read_yaml(path: Path, display: str) -> tuple[Document, list[Diagnostic]]:
    """One YAML file as a located document, with every problem the reader found.

    ``display`` is the path diagnostics print (relative to the dataset root). A document with
    a syntax error has ``data`` None; other problems leave the rest of the data usable, so one
    run reports everything.
    """
    text, problems = read_text(path, display)
    if text is None:
        return Document(display), problems
    doc, found = load_yaml(text, display)
    return doc, problems + found


def load_yaml(text: str, display: str, *, quick: bool = True) -> tuple[Document, list[Diagnostic]]:
    """YAML text as a located document, and its problems.

    Most files are plain block YAML, which ``quickyaml`` reads in half the time; whatever it
    declines, and every problem, comes from libyaml (``quick=False`` asks for libyaml alone).
    """
    doc = Document(display)
    problems: list[Diagnostic] = []
    if quick:
        data = quickyaml.read(text)
        if data is not quickyaml.DECLINED:
            doc.data, doc.text = data, text
            return doc, problems
    try:
        _build(doc, text, problems, track=False)
        doc.text = text
    except _Retrack:
        problems.clear()
        _build(doc, text, problems, track=True)
    return doc, problems


def _build(doc: Document, text: str, problems: list[Diagnostic], *, track: bool) -> None:
    """Fill ``doc.data`` (and, when tracking, its positions) from the YAML text."""
    # The parser's own get_event, not yaml.parse(): that generator costs two Python calls
    # per event, a fifth of the reading time.
    loader = _Loader(text)
    builder = _Builder(doc, loader.get_event, problems, track)
    try:
        builder.next()  # stream start
        event = builder.next()
        if type(event) is yaml.DocumentStartEvent:
            doc.data = builder.node(builder.next(), ())
            builder.next()  # document end
            extra = builder.next()
            if type(extra) is yaml.DocumentStartEvent:
                builder.problem(
                    extra.start_mark,
                    "yaml-syntax",
                    "a second YAML document in one file",
                    "keep one document per file; remove the '---' line",
                )
    except yaml.MarkedYAMLError as exc:
        doc.data = None
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Diagnostic(doc.path, line, col, "yaml-syntax", message))
    finally:
        loader.dispose()
