"""Replacing the outputs all at once, whatever happens: a kill, Ctrl-C, a full disk.

The outputs are six entries of the root (three folders, three files), which no single rename
can swap. A journal makes the swap atomic all the same:

1. the new outputs are written and flushed to a staging folder ``.build-XXXX`` in the root;
2. the journal ``.build-journal`` naming that folder is written (to a temporary name,
   flushed, renamed): from this instant the new set is committed;
3. each output is moved out to ``.build-XXXX/.retired/`` and the new one moved in;
4. the journal is removed, then the staging folder.

Every command first calls :func:`recover`, which finds a journal left by a killed build and
finishes steps 3 and 4 (rolls forward): so every reader sees the old set (no journal yet) or
the new one. Builds hold an exclusive lock on the root from start to end, so two builds
never interleave, and the next build removes staging folders of builds killed before step 2.
This module imports nothing of the pipeline, so that every command can recover cheaply.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "JOURNAL",
    "OUTPUT_ROOTS",
    "STAGING_PREFIX",
    "locked",
    "prepare",
    "recover",
    "staging",
    "swap_in",
    "write_atomically",
]

# What build owns: these are replaced whole, and check reports anything else found in them.
OUTPUT_ROOTS = ("build", "schema", "datapackage.json", "CITATION.cff", "docs", "croissant.json")
STAGING_PREFIX = ".build-"
JOURNAL = ".build-journal"
_RETIRED = ".retired"
_STAGED_NAME = re.compile(r"^\.build-[A-Za-z0-9_]+$")


def _write_synced(path: Path, content: bytes) -> None:
    """Write and flush to the disk: a journal names a staged set only once it is durable."""
    with path.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomically(path: Path, content: bytes) -> None:
    """Replace a file by new content in one rename: readers see the old file or the whole
    new one, never a part (a release archive, a snapshot, the journal)."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the renames and new entries of a folder durable (a no-op where folders cannot
    be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def staging(root: Path, files: Mapping[str, bytes] | None = None) -> Iterator[Path]:
    """A fresh folder beside the real outputs, for the new ones: ``files`` written into it,
    or, without them, for the caller to write.

    The folder is removed afterwards unless a swap committed to it (then the swap, or the
    next command's recovery, owns it). A write that fails (a full disk, a read-only root)
    raises ``OSError`` with nothing of the previous outputs touched.
    """
    folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    files = files or {}
    try:
        for relative, content in files.items():
            target = folder / relative
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                _write_synced(target, content)
            except OSError as exc:  # a failed write names no file: say which one
                raise OSError(exc.errno, exc.strerror, str(target)) from exc
        yield folder
    finally:
        if _journaled(root) != folder.name:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def locked(root: Path, wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the root's build lock (``flock`` on the root folder itself, so no lock file is
    left behind and the kernel frees it when the holder dies, however it dies).

    When another process holds it, ``wait`` is called once, then this blocks until it is
    free. Where ``fcntl`` does not exist (Windows), builds are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    descriptor = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if wait is not None:
                wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _journaled(root: Path) -> str | None:
    """The staging folder the journal commits to, if there is a journal naming a real one."""
    try:
        with (root / JOURNAL).open("rb") as handle:
            record = json.loads(handle.read(4096))  # a journal is a few dozen bytes
    except (OSError, ValueError):
        return None
    name = record.get("staged") if isinstance(record, dict) else None
    if not isinstance(name, str) or not _STAGED_NAME.match(name):
        return None
    return name if _staged_tree(root / name) else None


def _staged_tree(staged: Path) -> bool:
    """Whether a staging folder is what a build writes: a real folder whose outputs and
    retired outputs are real entries. A journal can be committed by a pull request; a link
    in the folder it names would make the swap delete or move things outside the root."""
    try:
        if not stat.S_ISDIR(os.lstat(staged).st_mode):
            return False
        retired = staged / _RETIRED
        if os.path.lexists(retired) and not stat.S_ISDIR(os.lstat(retired).st_mode):
            return False
        for folder in (staged, retired):
            for name in OUTPUT_ROOTS:
                entry = folder / name
                if os.path.lexists(entry) and stat.S_ISLNK(os.lstat(entry).st_mode):
                    return False
    except OSError:
        return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _roll_forward(root: Path, staged: Path) -> None:
    """Move each staged output in, the previous one out first. Safe to repeat from any
    point: an output still in the staging folder has not been moved in yet."""
    retired = staged / _RETIRED
    retired.mkdir(exist_ok=True)
    for name in OUTPUT_ROOTS:
        new, current = staged / name, root / name
        if not os.path.lexists(new):
            continue
        if os.path.lexists(current):
            if os.path.lexists(retired / name):
                _remove(retired / name)
            os.replace(current, retired / name)
        os.replace(new, current)
    _sync_folder(root)


def _roll_back(root: Path, staged: Path) -> None:
    """Undo a swap this process began and could not finish (the disk refused a rename)."""
    retired = staged / _RETIRED
    for name in reversed(OUTPUT_ROOTS):
        current, old = root / name, retired / name
        if os.path.lexists(old):
            if os.path.lexists(current) and not os.path.lexists(staged / name):
                os.replace(current, staged / name)
            os.replace(old, current)
    _sync_folder(root)


def _finish(root: Path, staged: Path) -> None:
    (root / JOURNAL).unlink(missing_ok=True)
    _sync_folder(root)
    shutil.rmtree(staged, ignore_errors=True)


def _complete(root: Path) -> bool:
    """With the lock held: finish the swap a journal commits to, if any."""
    name = _journaled(root)
    if name is not None:
        _roll_forward(root, root / name)
        _finish(root, root / name)
        return True
    # A journal naming nothing usable commits nothing: the outputs were never touched.
    (root / JOURNAL).unlink(missing_ok=True)
    return False


def recover(root: Path) -> bool:
    """Finish a swap that a killed build committed to; whether there was one to finish.

    Every command calls this before reading the outputs, so that none of them ever sees a
    half-swapped set. Without a journal it costs one ``stat``. Raises ``OSError`` when the
    root cannot be written.
    """
    if not _has_journal(root):
        return False
    with locked(root):
        return _complete(root)


def _has_journal(root: Path) -> bool:
    """Whether a journal file is there (anything else by that name is not ours: ignored)."""
    try:
        return stat.S_ISREG((root / JOURNAL).lstat().st_mode)
    except OSError:
        return False


def prepare(root: Path) -> None:
    """With the build lock held: finish an interrupted swap, then delete the staging
    folders of builds killed before they committed (no other build is writing one)."""
    if _has_journal(root):
        _complete(root)
    for leftover in root.glob(f".{JOURNAL}.*.tmp"):
        leftover.unlink(missing_ok=True)
    for entry in sorted(root.iterdir()):
        if _STAGED_NAME.match(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C, SIGTERM and SIGHUP until the block ends, then deliver them: an
    interrupt between two renames would otherwise leave the swap to the next command."""
    names = ("SIGINT", "SIGTERM", "SIGHUP")
    numbers = [getattr(signal, n) for n in names if hasattr(signal, n)]
    received: list[int] = []
    try:
        previous = {n: signal.signal(n, lambda number, _: received.append(number)) for n in numbers}
    except ValueError:  # not the main thread: signals go to the main thread anyway
        yield
        return
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(received):
            signal.raise_signal(number)


def swap_in(root: Path, staged: Path) -> None:
    """Replace the previous outputs by the staged ones, all or none (see the journal above).

    Raises ``OSError`` when the disk refuses (a read-only output, a full disk): the outputs
    are then as they were before the call.
    """
    # The files were flushed as they were written; their folders' entries are made durable
    # here, before the journal names the set as complete.
    for folder, _, _ in sorted(os.walk(staged), reverse=True):
        _sync_folder(Path(folder))
    with _signals_deferred():
        write_atomically(root / JOURNAL, (json.dumps({"staged": staged.name}) + "\n").encode())
        try:
            _roll_forward(root, staged)
        except OSError:
            _roll_back(root, staged)  # should this fail too, the journal stays: roll forward
            (root / JOURNAL).unlink(missing_ok=True)
            raise
        _finish(root, staged)
