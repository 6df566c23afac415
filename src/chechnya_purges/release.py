"""Releases: verifying a downloaded package against its descriptor, and the release archive.

Downstream projects pin a version and must get the same bytes; the descriptor lists every
file's size and SHA-256, so anyone can check a copy without trusting where it came from.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from ._swap import write_atomically
from .compat import SNAPSHOTS, SnapshotError, read_package, snapshot
from .diagnostics import Diagnostic

__all__ = ["ReleaseError", "archive", "archive_name", "publish", "verify"]

# Fixed metadata, so that the same files always give the same archive bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_MODE = 0o100644 << 16


def _read(path: Path) -> dict[str, bytes]:
    try:
        return read_package(path)
    except (SnapshotError, OSError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        return {"": str(exc).encode()}


def verify(path: Path) -> list[Diagnostic]:
    """Every way a copy of the package differs from what its descriptor promises."""
    files = _read(path)
    if "" in files:
        return [Diagnostic(str(path), 1, 1, "package-unreadable", files[""].decode())]
    try:
        descriptor = json.loads(files["datapackage.json"])
    except json.JSONDecodeError as exc:
        return [
            Diagnostic(
                "datapackage.json",
                exc.lineno,
                exc.colno,
                "package-unreadable",
                f"not valid JSON: {exc.msg}",
            )
        ]
    problems = []
    if not str(descriptor.get("version", "")).strip():
        problems.append(
            Diagnostic(
                "datapackage.json",
                1,
                1,
                "package-version",
                "the descriptor states no version",
                "a pinned copy must say which version it is",
            )
        )
    for resource in descriptor.get("resources", []):
        name = resource["path"]
        content = files.get(name)
        if content is None:
            problems.append(
                Diagnostic(
                    name,
                    1,
                    1,
                    "package-file-missing",
                    "listed in datapackage.json but missing",
                    "download the release again",
                )
            )
            continue
        size, digest = len(content), "sha256:" + hashlib.sha256(content).hexdigest()
        if size != resource.get("bytes"):
            problems.append(
                Diagnostic(
                    name,
                    1,
                    1,
                    "package-file-altered",
                    f"is {size} bytes; the descriptor says "
                    f"{resource.get('bytes')} (truncated or altered)",
                    "download the release again",
                )
            )
        elif digest != resource.get("hash"):
            problems.append(
                Diagnostic(
                    name,
                    1,
                    1,
                    "package-file-altered",
                    f"has {digest}; the descriptor says {resource.get('hash')}",
                    "download the release again",
                )
            )
    return problems


def archive_name(version: str) -> str:
    return f"chechnya-purges-{version}.zip"


def archive(files: dict[str, bytes], version: str) -> bytes:
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


def publish(root: Path, files: dict[str, bytes], version: str, out: Path) -> tuple[Path, str]:
    """Write the archive and keep the release's snapshot; return the archive and its sha256.

    The snapshot in ``releases/`` is what the next ``check`` compares against. Refuses,
    writing nothing, when a snapshot of this version exists with other content: a released
    version never changes.
    """
    record = root / SNAPSHOTS / f"{version}.json"
    promised = (json.dumps(snapshot(files), indent=1, sort_keys=True) + "\n").encode()
    if record.is_file() and record.read_bytes() != promised:
        raise ReleaseError(
            f"{SNAPSHOTS}/{version}.json records a different {version}: raise the version"
        )
    payload = dict(files)
    if (root / "LICENSE-DATA").is_file():
        payload["LICENSE-DATA"] = (root / "LICENSE-DATA").read_bytes()
    content = archive(payload, version)
    folder = out if out.is_absolute() else root / out
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f".{archive_name(version)}.*.tmp"):
        leftover.unlink()  # from a release killed while writing
    # Each file appears whole or not at all: a kill or a full disk leaves no partial zip.
    write_atomically(folder / archive_name(version), content)
    record.parent.mkdir(exist_ok=True)
    write_atomically(record, promised)
    return folder / archive_name(version), hashlib.sha256(content).hexdigest()
