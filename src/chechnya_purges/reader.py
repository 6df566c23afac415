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

Every file arrives from a stranger's pull request, so reading is defensive: a file is opened
only when it is a regular file reached from the dataset root without a symbolic link (nothing
outside the root is ever read, and a FIFO or device cannot block or flood the run), it has a
size bound, nesting is bounded, and every libyaml error becomes a diagnostic.
"""

from __future__ import annotations

import os
import re
import stat
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from . import quickyaml
from .diagnostics import Diagnostic

__all__ = [
    "ARTICLE_BYTES",
    "CLAIMS_BYTES",
    "MAX_DEPTH",
    "REGISTRY_BYTES",
    "SEED_BYTES",
    "Document",
    "Position",
    "decode_text",
    "load_yaml",
    "numbered",
    "read_input",
    "read_text",
    "read_yaml",
    "unsafe_path",
]

# Size bounds of the inputs. The largest real article record is about 14 KB and the largest
# seed about 6 KB; the bounds leave room for a long report and a registry of 50,000 actors
# while refusing a file that would take minutes and gigabytes to read.
ARTICLE_BYTES = 1 << 20
SEED_BYTES = 4 << 20
REGISTRY_BYTES = 16 << 20
CLAIMS_BYTES = 8 << 20  # a claim is a few lines: tens of thousands fit
# How deeply collections may nest. Records nest five levels at most; a bound far above that
# keeps a hostile file from exhausting Python's stack in either reader.
MAX_DEPTH = 64

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
    # Where each item of a long top-level list begins (offset, lines before it: two numbers
    # an item, held as machine integers, not 300,000 objects at 100,000 actors), and the
    # items already located.
    _items: tuple[array[int], array[int]] | None = field(default=None, repr=False)
    _located: set[int] = field(default_factory=set, repr=False)

    def position(self, loc: Key, *, prefer_key: bool = False) -> Position:
        """Where to point for a location: the value (or key), else the nearest ancestor."""
        loc = tuple(loc)
        if self.text is not None and not (loc and self._locate_item(loc[0])):
            _build(self, self.text, [], track=True)
            self.text = None
        while True:
            if prefer_key and loc in self.keys:
                return self.keys[loc]
            if loc in self.values:
                return self.values[loc]
            if not loc:
                return Position(1, 1)
            loc = loc[:-1]

    def _locate_item(self, index: Any) -> bool:
        """Record the positions of one item of a long list (the actor registry) by reading
        its own lines again, rather than the whole file: at a hundred thousand actors,
        locating a warning would otherwise read 10 MB again and hold every position in it.

        Items are told apart by the lines that begin with "-" at the first column. The item
        read again must equal the one first read, or the whole file is read instead."""
        if type(index) is not int or not isinstance(self.data, list) or self.text is None:
            return False
        if len(self.data) < _LONG_LIST or not 0 <= index < len(self.data):
            return False
        if index in self._located:
            return True
        text = self.text
        if self._items is None:
            starts = numbered(_ITEM, text) or []
            self._items = (
                array("q", (m.start() for m, _ in starts)),
                array("q", (line - 1 for _, line in starts)),
            )
        offsets, lines_before = self._items
        if len(offsets) != len(self.data):
            return False
        begin, lines = offsets[index], lines_before[index]
        end = offsets[index + 1] if index + 1 < len(offsets) else len(text)
        item = Document(self.path)
        problems: list[Diagnostic] = []
        _build(item, text[begin:end], problems, track=True)
        if problems or item.data != [self.data[index]]:
            return False
        for found, into in ((item.values, self.values), (item.keys, self.keys)):
            for key, (line, col) in found.items():
                if key:
                    into[(index, *key[1:])] = Position(line + lines, col)
        self._located.add(index)
        return True


# Lists this long are located an item at a time; the first line of each item begins "-".
_LONG_LIST = 256
_ITEM = re.compile(r"^-(?=[ \t\r\n]|$)", re.M)
# Line breaks other than "\n" that libyaml counts as a line.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def numbered(pattern: re.Pattern[str], text: str) -> list[tuple[re.Match[str], int]] | None:
    """Each match of ``pattern`` in ``text`` with the (1-based) line it starts on, counted
    once through the text, for positions without reading a large file again as YAML.

    None when the text holds a line break other than "\\n" (CR, U+2028…): libyaml counts
    those as lines too, and its positions are then the ones to use, so that every position
    of a file is counted one way."""
    if _OTHER_BREAKS.search(text):
        return None
    found, line, counted = [], 1, 0
    for match in pattern.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        found.append((match, line))
    return found


class _Retrack(Exception):
    """A problem whose message needs positions: read again, recording them."""


class _TooDeep(Exception):
    """Collections nested past ``MAX_DEPTH``: the file is refused where the limit is passed."""

    def __init__(self, mark: Any):
        super().__init__()
        self.mark = mark


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
        self.depth = 0

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
            return self.scalar(event)
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
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep(mark)
        if kind is yaml.MappingStartEvent:
            result: Any = self.mapping(path)
        else:
            result = []
            next_event, track = self.next, self.track
            while type(item := next_event()) is not yaml.SequenceEndEvent:
                result.append(self.node(item, (*path, len(result)) if track else path))
        self.depth -= 1
        return result

    def scalar(self, event: Any) -> Any:
        """A scalar's value; an integer no CSV reader holds exactly is refused here."""
        if not event.implicit[0] or event.style:
            return event.value
        try:
            return quickyaml.typed(event.value)
        except quickyaml.NumberTooLarge:
            digits = len(event.value.lstrip("+-"))
            self.problem(
                event.start_mark,
                "number-too-large",
                f"an integer of {digits:,} digits is beyond ±{quickyaml.SAFE_INTEGER:,}, "
                "which spreadsheets and JSON readers cannot hold exactly",
                "check the number; quote it if it is text",
            )
            return event.value

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
                if key_event.tag is not None and not (
                    key_event.tag == "!" and not key_event.implicit[0]
                ):
                    self._tag(key_event)
                key = self.scalar(key_event)
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


def _what(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def unsafe_path(
    root: Path, relative: str, *, folder: bool = False, checked: set[str] | None = None
) -> tuple[bool, Diagnostic | None]:
    """Whether ``root/relative`` exists, and why it may not be read if it may not.

    Every step from the root is looked at with ``lstat``, which opens nothing and follows
    no link: a symbolic link anywhere on the way, or a final entry that is not a regular
    file (a real folder, with ``folder``), is refused before anything is read from it.

    ``checked`` holds the folders on the way that this run has already found to be real
    folders: they are not looked at again (the same few are on the way to every article and
    seed), and each folder found real is added. The threat is a hostile file committed to the
    dataset, which is on disk before the run starts, not a process swapping folders for
    links while it runs; a file itself is always looked at, and opened without following a
    link (``read_input``). A set lives for one run: never across runs, nor in a cache.
    """
    path = str(root)
    parts = relative.split("/")
    for number, part in enumerate(parts, 1):
        path += "/" + part  # strings, not Paths: this runs for every file of every run
        last = number == len(parts)
        if checked is not None and not last and path in checked:
            continue
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            return False, None
        except OSError as exc:
            return True, _unreadable(relative, exc)
        if stat.S_ISREG(mode) if last and not folder else stat.S_ISDIR(mode):
            if checked is not None and not last:
                checked.add(path)
            continue
        if last:
            what = "a file, not a folder" if folder and stat.S_ISREG(mode) else _what(mode)
        else:
            what = f"reached through {'/'.join(parts[:number])}, which is {_what(mode)}"
        return True, Diagnostic(
            relative,
            1,
            1,
            "unsafe-file",
            f"{relative} is {what}; only files inside the dataset, reached without symbolic "
            "links, are read",
            "commit the file itself under the dataset root, not a link or special file",
        )
    return True, None


# Never follow a link, never wait on a FIFO, never leak the descriptor to a child process.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def _unreadable(relative: str, exc: OSError) -> Diagnostic:
    reason = exc.strerror or type(exc).__name__
    return Diagnostic(
        relative,
        1,
        1,
        "file-unreadable",
        f"{relative} cannot be read: {reason}",
        "check the file's permissions",
    )


def read_input(
    root: Path,
    relative: str,
    limit: int,
    *,
    if_present: bool = False,
    checked: set[str] | None = None,
) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of an input file of the dataset, or the one diagnostic why not.

    The file is opened without following a link and without blocking (a FIFO swapped in
    after the check cannot hang the run), checked again on the open descriptor, and read no
    further than its bound. With ``if_present``, a file that does not exist gives no bytes
    and no diagnostic, for a caller that reports its absence in words of its own (without
    looking at the path twice). ``checked``: the run's folders found real (``unsafe_path``).
    """
    exists, problem = unsafe_path(root, relative, checked=checked)
    if problem is not None:
        return None, [problem]
    if not exists:
        return None, [] if if_present else [
            _unreadable(relative, FileNotFoundError(2, "no such file"))
        ]
    try:
        handle = os.open(f"{root}/{relative}", _READ_FLAGS)
    except OSError as exc:
        return None, [_unreadable(relative, exc)]
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            return None, [unsafe_path(root, relative)[1] or _unreadable(relative, OSError())]
        chunks: list[bytes] = []
        size = 0
        while status.st_size <= limit and size <= limit:
            # what the file holds, plus room to see it grew; never past the bound
            chunk = os.read(handle, min(limit + 1 - size, max(status.st_size - size, 0) + 65536))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw = b"".join(chunks)
    except OSError as exc:
        return None, [_unreadable(relative, exc)]
    finally:
        os.close(handle)
    if status.st_size > limit or len(raw) > limit:
        size = max(status.st_size, len(raw))
        return None, [
            Diagnostic(
                relative,
                1,
                1,
                "file-too-large",
                f"{relative} is {size:,} bytes; files of this kind are limited to {limit:,}",
                "split the content, or check that the right file was committed",
            )
        ]
    return raw, []


def read_text(path: Path, display: str) -> tuple[str | None, list[Diagnostic]]:
    """A file named on the command line as text, or an ``invalid-utf8`` diagnostic at the
    first byte that is not UTF-8 (dataset inputs go through ``read_input``)."""
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
                "the file looks like UTF-16: re-save it as UTF-8"
                if b"\x00" in raw[:4096]
                else "re-save the file as UTF-8",
            )
        ]
    return text.removeprefix("\ufeff"), []


def read_yaml(
    root: Path, relative: str, limit: int, *, checked: set[str] | None = None
) -> tuple[Document, list[Diagnostic]]:
    """One YAML input file of the dataset as a located document, with every problem the
    reader found.

    ``relative`` is the path under the root, which diagnostics print. A document with a
    syntax error has ``data`` None; other problems leave the rest of the data usable, so one
    run reports everything.
    """
    raw, problems = read_input(root, relative, limit, checked=checked)
    if raw is None:
        return Document(relative), problems
    text, problems = decode_text(raw, relative)
    if text is None:
        return Document(relative), problems
    doc, found = load_yaml(text, relative)
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
    except _TooDeep as exc:
        doc.data = None
        problems.append(
            Diagnostic(
                doc.path,
                exc.mark.line + 1,
                exc.mark.column + 1,
                "yaml-syntax",
                f"lists and mappings nest more than {MAX_DEPTH} levels deep here",
                "records nest a few levels at most: check the indentation and brackets",
            )
        )
    except yaml.MarkedYAMLError as exc:
        doc.data = None
        problems.append(_syntax(doc.path, text, exc))
    except yaml.YAMLError as exc:
        # libyaml's reader: a character YAML does not allow (a control character, or the
        # NULs of UTF-16 text read as UTF-8). It gives an offset, not a mark.
        doc.data = None
        problems.append(_unacceptable(doc.path, text, exc))
    finally:
        loader.dispose()


# libyaml refuses a simple key longer than this, with a message that does not say why.
_KEY_LIMIT = 1024


def _syntax(path: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    message = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "invalid YAML"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    hint = None
    key = ""
    if mark is not None and exc.problem == "mapping values are not allowed in this context":
        start = text.rfind("\n", 0, mark.index) + 1
        key = text[start : mark.index].lstrip(" -")
        col = mark.column - len(key) + 1
    elif exc.context == "while scanning a simple key" and exc.context_mark and mark:
        key = text[exc.context_mark.index : mark.index]
        line, col = exc.context_mark.line + 1, exc.context_mark.column + 1
    if len(key) > _KEY_LIMIT:
        message = (
            f"a key of {len(key):,} characters: YAML allows keys of at most "
            f"{_KEY_LIMIT:,} characters"
        )
        hint = "keys are field names or actor ids, which are short"
    elif mark:
        line, col = mark.line + 1, mark.column + 1
    return Diagnostic(path, line, col, "yaml-syntax", message, hint)


def _unacceptable(path: str, text: str, exc: yaml.YAMLError) -> Diagnostic:
    offset = getattr(exc, "position", 0)
    offset = offset if isinstance(offset, int) and offset >= 0 else 0
    if _Loader is not yaml.SafeLoader:
        # libyaml counts this offset in the UTF-8 bytes it was given, not in characters.
        offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    offset = min(offset, len(text))
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    char = text[offset] if offset < len(text) else ""
    if char == "\0":
        message = "a NUL character: the file holds binary data or UTF-16 text"
        hint = "re-save the file as UTF-8"
    else:
        message = f"character U+{ord(char):04X} is not allowed in YAML" if char else str(exc)
        hint = "remove the character; text fields hold no control characters"
    return Diagnostic(path, line, col, "yaml-syntax", message, hint)
