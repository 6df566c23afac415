"""The files of the package as build writes them: streamed into a folder, or kept in memory.

``build`` writes into its staging folder a piece at a time, so that no file of the package
(the nested JSON grows by about 14 KB per article) is ever whole in memory, and ``check``
writes the same way into a temporary folder; ``diff`` and ``release`` keep them in memory.
Both go through the same writer, which hashes each file as it writes it: the descriptor's
sizes and hashes come from here, not from reading the files back.

This module imports nothing of the pipeline, so that every stage can read outputs from it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

__all__ = ["BLOCK", "Outputs", "blocks", "csv_rows", "json_blocks", "opened"]

# How much of a file is read or written at once: a few of these in memory cost nothing.
BLOCK = 1 << 20


class Outputs(Mapping[str, bytes]):
    """Files by path relative to the dataset root, each with its size and SHA-256.

    As a mapping it gives a file's whole content (for the small files, and for the outputs
    in memory); :meth:`open` reads one as a stream, whatever its size.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._memory: dict[str, bytes] = {}
        self._facts: dict[str, tuple[int, str]] = {}

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        """Write (or replace) a file from its pieces, flushed to the disk before it counts as
        written: a journal will name the folder as a finished set."""
        digest, size = hashlib.sha256(), 0
        if self.folder is None:
            content = b"".join(chunks)
            digest.update(content)
            self._memory[path] = content
            self._facts[path] = (len(content), digest.hexdigest())
            return
        target = self.folder / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:  # a failed write names no file: say which one
            raise OSError(exc.errno, exc.strerror, str(target)) from exc
        self._facts[path] = (size, digest.hexdigest())

    def replace(self, source: str, target: str) -> None:
        """Put a file written under another name in place of ``target``, in one rename."""
        if self.folder is None:
            self._memory[target] = self._memory.pop(source)
        else:
            os.replace(self.folder / source, self.folder / target)
        self._facts[target] = self._facts.pop(source)

    def facts(self, path: str) -> tuple[int, str]:
        """A file's size in bytes and its SHA-256, as written."""
        return self._facts[path]

    def open(self, path: str) -> IO[bytes]:
        """A file as a binary stream."""
        if path not in self._facts:
            raise KeyError(path)
        if self.folder is None:
            return io.BytesIO(self._memory[path])
        return (self.folder / path).open("rb")

    def __getitem__(self, path: str) -> bytes:
        if self.folder is None:
            return self._memory[path]
        with self.open(path) as handle:
            return handle.read()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._facts))

    def __len__(self) -> int:
        return len(self._facts)

    def __contains__(self, path: object) -> bool:
        return path in self._facts


def csv_rows(files: Mapping[str, bytes], path: str) -> Iterator[list[str]]:
    """A table of a package, a row at a time: a large package's tables are never read whole."""
    with opened(files, path) as handle:
        yield from csv.reader(io.TextIOWrapper(handle, encoding="utf-8", newline=""))


def opened(files: Mapping[str, bytes], path: str) -> IO[bytes]:
    """A file of a package as a stream: read from where it is when the package was just
    written, else from the bytes at hand (a package read back, a release archive)."""
    if isinstance(files, Outputs):
        return files.open(path)
    return io.BytesIO(files[path])


def blocks(handle: IO[bytes]) -> Iterator[bytes]:
    """A stream's content in large pieces."""
    while block := handle.read(BLOCK):
        yield block


def json_blocks(value: Any) -> Iterator[bytes]:
    """A JSON file as the package writes it (indented, UTF-8, a final newline), in large
    pieces. Indented JSON is encoded in Python a few characters at a time, and joined whole
    it holds millions of small strings at once: the descriptor and the Croissant file of a
    package of 100,000 articles, 17 MB each, cost over 100 MiB to encode that way."""
    pending: list[str] = []
    size = 0
    for chunk in json.JSONEncoder(ensure_ascii=False, indent=2).iterencode(value):
        pending.append(chunk)
        size += len(chunk)
        if size >= BLOCK:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    pending.append("\n")
    yield "".join(pending).encode("utf-8")
