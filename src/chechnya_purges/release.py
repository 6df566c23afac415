"""Releases: verifying a downloaded package against its descriptor, and the release archive.

Downstream projects pin a version and must get the same bytes; the descriptor lists every
file's size and SHA-256, so anyone can check a copy without trusting where it came from.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path

from ._package import CopyError, open_copy
from ._swap import write_atomically
from .compat import SNAPSHOTS, snapshot
from .diagnostics import Diagnostic
from .reader import unsafe_path

__all__ = [
    "ReleaseError",
    "archive",
    "archive_name",
    "guard",
    "publish",
    "refuse_links",
    "verify",
    "verify_version",
]

# Fixed metadata, so that the same files always give the same archive bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o100644 << 16


def verify_version(descriptor: dict[str, object]) -> list[Diagnostic]:
    """A pinned copy must say which version it is."""
    version = descriptor.get("version")
    if isinstance(version, str) and version.strip():
        return []
    return [
        Diagnostic(
            "datapackage.json",
            1,
            1,
            "package-version",
            "the descriptor states no version",
            "a pinned copy must say which version it is",
        )
    ]


def verify(path: Path) -> list[Diagnostic]:
    """Every way a copy of the package differs from what its descriptor promises."""
    try:
        copy = open_copy(path)
    except CopyError as exc:
        return [Diagnostic(str(path), 1, 1, "package-unreadable", str(exc))]
    return copy.problems + verify_version(copy.descriptor)


def archive_name(version: str) -> str:
    return f"chechnya-purges-{version}.zip"


def archive(files: Mapping[str, bytes], version: str) -> bytes:
    """The release zip: every file under one folder named for the version, byte-stable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"chechnya-purges-{version}/{name}", date_time=_EPOCH)
            info.external_attr = _MODE
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


class ReleaseError(Exception):
    """A release that would contradict one already made."""


def _promised(files: Mapping[str, bytes]) -> bytes:
    return (json.dumps(snapshot(files), indent=1, sort_keys=True) + "\n").encode()


def guard(root: Path, files: Mapping[str, bytes], version: str) -> None:
    """Raise ReleaseError when a snapshot of ``version`` exists with other content: a
    released version never changes."""
    record = root / SNAPSHOTS / f"{version}.json"
    if record.is_file() and record.read_bytes() != _promised(files):
        raise ReleaseError(
            f"{SNAPSHOTS}/{version}.json records a different {version}: a released version "
            "never changes"
        )


def refuse_links(root: Path, out: Path) -> None:
    """Raise ReleaseError when releases/ or the archive's folder, inside the dataset, is a
    link or reached through one: a pull request could commit one to make a release write or
    delete files elsewhere."""
    for inside in (root / SNAPSHOTS, out if out.is_absolute() else root / out):
        if inside.is_relative_to(root) and inside != root:
            relative = inside.relative_to(root).as_posix()
            if unsafe_path(root, relative, folder=True)[1] is not None:
                raise ReleaseError(
                    f"{relative} is a symbolic link or not a folder, or is reached through one: "
                    "not writing through it"
                )


def publish(root: Path, files: Mapping[str, bytes], version: str, out: Path) -> tuple[Path, str]:
    """Write the archive and keep the release's snapshot; return the archive and its sha256.

    The snapshot in ``releases/`` is what the next ``check`` compares against. Refuses,
    writing nothing, when :func:`guard` does.
    """
    guard(root, files, version)
    record = root / SNAPSHOTS / f"{version}.json"
    promised = _promised(files)
    content = archive(files, version)
    folder = out if out.is_absolute() else root / out
    refuse_links(root, folder)
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f".{archive_name(version)}.*.tmp"):
        leftover.unlink()  # from a release killed while writing
    # Each file appears whole or not at all: a kill or a full disk leaves no partial zip.
    write_atomically(folder / archive_name(version), content)
    record.parent.mkdir(exist_ok=True)
    write_atomically(record, promised)
    return folder / archive_name(version), hashlib.sha256(content).hexdigest()
