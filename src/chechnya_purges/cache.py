"""The incremental cache of ``validate``: re-check only what an edit can affect, and let the
unchanged part of the corpus cost close to nothing.

An article's result (its problems, the actors it uses, its links to claims) depends on the
article file, its seed, the actor registry and claims file, how the folders are reached, and
the code. Each result is stored under a key made of all of them, so changing any of them
re-checks exactly the articles it can affect: an edited article or seed, that article; an
edited registry or a new version of the code, everything.

A file's content hash is reused while its size, modification time, change time and inode are
unchanged (as git's index does); the hash, not the time, decides whether a result still
holds. The change time and inode are there because anyone can set a modification time back
(``touch -r``) and no one can set those.

So that an unchanged corpus costs one ``lstat`` per file and not a read of every stored
result, articles are kept in 1,024 buckets by a hash of their name: each bucket stores a
digest of its articles' names and file stamps, and a digest of their result keys. A run reads
the rows of the buckets whose stamps moved and nothing else; when none moved it serves the
stored report. What the report is made of across articles (the actors used, every article's
problems and claim links) is kept up to date as one stored summary, so after an edit the
other articles' results are not decoded either. The ``lstat`` calls are most of what is left,
and most of their cost is the kernel's; on a large corpus a forked child process shares them
(as git's index preloading shares its ``lstat`` calls out between threads, which in Python
would take turns).

Nothing in the repository can make the cache lie, because the cache is not in the
repository: it lives in the user's cache folder (``$XDG_CACHE_HOME``, else ``~/.cache``), one
SQLite database per dataset root, named after a hash of the root's real path. ``build`` and
``check`` never use it. Every value is JSON, which cannot run code when read, and every row
carries a digest of its own content: a database that is truncated, damaged, edited without
its digests, of another format or written by other code is ignored and everything is checked
again (``Damaged``), and a fresh database replaces it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import tempfile
import threading
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from mmap import mmap
from pathlib import Path
from typing import Any
from zlib import crc32

from ._workers import forking

__all__ = [
    "BUCKETS",
    "Cache",
    "Damaged",
    "bucket",
    "cache_file",
    "code_fingerprint",
    "scan",
    "stamp",
]

_FORMAT = "chechnya-purges validate cache 3"
BUCKETS = 1024
# A file's stamp: size, modification time, change time, inode (-1 and zeros when absent).
Stamp = tuple[int, int, int, int]
ABSENT: Stamp = (-1, 0, 0, 0)
_NOTHING = (ABSENT, 0)
_lstat = os.lstat  # looked up once: stamp runs for every article and seed
# Below this many articles, stamping them all takes less than starting a process to help.
SPLIT_FROM = 2_000

_SCHEMA = """
CREATE TABLE meta(id INTEGER PRIMARY KEY, format TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE article(name TEXT PRIMARY KEY, bucket INTEGER NOT NULL, value TEXT NOT NULL,
                     seal TEXT NOT NULL);
CREATE INDEX article_bucket ON article(bucket);
CREATE TABLE bucket(id INTEGER PRIMARY KEY, stamps TEXT NOT NULL, keys TEXT NOT NULL,
                    seal TEXT NOT NULL);
CREATE TABLE state(name TEXT PRIMARY KEY, value TEXT NOT NULL, seal TEXT NOT NULL);
"""


class Damaged(Exception):
    """The cache does not read back as it was written: it is discarded, never believed."""


def code_fingerprint() -> str:
    """A hash of the package's own source and of the libraries that read and check with it
    (Python, PyYAML with or without libyaml, pydantic): any change invalidates every result.

    pydantic is identified by its version file rather than imported: importing it costs more
    than a whole ``validate`` run on an unchanged corpus."""
    import yaml

    digest = hashlib.sha256()
    libraries = (sys.version, yaml.__version__, yaml.__with_libyaml__, _pydantic_version())
    digest.update(repr(libraries).encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _pydantic_version() -> str:
    from importlib.util import find_spec

    spec = find_spec("pydantic")
    if spec is None or spec.origin is None:
        return "absent"
    try:
        return Path(spec.origin).with_name("version.py").read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return f"unreadable at {spec.origin}"


def stamp(path: str) -> tuple[Stamp, int]:
    """A file's stamp and mode (``ABSENT`` and 0 when there is nothing to lstat)."""
    try:
        status = _lstat(path)
    except (OSError, ValueError):
        return _NOTHING
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino), status.st_mode


def bucket(name: str) -> int:
    """The bucket an article is kept in, by its file name."""
    return crc32(name.encode()) % BUCKETS


def digest(names: list[str], stamps: array[int]) -> str:
    """A bucket's digest of its article names and their articles' and seeds' stamps."""
    body = "\0".join(names).encode() + stamps.tobytes()
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def marks(folder: str, seeds: str, names: list[str]) -> tuple[dict[str, Any], str]:
    """The stamps and modes of some articles and their seeds, and their bucket's digest."""
    found = {name: (stamp(f"{folder}/{name}"), stamp(f"{seeds}/{name[:-5]}.txt")) for name in names}
    stamps = array("q")
    for article, seed in found.values():
        stamps.extend(article[0] + seed[0])
    return found, digest(names, stamps)


@contextmanager
def _folder(path: str) -> Iterator[int]:
    """A folder opened for looking up names in it (-1, which no lookup gets past, if it
    cannot be opened: everything in it is then absent)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        yield -1
        return
    try:
        yield handle
    finally:
        os.close(handle)


def scan(
    folder: str, seeds: str, names: list[str], meanwhile: Callable[[], object] = lambda: None
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """The articles of each bucket, and each bucket's digest (as ``marks`` gives it);
    ``meanwhile`` is called once, before this process stamps anything.

    This is the one cost a run pays for every article whatever changed, and most of it is
    the kernel's. Past ``SPLIT_FROM`` articles a forked child process stamps buckets from the
    first on while this one stamps them from the last back, each marking a bucket in a shared
    map before stamping it and stopping at one the other has marked (threads would take
    turns instead: each ``lstat`` gives up Python's lock and must wait to take it back). So
    the two meet wherever their speeds put them, the busier process (on a loaded machine)
    doing less, or this one busy with ``meanwhile``; a bucket both mark at once is stamped
    twice, none is left out, and what the child does not answer for this process stamps
    itself."""
    members: dict[int, list[str]] = {}
    for name in names:
        number = crc32(name.encode()) % BUCKETS
        if number in members:
            members[number].append(name)
        else:
            members[number] = [name]
    numbers = list(members)
    digests: dict[int, str] = {}
    shared = len(names) >= SPLIT_FROM and _may_fork()
    with (
        _folder(folder) as articles_at,
        _folder(seeds) as seeds_at,
        mmap(-1, len(numbers) + 1) as marked,
    ):

        def stamped(number: int) -> str:
            return digest(members[number], _stamps(members[number], articles_at, seeds_at))

        def forward() -> str:
            done = []
            for index, number in enumerate(numbers):
                if marked[index]:
                    break
                marked[index] = 1
                done.append(f"{index} {stamped(number)}\n")
            return "".join(done)

        theirs = _beside(forward) if shared else _alone
        try:
            meanwhile()
            for index in reversed(range(len(numbers)) if shared else ()):
                if marked[index]:
                    break
                marked[index] = 1
                digests[numbers[index]] = stamped(numbers[index])
        finally:
            answer = theirs()
        for line in (answer or "").splitlines():
            at, value = line.split(" ")
            digests.setdefault(numbers[int(at)], value)
        for number in numbers:
            if number not in digests:
                digests[number] = stamped(number)
    return members, {number: digests[number] for number in numbers}


def _stamps(names: list[str], articles_at: int, seeds_at: int) -> array[int]:
    """The stamps of some articles and their seeds, looked up in their opened folders (a
    shorter path for the kernel to walk), in one loop with no call per file but the two
    ``lstat``."""
    found = array("q")
    lstat = os.lstat
    for name in names:
        for at, entry in ((articles_at, name), (seeds_at, name[:-5] + ".txt")):
            try:
                status = lstat(entry, dir_fd=at)
            except (OSError, ValueError):
                found.extend(ABSENT)
            else:
                found.extend(
                    (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
                )
    return found


def _alone() -> None:
    return None


def _may_fork() -> bool:
    """Whether a child process can share the work: a second core, and fork, which is safe
    only while this process runs a single thread."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return cores > 1 and hasattr(os, "fork") and threading.active_count() == 1


def _beside(work: Callable[[], str]) -> Callable[[], str | None]:
    """``work`` begun in a forked child process; call the result to wait for the child and
    take the text it returned: None when it could not give it. The child touches nothing but
    the files it stamps, the shared map and the pipe it answers through, and leaves by
    ``os._exit``: nothing of this process (buffered output, the open database, exit
    handlers) is written or closed twice."""
    try:
        reading, writing = os.pipe()
    except OSError:
        return _alone
    try:
        with forking():  # Ctrl-C held until the child has left, so it never sees it
            pid = os.fork()
            if pid == 0:
                _answer(work, reading, writing)
    except OSError:
        os.close(reading)
        os.close(writing)
        return _alone
    os.close(writing)

    def take() -> str | None:
        try:
            with os.fdopen(reading, "rb") as pipe:
                text = pipe.read().decode()
        finally:
            _, status = os.waitpid(pid, 0)
        return text if status == 0 else None

    return take


def _answer(work: Callable[[], str], reading: int, writing: int) -> None:
    """The forked child's whole life: do the work, write what it returns, leave."""
    status = 1
    try:
        os.close(reading)
        with os.fdopen(writing, "wb") as pipe:
            pipe.write(work().encode())
        status = 0
    finally:
        os._exit(status)


def content(path: str, limit: int, mark: tuple[Stamp, int]) -> str:
    """The sha256 of a regular file ("" when absent), as stamped by ``mark``. A link, a special
    file or a file over ``limit`` is never opened: it gets a marker naming what it is, so its
    result is keyed apart from any real content."""
    (size, *_), mode = mark
    if size < 0:
        return ""
    if not stat.S_ISREG(mode):
        return f"special:{stat.S_IFMT(mode)}"
    if size > limit:
        return f"large:{size}"
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            return hashlib.sha256(handle.read(limit + 1)).hexdigest()
    except OSError:
        return "unreadable"


def cache_file(root: Path) -> Path:
    """Where the cache of a dataset root lives: outside it, in the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    folder = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    name = hashlib.sha256(os.path.realpath(root).encode()).hexdigest()[:32]
    return folder / "chechnya-purges" / f"validate-{name}.sqlite"


def _seal(table: str, name: str | int, value: str) -> str:
    return hashlib.blake2b(f"{table}\0{name}\0{value}".encode(), digest_size=16).hexdigest()


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _load(table: str, name: str | int, value: Any, seal: Any) -> Any:
    """A stored value, after checking it is what was written under that name."""
    if not isinstance(value, str) or seal != _seal(table, name, value):
        raise Damaged(f"{table} {name!r} does not match its digest")
    try:
        return json.loads(value)
    except ValueError as error:
        raise Damaged(str(error)) from error


@dataclass
class Cache:
    """One dataset root's database, read only where a run needs it; writes wait for
    ``save``, which applies them in one transaction (or writes a fresh database)."""

    fingerprint: str
    path: Path | None = None
    connection: sqlite3.Connection | None = None
    articles: dict[str, tuple[int, str]] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    buckets: dict[int, tuple[str, str] | None] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path) -> Cache:
        """The cache of a dataset root: empty if absent, unreadable, damaged or stale."""
        fingerprint = code_fingerprint()
        path = cache_file(root)
        cache = cls(fingerprint, path)
        try:
            status = os.lstat(path)
        except OSError:
            return cache
        if not stat.S_ISREG(status.st_mode):
            return cache  # a link or folder in its place: replaced when saved, never followed
        try:
            # One transaction from the first read to the last write: another validate run
            # cannot write in between, so what this run writes is built on what it read.
            connection = sqlite3.connect(
                f"{path.as_uri()}?mode=rw", uri=True, timeout=2, isolation_level=None
            )
        except sqlite3.Error:
            return cache
        try:
            connection.execute("BEGIN")
            row = connection.execute("SELECT format, fingerprint FROM meta WHERE id = 0").fetchone()
        except sqlite3.Error:
            row = None
        if row != (_FORMAT, fingerprint):
            connection.close()
            return cache
        cache.connection = connection
        return cache

    def discard(self) -> None:
        """Forget everything read or pending: the database is replaced when saved."""
        if self.connection is not None:
            self.connection.close()
        self.connection = None
        self.articles.clear()
        self.removed.clear()
        self.buckets.clear()
        self.states.clear()

    def _rows(self, query: str, *args: Any) -> list[Any]:
        if self.connection is None:
            return []
        try:
            return self.connection.execute(query, args).fetchall()
        except sqlite3.Error as error:
            raise Damaged(str(error)) from error

    def state(self, name: str) -> Any:
        """A stored value of the whole corpus (None when there is none)."""
        rows = self._rows("SELECT value, seal FROM state WHERE name = ?", name)
        return _load("state", name, *rows[0]) if rows else None

    def stored_buckets(self) -> dict[int, tuple[str, str]]:
        """Every bucket's stored digests: of its names and stamps, and of its result keys."""
        found = {}
        for number, stamps, keys, seal in self._rows("SELECT id, stamps, keys, seal FROM bucket"):
            if not (isinstance(stamps, str) and isinstance(keys, str)) or seal != _seal(
                "bucket", number, f"{stamps} {keys}"
            ):
                raise Damaged(f"bucket {number!r} does not match its digest")
            found[number] = (stamps, keys)
        return found

    def stored_articles(self, buckets: list[int] | None) -> dict[str, Any]:
        """The stored rows of the articles in ``buckets`` (None: all of them)."""
        if buckets is None:
            rows = self._rows("SELECT name, value, seal FROM article")
        else:
            rows = []
            for start in range(0, len(buckets), 500):
                part = buckets[start : start + 500]
                marks = ",".join("?" * len(part))
                query = f"SELECT name, value, seal FROM article WHERE bucket IN ({marks})"
                rows += self._rows(query, *part)
        return {name: _load("article", name, value, seal) for name, value, seal in rows}

    def put(self, name: str, bucket: int, value: Any) -> None:
        """Store an article's row when saved (as text at once: a cold run holds every row)."""
        self.articles[name] = (bucket, _dump(value))

    def save(self) -> None:
        """Write what this run changed: in one transaction into the database it read, or
        into a fresh database that replaces whatever was there. Without a writable cache
        folder (or while another run holds the database) validate works all the same."""
        connection, self.connection = self.connection, None
        if self.path is None or not (self.articles or self.removed or self.buckets or self.states):
            if connection is not None:
                connection.close()
            return
        try:
            if connection is not None:
                try:
                    self._write(connection)
                    connection.execute("COMMIT")
                finally:
                    connection.close()  # rolls back what was not committed
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            os.close(handle)
            try:
                connection = sqlite3.connect(name)
                try:
                    connection.executescript(_SCHEMA)
                    with connection:
                        connection.execute(
                            "INSERT INTO meta VALUES (0, ?, ?)", (_FORMAT, self.fingerprint)
                        )
                        self._write(connection)
                finally:
                    connection.close()
                os.replace(name, self.path)
            except BaseException:
                os.unlink(name)
                raise
        except (OSError, sqlite3.Error):
            return

    def _write(self, connection: sqlite3.Connection) -> None:
        connection.executemany(
            "DELETE FROM article WHERE name = ?", [(name,) for name in sorted(self.removed)]
        )
        connection.executemany(
            "INSERT OR REPLACE INTO article VALUES (?, ?, ?, ?)",
            (
                (name, number, text, _seal("article", name, text))
                for name, (number, text) in self.articles.items()
            ),
        )
        for number, value in self.buckets.items():
            if value is None:  # left empty
                connection.execute("DELETE FROM bucket WHERE id = ?", (number,))
            else:
                seal = _seal("bucket", number, " ".join(value))
                connection.execute(
                    "INSERT OR REPLACE INTO bucket VALUES (?, ?, ?, ?)", (number, *value, seal)
                )
        connection.executemany(
            "INSERT OR REPLACE INTO state VALUES (?, ?, ?)",
            (
                (name, text, _seal("state", name, text))
                for name, text in ((name, _dump(value)) for name, value in self.states.items())
            ),
        )
