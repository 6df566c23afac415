"""The incremental cache of ``validate``: re-check only what an edit can affect.

An article's result (its problems and the actors it uses) depends on the article file, its
seed, the actor registry and the code. Each result is stored under a key made of all four,
so changing any of them re-checks exactly the articles it can affect: an edited article or
seed, that article; an edited registry or a new version of the code, everything.

A file's content hash is reused while its size and modification time are unchanged (as
git's index does), so an unchanged corpus costs one ``lstat`` per file; the hash, not the
time, decides whether a result still holds.

Nothing in the repository can make the cache lie, because the cache is not in the
repository: it lives in the user's cache folder (``$XDG_CACHE_HOME``, else ``~/.cache``),
one file per dataset root, named after a hash of the root's real path. ``build`` and
``check`` never use it. The file is JSON, which cannot run code when read, and carries a
SHA-256 of its own content: a file that is truncated, edited or of another format is
ignored and everything is checked again.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Cache", "cache_file", "code_fingerprint"]

_FORMAT = "chechnya-purges validate cache 2"


def code_fingerprint() -> str:
    """A hash of the package's own source and of the libraries that read and check with it
    (Python, PyYAML with or without libyaml, pydantic): any change invalidates every result."""
    import sys

    import pydantic
    import yaml

    digest = hashlib.sha256()
    libraries = (sys.version, yaml.__version__, yaml.__with_libyaml__, pydantic.VERSION)
    digest.update(repr(libraries).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _stamp(status: os.stat_result) -> int:
    """When a file last changed, as far as its status tells: the modification time, which
    anyone can set back (``touch -r``), and the change time and inode, which no one can, so
    that an edit that keeps size and modification time is still hashed again."""
    facts = f"{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}".encode()
    return int.from_bytes(hashlib.sha256(facts).digest()[:8], "big")


def cache_file(root: Path) -> Path:
    """Where the cache of a dataset root lives: outside it, in the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    name = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:32]
    return folder / "chechnya-purges" / f"validate-{name}.json"


@dataclass
class Cache:
    """Results by key (plain JSON values), and content hashes by (path, size, stamp)."""

    fingerprint: str
    results: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    registry: tuple[str, Any] | None = None
    changed: bool = False
    hashing: bool = True  # False: a throwaway cache, whose keys need not be real

    @classmethod
    def open(cls, root: Path) -> Cache:
        """The cache of a dataset root; an empty one if absent, unreadable, altered or stale."""
        fingerprint = code_fingerprint()
        try:
            with cache_file(root).open("rb") as handle:
                raw = handle.read()
            seal, _, body = raw.partition(b"\n")
            if seal.decode("ascii") != hashlib.sha256(body).hexdigest():
                return cls(fingerprint)
            data = json.loads(body)
            if data["format"] != _FORMAT or data["fingerprint"] != fingerprint:
                return cls(fingerprint)
            hashes = {
                str(path): (int(size), int(mtime), str(digest))
                for path, (size, mtime, digest) in data["hashes"].items()
            }
            registry = data["registry"]
            results = data["results"]
            if not isinstance(results, dict) or not (
                registry is None or (isinstance(registry, list) and len(registry) == 2)
            ):
                return cls(fingerprint)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, UnicodeError):
            return cls(fingerprint)
        return cls(fingerprint, results, hashes, None if registry is None else tuple(registry))

    def content(self, path: str, limit: int) -> str:
        """The sha256 of a regular file ("" when absent), from the stat-keyed memo when
        unchanged. A link, a special file or a file over ``limit`` is never opened: it gets
        a marker naming what it is, so its result is keyed apart from any real content."""
        if not self.hashing:
            return ""
        try:
            status = os.lstat(path)
        except OSError:
            return ""
        if not stat.S_ISREG(status.st_mode):
            return f"special:{stat.S_IFMT(status.st_mode)}"
        if status.st_size > limit:
            return f"large:{status.st_size}"
        known = self.hashes.get(path)
        if known is not None and known[0] == status.st_size and known[1] == _stamp(status):
            return known[2]
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            with os.fdopen(os.open(path, flags), "rb") as handle:
                digest = hashlib.sha256(handle.read(limit + 1)).hexdigest()
        except OSError:
            return "unreadable"
        self.hashes[path] = (status.st_size, _stamp(status), digest)
        self.changed = True
        return digest

    def keep_only(self, results: set[str], paths: set[str]) -> None:
        """Forget results and files this run no longer needs."""
        if len(results) != len(self.results) or len(paths) != len(self.hashes):
            self.results = {k: v for k, v in self.results.items() if k in results}
            self.hashes = {k: v for k, v in self.hashes.items() if k in paths}
            self.changed = True

    def save(self, root: Path) -> None:
        """Write the cache atomically, when this run changed it."""
        if not self.changed:
            return
        self.changed = False
        target = cache_file(root)
        body = json.dumps(
            {
                "format": _FORMAT,
                "fingerprint": self.fingerprint,
                "root": os.path.realpath(root),
                "hashes": self.hashes,
                "registry": self.registry,
                "results": self.results,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        seal = hashlib.sha256(body).hexdigest().encode("ascii")
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(seal + b"\n" + body)
                os.replace(name, target)
            except BaseException:
                os.unlink(name)
                raise
        except OSError:
            return  # no writable cache folder: validate works all the same, only slower
