"""Reading a copy of the package that nobody vouches for: a folder or a release zip.

A copy may come from anywhere, so nothing in it is trusted until checked: there is one
descriptor, at the copy's root (a ``datapackage.json`` anywhere else is a decoy); it lists
resources, each at a path that stays inside the package; every file is compared by size
with what the descriptor states *before* it is read or decompressed (a zip bomb declares a
small file and inflates to gigabytes), then by SHA-256; and a release zip holds nothing the
descriptor does not list. Problems that make the copy unreadable raise :class:`CopyError`;
the others are returned as diagnostics, every one of them, so ``verify`` can list them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic

__all__ = ["DESCRIPTOR", "LICENCE", "Copy", "CopyError", "open_copy", "read_licence"]

DESCRIPTOR = "datapackage.json"
# Far above any real descriptor (a few MB at 10,000 articles) or file (tens of MB).
MAX_DESCRIPTOR = 64 * 2**20
MAX_FILE = 2**30
_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*$")
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
_AGAIN = "download or unpack the release again"
# Files that 1.0.0 archives hold without listing them: a warning, so that they still verify.
_OLDER_RELEASE = re.compile(r"^(CITATION\.cff|LICENSE-DATA|schema/[a-z]+\.schema\.json)$")
# Errors a damaged archive member raises while it is decompressed.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
    ValueError,
)


LICENCE = "LICENSE-DATA"
# LICENSE-DATA is written by hand; a file larger than this is not a licence.
_LICENCE_LIMIT = 2**20


def read_licence(root: Path) -> bytes | None:
    """LICENSE-DATA, when the root holds it as a regular file (never through a link): what
    the descriptor lists and a release archive holds."""
    try:
        descriptor = os.open(root / LICENCE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_size > _LICENCE_LIMIT:
            return None
        return handle.read(_LICENCE_LIMIT)


class CopyError(Exception):
    """A copy that cannot be read as a package at all: it says why, once."""


@dataclass
class Copy:
    """A package copy as read: its descriptor, the listed files that could be read at the
    size the descriptor states, and every way the copy departs from the descriptor."""

    descriptor: dict[str, Any]
    raw_descriptor: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)


def _descriptor(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CopyError(f"{DESCRIPTOR} is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise CopyError(
            f"{DESCRIPTOR}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise CopyError(f"{DESCRIPTOR} nests too deeply to be a descriptor") from exc
    if not isinstance(value, dict):
        raise CopyError(f"{DESCRIPTOR} is not a JSON object")
    return value


def _safe(path: object) -> bool:
    """A resource path that names a file inside the package: relative, '/'-separated, with
    no '..', no empty, hidden-by-dot or drive parts."""
    if not isinstance(path, str) or len(path) > 1000:
        return False
    return all(_PART.match(part) for part in path.split("/"))


@dataclass(frozen=True)
class _Listed:
    path: str
    size: int
    digest: str


def _listed(descriptor: dict[str, Any], problems: list[Diagnostic]) -> list[_Listed]:
    """The files the descriptor lists, each with the size and hash it promises; a problem
    for each resource that cannot be checked."""
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        problems.append(
            Diagnostic(
                DESCRIPTOR,
                1,
                1,
                "package-invalid",
                "the descriptor lists no resources",
                "a package lists every file it holds under resources",
            )
        )
        return []
    found: list[_Listed] = []
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        where = f"resources[{index}]"
        path = resource.get("path") if isinstance(resource, dict) else None
        if not _safe(path):
            problems.append(
                Diagnostic(
                    DESCRIPTOR,
                    1,
                    1,
                    "package-invalid",
                    f"{where}.path {path!r} is not a path inside the package",
                    "resource paths are relative, '/'-separated and never contain '..'",
                )
            )
            continue
        assert isinstance(resource, dict) and isinstance(path, str)
        size, digest = resource.get("bytes"), resource.get("hash")
        if path in seen or path == DESCRIPTOR:
            problem = f"{where}.path {path!r} is listed twice"
        elif not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_FILE:
            problem = f"{where}.bytes {size!r} is not a size up to {MAX_FILE} bytes"
        elif not isinstance(digest, str) or not _HASH.match(digest):
            problem = f"{where}.hash {digest!r} is not 'sha256:' and 64 hex digits"
        else:
            seen.add(path)
            found.append(_Listed(path, size, digest))
            continue
        problems.append(Diagnostic(DESCRIPTOR, 1, 1, "package-invalid", problem, _AGAIN))
    return found


def _altered(path: str, message: str) -> Diagnostic:
    return Diagnostic(path, 1, 1, "package-file-altered", message, _AGAIN)


def _compare(listed: _Listed, content: bytes, copy: Copy) -> None:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    if digest != listed.digest:
        copy.problems.append(
            _altered(listed.path, f"has {digest}; the descriptor says {listed.digest}")
        )
    else:
        copy.files[listed.path] = content


def _size_differs(listed: _Listed, size: int, copy: Copy) -> bool:
    if size == listed.size:
        return False
    copy.problems.append(
        _altered(
            listed.path,
            f"is {size} bytes; the descriptor says {listed.size} (truncated or altered)",
        )
    )
    return True


def _missing(path: str) -> Diagnostic:
    return Diagnostic(
        path, 1, 1, "package-file-missing", "listed in datapackage.json but missing", _AGAIN
    )


def _extra(path: str, message: str) -> Diagnostic:
    return Diagnostic(
        path,
        1,
        1,
        "package-file-extra",
        message,
        "a package holds only what its descriptor lists: use a copy as released",
    )


def _regular(folder: Path, relative: str) -> os.stat_result | None:
    """The status of a file reached from ``folder`` without symbolic links, if it is a
    regular file."""
    current = folder
    status = None
    for part in relative.split("/"):
        current = current / part
        try:
            status = current.lstat()
        except OSError:
            return None
        if stat.S_ISLNK(status.st_mode):
            return None
    return status if status is not None and stat.S_ISREG(status.st_mode) else None


def _read_folder(folder: Path) -> Copy:
    status = _regular(folder, DESCRIPTOR)
    if status is None:
        raise CopyError(f"no {DESCRIPTOR} in the folder (or it is not a regular file)")
    if status.st_size > MAX_DESCRIPTOR:
        raise CopyError(f"{DESCRIPTOR} is {status.st_size} bytes, too large to be a descriptor")
    raw = (folder / DESCRIPTOR).read_bytes()
    copy = Copy(_descriptor(raw), raw)
    listed = _listed(copy.descriptor, copy.problems)
    for item in listed:
        status = _regular(folder, item.path)
        if status is None:
            if os.path.lexists(folder / item.path):
                copy.problems.append(
                    _extra(item.path, "is not a regular file (a link, a folder or a device)")
                )
            else:
                copy.problems.append(_missing(item.path))
        elif not _size_differs(item, status.st_size, copy):
            _compare(item, (folder / item.path).read_bytes(), copy)
    # The folders that hold listed files hold nothing else (the root holds the checkout).
    names = {item.path for item in listed}
    for top in sorted({item.path.split("/")[0] for item in listed if "/" in item.path}):
        if _regular(folder, top) is not None or not (folder / top).is_dir():
            continue
        for base, dirs, files in os.walk(folder / top):
            dirs.sort()
            for name in sorted(files):
                relative = (Path(base) / name).relative_to(folder).as_posix()
                if relative not in names:
                    copy.problems.append(_extra(relative, "is not listed in the descriptor"))
    return copy


def _package_prefix(names: list[str]) -> str:
    """Where the descriptor is: at the archive's root, or in one folder at its top (as a
    release is made). A datapackage.json deeper down is not the package's."""
    if DESCRIPTOR in names:
        return ""
    tops = sorted({n for n in names if n.count("/") == 1 and n.endswith("/" + DESCRIPTOR)})
    if len(tops) > 1:
        raise CopyError(f"more than one folder at the archive's top holds a {DESCRIPTOR}")
    if not tops:
        raise CopyError(f"no {DESCRIPTOR} at the archive's root or in a folder at its top")
    return tops[0].removesuffix(DESCRIPTOR)


def _read_zip(path: Path) -> Copy:
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise CopyError(f"not a readable zip archive: {exc}") from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        names = [info.filename for info in members]
        prefix = _package_prefix(names)
        by_name: dict[str, zipfile.ZipInfo] = {}
        duplicated: set[str] = set()
        for info in members:
            if info.filename in by_name:
                duplicated.add(info.filename)
            by_name[info.filename] = info
        head = by_name[prefix + DESCRIPTOR]
        if head.file_size > MAX_DESCRIPTOR:
            raise CopyError(f"{DESCRIPTOR} is {head.file_size} bytes, too large to be a descriptor")
        try:
            raw = archive.read(head)
        except _ZIP_ERRORS as exc:
            raise CopyError(f"{DESCRIPTOR} cannot be decompressed: {exc}") from exc
        copy = Copy(_descriptor(raw), raw)
        listed = _listed(copy.descriptor, copy.problems)
        for item in listed:
            member = by_name.get(prefix + item.path)
            if member is None:
                copy.problems.append(_missing(item.path))
                continue
            # The size the archive declares, compared before a byte is decompressed; the
            # reader stops at the declared size, so no member inflates beyond it.
            if _size_differs(item, member.file_size, copy):
                continue
            try:
                content = archive.read(member)
            except _ZIP_ERRORS as exc:
                copy.problems.append(_altered(item.path, f"cannot be decompressed: {exc}"))
                continue
            _compare(item, content, copy)
        wanted = {prefix + item.path for item in listed} | {prefix + DESCRIPTOR}
        for name in sorted(set(names)):
            shown = name.removeprefix(prefix) if name.startswith(prefix) else name
            if name in duplicated:
                copy.problems.append(_extra(shown, "appears more than once in the archive"))
            elif name in wanted:
                continue
            elif not name.startswith(prefix):
                copy.problems.append(_extra(shown, "lies outside the package's folder"))
            elif name.rsplit("/", 1)[-1] == DESCRIPTOR:
                copy.problems.append(
                    _extra(shown, "is a second descriptor; only the one at the root counts")
                )
            elif name.startswith(prefix) and _OLDER_RELEASE.match(shown):
                copy.problems.append(
                    Diagnostic(
                        shown,
                        1,
                        1,
                        "package-file-extra",
                        "is not listed in the descriptor, so it cannot be verified",
                        "releases made before descriptors listed it hold it unlisted",
                        severity="warning",
                    )
                )
            else:
                copy.problems.append(_extra(shown, "is not listed in the descriptor"))
    return copy


def open_copy(path: Path) -> Copy:
    """Read a package copy (a folder holding datapackage.json, the descriptor itself, or a
    release zip) and find how it departs from its descriptor."""
    if path.name == DESCRIPTOR and not path.is_dir():
        path = path.parent
    try:
        if path.is_dir():
            return _read_folder(path)
        if not path.exists():
            raise CopyError("no such file or folder")
        if not path.is_file():
            raise CopyError("neither a package folder nor a release zip")
        with path.open("rb") as handle:
            if handle.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
                raise CopyError("neither a package folder nor a release zip")
        return _read_zip(path)
    except OSError as exc:
        raise CopyError(f"cannot be read: {exc.strerror or exc}") from exc
