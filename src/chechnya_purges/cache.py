"""The incremental cache of ``validate``: re-check only what an edit can affect.

An article's result (its problems and the actors it uses) depends on the article file, its
seed, the actor registry and the code. Each result is stored under a key made of all four,
so changing any of them re-checks exactly the articles it can affect: an edited article or
seed, that article; an edited registry or a new version of the code, everything.

A file's content hash is reused while its size and modification time are unchanged (as
git's index does), so an unchanged corpus costs one ``stat`` per file. The cache lives in
``.cache/chechnya-purges/`` under the dataset root; it is local, written only by this tool,
and safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Cache", "code_fingerprint"]

_FOLDER = Path(".cache") / "chechnya-purges"
_FILE = "validate.pickle"


def code_fingerprint() -> str:
    """A hash of the package's own source: any code change invalidates every result."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@dataclass
class Cache:
    """Results by key, and content hashes by (path, size, mtime)."""

    fingerprint: str
    results: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    registry: tuple[str, Any] | None = None
    changed: bool = False
    hashing: bool = True  # False: a throwaway cache, whose keys need not be real

    @classmethod
    def open(cls, root: Path) -> Cache:
        """The cache of a dataset root; an empty one if absent, unreadable or stale."""
        fingerprint = code_fingerprint()
        try:
            with (root / _FOLDER / _FILE).open("rb") as handle:
                cache = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            return cls(fingerprint)
        if not isinstance(cache, cls) or cache.fingerprint != fingerprint:
            return cls(fingerprint)
        return cache

    def content(self, path: str) -> str:
        """The sha256 of a file ("" when absent), from the stat-keyed memo when unchanged."""
        if not self.hashing:
            return ""
        try:
            stat = os.stat(path)
        except OSError:
            return ""
        known = self.hashes.get(path)
        if known is not None and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return known[2]
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        self.hashes[path] = (stat.st_size, stat.st_mtime_ns, digest)
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
        folder = root / _FOLDER
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(self, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(name, folder / _FILE)
        except OSError:
            return  # a read-only checkout validates all the same, only without a cache
