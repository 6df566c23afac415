"""Stage 6, conform: the written package passes the standard validators, and the committed
outputs are exactly what the code and data would write.

``frictionless`` is imported here and only when called: it takes a second to import, and
``validate`` never needs it.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, NamedTuple

from . import _keys
from ._workers import WorkLost, follow_parent, forking
from .diagnostics import Diagnostic
from .outputs import BLOCK, opened
from .reader import unsafe_path
from .tables import JSON_PATH
from .write import OUTPUT_ROOTS

__all__ = ["conform", "drift"]

_FIX = "run `chechnya-purges build` and commit the result"
# Rebuilding would not help an output whose line ends a checkout converts: the next checkout
# would convert them again.
_CONVERTED = (
    "the line ends were converted (git's core.autocrlf, an editor): check the outputs out "
    "with LF line ends (`git config core.autocrlf input`, then check out again)"
)


# Past this much work (bytes of tables, and of what their foreign keys read), frictionless
# checks the tables in worker processes, on every core; below it, starting the workers costs
# more than they save.
PARALLEL_BYTES = 16 * 2**20
_Found = list[tuple[str, int, int, str]]


def _nothing() -> None:
    return None


class _Started:
    """frictionless's checks under way: their problems, or their end."""

    def __init__(self, result: Callable[[], list[Diagnostic]], cancel: Callable[[], None]):
        self.result, self.cancel = result, cancel


def _frictionless(folder: Path, scratch: Path | None = None) -> _Started:
    """frictionless's checks of every row of every table, and of the descriptor: started
    here, so that other checks can run meanwhile.

    frictionless validates a package's resources one after another, and will not spread
    them over processes when they have foreign keys, as ours do. Its package validation is
    the descriptor's own check, then each resource's validation within the package (which
    resolves the foreign keys through the whole package); doing exactly that with the
    resources shared out between worker processes gives the same checks on every core.
    A large package's keys are compared on disk rather than in frictionless's memory
    (``_keys``), once every table has been read, in a folder made in ``scratch`` (build's
    staging folder, which the next build removes if this one is killed; check's own folder,
    the one thing a killed check leaves) or else in the system's temporary folder.
    """
    import frictionless  # noqa: F401  imported once, here: the workers are forks of this process

    descriptor = folder / "datapackage.json"
    weights = _weights(descriptor)
    if sum(weights.values()) < PARALLEL_BYTES:
        return _Started(lambda: _problems(_validate(str(descriptor), None)[0], weights), _nothing)
    keys = tempfile.TemporaryDirectory(prefix=".keys-", dir=scratch)
    shares = _shares(weights, min(os.cpu_count() or 1, 8, len(weights)))
    if len(shares) < 2:

        def alone() -> list[Diagnostic]:
            with keys:
                return _keyed([_validate(str(descriptor), shares[0], keys.name)], weights, map)

        return _Started(alone, keys.cleanup)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Not multiprocessing's Pool: it starts a new worker in place of one killed outright
    # (the out-of-memory killer) and waits forever for the share the killed one held, and
    # its terminate() can wait forever on a lock the killed one held.
    others = set(multiprocessing.active_children())
    pool = ProcessPoolExecutor(
        len(shares), multiprocessing.get_context("fork"), initializer=follow_parent
    )
    with forking():  # the workers start at the first task
        started = [pool.submit(_validate, str(descriptor), s, keys.name) for s in shares]
    workers = [p for p in multiprocessing.active_children() if p not in others]

    def cancel() -> None:
        for worker in workers:  # the shares under way are ended, not waited for
            worker.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        keys.cleanup()

    def result() -> list[Diagnostic]:
        try:
            validated = [share.result() for share in started]
            found = _keyed(validated, weights, functools.partial(pool.map, chunksize=1))
        except BrokenProcessPool:  # a worker killed: the others are ended with it
            cancel()
            raise WorkLost(
                "a worker process checking the package with frictionless ended"
            ) from None
        except BaseException:
            cancel()
            raise
        pool.shutdown()
        keys.cleanup()
        return found

    return _Started(result, cancel)


_Map = Callable[[Callable[[Any], Any], list[Any]], Iterable[Any]]


def _keyed(validated: list[_Validated], weights: dict[str, float], each: _Map) -> list[Diagnostic]:
    """The workers' problems, and those of the keys they kept: the primary keys' as the
    workers found them, and the foreign keys', checked now that every table is read, each
    on its own (``each`` maps over them: in the workers, or here). Each table's problems are
    listed as frictionless lists them: its key problems after the other problems of their
    row, the first thousand of them all, and none of the checks made at a table's end
    (bytes, hash) when it stops there."""
    found = [pair for share, _ in validated for pair in share]
    kept = {n: table for _, k in validated if k is not None for n, table in k.tables.items()}
    plan = next((k.plan for _, k in validated if k is not None), None)
    if plan is None:
        return _problems(found, weights)
    problems = [problem for table in kept.values() for problem in table.problems]
    check = functools.partial(_foreign, plan, kept)
    for more in each(check, _keys.references(plan, kept)):
        problems += more
    by_table: dict[str, list[_keys.Problem]] = {}
    for problem in sorted(problems, key=lambda problem: problem.row):
        by_table.setdefault(problem.resource, []).append(problem)
    own = dict(found)
    listed: list[tuple[str, _Found]] = []
    for name, reported in found:
        if name not in kept:
            listed.append((name, reported))
            continue
        unread = [
            fk.resource
            for fk in plan.foreign[name]
            if fk.resource not in kept or kept[fk.resource].broken
        ]
        if unread:  # frictionless cannot read what the key refers to, and says only that
            failed = [p for p in own.get(unread[0], []) if not p[3].startswith("frictionless: ")]
            if unread[0] in kept:  # read part way: what stopped it, not its rows' problems
                failed = [p for p in failed if p[3].startswith(_UNREADABLE)]
            listed.append((name, [(kept[name].place, *p[1:]) for p in failed]))
            continue
        listed.append((name, _limited(reported, by_table.get(name, []), kept[name].place)))
    return _problems(listed, weights)


# The problems that stop frictionless reading a table (its errors.ResourceError).
_UNREADABLE = tuple(
    f"frictionless {t}-error: "
    for t in ("resource", "source", "scheme", "format", "encoding", "compression")
)
# The checks frictionless makes once a table is read, which it skips when it stops early.
_AT_END = tuple(f"frictionless {t}-count: " for t in ("hash", "byte", "field", "row"))


def _limited(reported: _Found, keys: list[_keys.Problem], place: str) -> _Found:
    """A table's problems and its keys', in frictionless's order, up to its limit."""
    warnings = [p for p in reported if p[3].startswith("frictionless: ")]
    at_end = [p for p in reported if p[3].startswith(_AT_END)]
    merged: _Found = []
    waiting = iter(keys)
    key = next(waiting, None)
    for problem in reported:
        if problem in warnings or problem in at_end:
            continue
        while key is not None and problem[1] > 1 and key.row < problem[1]:
            merged.append((place, key.row, 1, key.message))
            key = next(waiting, None)
        merged.append(problem)
    while key is not None:
        merged.append((place, key.row, 1, key.message))
        key = next(waiting, None)
    if len(merged) < _keys.LIMIT:
        return warnings + merged + at_end
    stopped = (place, 1, 1, f"frictionless: reached error limit: {_keys.LIMIT}")
    return [*warnings, *([] if stopped in warnings else [stopped]), *merged[: _keys.LIMIT]]


def _foreign(
    plan: _keys.Plan, kept: dict[str, _keys.Kept], reference: tuple[str, int]
) -> list[_keys.Problem]:
    try:
        return _keys.foreign(plan, kept, reference)
    except sqlite3.Error as exc:
        raise _unkept(exc, kept[reference[0]].path) from None


def _problems(found: list[tuple[str, _Found]], weights: dict[str, float]) -> list[Diagnostic]:
    """The problems found, the descriptor's first, then by resource in the descriptor's
    order, each once (every worker checks the descriptor too)."""
    order = {name: number for number, name in enumerate(["", *weights])}
    problems: list[Diagnostic] = []
    for _, reported in sorted(found, key=lambda pair: order.get(pair[0], len(order))):
        for place, line, col, message in reported:
            problem = Diagnostic(place, line, col, "nonconformant", message)
            if problem not in problems:
                problems.append(problem)
    return problems


def _weights(descriptor: Path) -> dict[str, float]:
    """What validating each resource costs, roughly, by name in the descriptor's order: a
    table's bytes and a quarter of those its foreign keys read; a file's bytes, hashed only,
    count for little. Empty when the descriptor is not what build writes."""
    try:
        resources = json.loads(descriptor.read_bytes())["resources"]
        sizes = {str(r["name"]): int(r.get("bytes", 0)) for r in resources}
        weights: dict[str, float] = {}
        for resource in resources:
            name = str(resource["name"])
            if resource.get("type") != "table":
                weights[name] = sizes[name] / 20
                continue
            keys = resource.get("schema", {}).get("foreignKeys", [])
            read = {str(key["reference"].get("resource", "")) for key in keys} - {name, ""}
            weights[name] = sizes[name] + sum(sizes.get(other, 0) for other in read) / 4
        return weights
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}  # frictionless itself says what is wrong with it


def _shares(weights: dict[str, float], workers: int) -> list[list[str]]:
    """The resources shared out so that the workers finish together: the costliest first,
    each to the least loaded worker; each share in the descriptor's order."""
    loads = [0.0] * workers
    shares: list[list[str]] = [[] for _ in range(workers)]
    for name in sorted(weights, key=lambda n: -weights[n]):
        least = loads.index(min(loads))
        loads[least] += weights[name]
        shares[least].append(name)
    order = list(weights)
    return [sorted(share, key=order.index) for share in shares if share]


class _Kept(NamedTuple):
    """A worker's tables' keys, read, and what to check of them."""

    plan: _keys.Plan
    tables: dict[str, _keys.Kept]


_Validated = tuple[list[tuple[str, _Found]], _Kept | None]


def _validate(descriptor: str, names: list[str] | None, keys: str | None = None) -> _Validated:
    """frictionless's problems with the package (``names`` None), or with the descriptor
    and the named resources as the package's validation finds them, by resource ("" for
    the descriptor's own); plain values, which travel back from a worker. With ``keys``, a
    folder, the tables' keys are kept in a database there for ``_keys`` to compare, in
    place of frictionless's own key checks (unless some key is of a kind it compares
    differently)."""
    from frictionless import FrictionlessException, Package, Report

    package = Package(descriptor)
    if names is None:
        return [("", _found(package.validate()))], None
    try:
        package.to_descriptor(validate=True)
    except FrictionlessException as exc:
        return [("", _found(Report.from_validation(time=0, errors=exc.to_errors())))], None
    plan = _keys.plan(package) if keys is not None else None
    if plan is None or keys is None:
        return [(name, _found(package.get_resource(name).validate())) for name in names], None
    _keys.unkeyed(package)
    kept = _Kept(plan, {})
    found = []
    for name in names:
        resource = package.get_resource(name)
        if name not in plan.columns:
            found.append((name, _found(resource.validate())))
            continue
        try:
            table = _keys.Table(plan, name, keys)
            report = resource.validate(on_row=table, limit_errors=_keys.LIMIT)
            partial = any(w.startswith("reached error limit") for w in report.tasks[0].warnings)
            read = table.close(resource, partial)
        except sqlite3.Error as exc:  # a full or unwritable temporary folder, say
            raise _unkept(exc, keys) from None
        found.append((name, _found(report)))
        if read is not None:
            kept.tables[name] = read._replace(broken=_broken(report))
    return found, kept


def _broken(report: Any) -> bool:
    """Whether frictionless stopped reading a table part way: an error of the resource
    itself (its encoding, its format), other than its being empty, which reading it again
    for a foreign key's lookup would meet too."""
    from frictionless import errors

    return any(
        isinstance(error, errors.ResourceError) and error.note != "the source is empty"
        for error in report.tasks[0].errors
    )


def _unkept(exc: sqlite3.Error, path: str) -> OSError:
    return OSError(0, f"cannot keep the tables' keys on disk ({exc})", path)


def _found(report: Any) -> _Found:
    found: _Found = [
        ("datapackage.json", 1, 1, f"frictionless: {warning}") for warning in report.warnings
    ]
    for task in report.tasks:
        for warning in task.warnings:
            found.append((task.place, 1, 1, f"frictionless: {warning}"))
        for error in task.errors:
            found.append(
                (
                    task.place if task.place else "datapackage.json",
                    getattr(error, "row_number", None) or 1,
                    getattr(error, "field_number", None) or 1,
                    f"frictionless {error.type}: {error.note}",
                )
            )
    if not report.valid and not found:
        found.append(("datapackage.json", 1, 1, "frictionless reports the package invalid"))
    return found


_LISTS = ("actors", "claims", "articles")


class _Items:
    """The items of one of the nested JSON's lists, each read when asked for: by where its
    line starts, in the layout build writes; from memory, for a file laid out otherwise."""

    def __init__(self, path: Path, starts: list[int], held: list[str] | None = None) -> None:
        self.path, self.starts, self.held = path, starts, held

    def __len__(self) -> int:
        return len(self.held if self.held is not None else self.starts)

    def each(self, chosen: Iterable[int]) -> Iterator[tuple[int, str]]:
        """The chosen items, by index, the file opened once."""
        if self.held is not None:
            yield from ((index, self.held[index]) for index in chosen)
            return
        with self.path.open("rb") as handle:
            for index in chosen:
                handle.seek(self.starts[index])
                yield index, handle.readline().decode("utf-8").rstrip().rstrip(",")


def _records(path: Path) -> tuple[dict[str, Any], dict[str, _Items]]:
    """The nested JSON as an envelope (its lists empty) and the items of its lists (actors,
    claims, articles).

    build writes one item per line, so a file of any size is checked one item at a time,
    and only where each line starts is kept; a file whose layout differs in any way (edited
    by hand: a key added, two items on a line, a comma missing) is parsed whole instead, so
    that it is judged as the whole document would be.
    """
    try:
        return _laid_out(path)
    except (ValueError, _Unlaid):
        return _whole(path)


def _whole(path: Path) -> tuple[dict[str, Any], dict[str, _Items]]:
    whole = json.loads(path.read_text(encoding="utf-8"))
    items: dict[str, _Items] = {}
    if isinstance(whole, dict):
        for key in _LISTS:
            if isinstance(whole.get(key), list):
                items[key] = _Items(path, [], [json.dumps(item) for item in whole[key]])
                whole[key] = []
    return whole, items


class _Unlaid(Exception):
    """The file is not in build's layout."""


def _laid_out(path: Path) -> tuple[dict[str, Any], dict[str, _Items]]:
    """The envelope and items of a file in build's layout: the name and version on a line
    each, then each list opened on a line of its own, one item a line, each but the last
    followed by a comma, then the closing brace."""
    envelope: dict[str, Any] = {}
    items: dict[str, _Items] = {}
    # Read a block at a time: a line (an article) is longer than the default 8 KiB buffer,
    # which took several reads for each and five times the CPU for the whole file.
    with path.open("rb", buffering=BLOCK) as handle:
        head = [handle.readline(), handle.readline()]
        if not (head[0].startswith(b'{"name": ') and head[1].startswith(b'"version": ')):
            raise _Unlaid
        for entry in (head[0][:-2] + b"}", b"{" + head[1][:-2] + b"}"):
            parsed = json.loads(entry)
            if not entry.endswith(b",}") and isinstance(parsed, dict) and len(parsed) == 1:
                envelope |= parsed
            else:
                raise _Unlaid
        if not (head[0].endswith(b",\n") and head[1].endswith(b",\n")):
            raise _Unlaid
        lines = _numbered(handle, len(head[0]) + len(head[1]))
        for _, line in lines:
            key = line[1 : line.find(b'"', 1)].decode() if line.startswith(b'"') else ""
            if key not in _LISTS or key in items:
                raise _Unlaid
            opened = f'"{key}": ['.encode()
            if line.startswith(opened + b"]"):
                items[key], closing = _Items(path, []), line[len(opened) :]
            elif line == opened + b"\n":
                starts, closing = _until_close(lines)
                items[key] = _Items(path, starts)
            else:
                raise _Unlaid
            envelope[key] = []
            if closing == b"],\n":
                continue
            if closing == b"]\n":
                closing = b"]" + next(lines, (0, b""))[1]
            if closing not in (b"]}", b"]}\n") or next(lines, None) is not None:
                raise _Unlaid
            return envelope, items
    raise _Unlaid


def _numbered(handle: IO[bytes], at: int) -> Iterator[tuple[int, bytes]]:
    """A file's lines from here on, with where each starts."""
    for line in handle:
        yield at, line
        at += len(line)


def _until_close(lines: Iterator[tuple[int, bytes]]) -> tuple[list[int], bytes]:
    """Where each line of a list starts, up to its closing bracket, and the line that
    closes it; each item but the last followed by a comma."""
    starts: list[int] = []
    comma = True
    for start, line in lines:
        if line.startswith(b"]"):
            if not starts or comma:
                raise _Unlaid
            return starts, line
        if not comma or not line.startswith(b"{"):
            raise _Unlaid
        comma = line.endswith(b",\n")
        starts.append(start)
    raise _Unlaid


def _against(
    schema: dict[str, Any], envelope: dict[str, Any], items: dict[str, _Items], sample: int | None
) -> list[tuple[tuple[Any, ...], Any]]:
    """The JSON Schema's errors in the envelope and in each item (or the sample of articles),
    each with the path to where it was found."""
    import jsonschema

    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    whole = jsonschema.Draft202012Validator(schema, format_checker=checker)
    found: list[tuple[tuple[Any, ...], Any]] = [
        ((), error) for error in whole.iter_errors(envelope)
    ]
    for key, listed in items.items():
        # Each list's items one at a time, against the schema of an item: what the whole
        # schema checks of them, without holding them all.
        item_schema = schema.get("properties", {}).get(key, {}).get("items", {})
        one = jsonschema.Draft202012Validator(item_schema, format_checker=checker)
        chosen: list[int] | range = range(len(listed))
        if key == "articles" and sample is not None and len(listed) > sample:
            step = len(listed) / sample
            chosen = sorted({int(i * step) for i in range(sample)} | {len(listed) - 1})
        for index, item in listed.each(chosen):
            found += [((key, index), e) for e in one.iter_errors(json.loads(item))]
    return found


def _json_schema(folder: Path, sample: int | None) -> list[Diagnostic]:
    import jsonschema

    problems = []
    schemas: dict[str, Any] = {}
    for path in sorted((folder / "schema").glob("*.schema.json")):
        relative = f"schema/{path.name}"
        schemas[relative] = json.loads(path.read_text(encoding="utf-8"))
        try:
            jsonschema.Draft202012Validator.check_schema(schemas[relative])
        except jsonschema.SchemaError as exc:
            problems.append(
                Diagnostic(
                    relative, 1, 1, "nonconformant", f"not a valid JSON Schema: {exc.message}"
                )
            )
    schema = schemas.get("schema/dataset.schema.json")
    if schema is None:
        return [
            *problems,
            Diagnostic("schema/dataset.schema.json", 1, 1, "nonconformant", "missing", _FIX),
        ]
    path = folder / JSON_PATH
    try:
        try:
            found = _against(schema, *_records(path), sample)
        except ValueError:  # a line of a list not one item: the whole document decides
            found = _against(schema, *_whole(path), sample)
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        message = f"not valid JSON: {getattr(exc, 'msg', exc)}"
        return [*problems, Diagnostic(JSON_PATH, line, col, "nonconformant", message, _FIX)]
    for prefix, error in found:
        where = "/".join(str(p) for p in [*prefix, *error.absolute_path])
        problems.append(
            Diagnostic(JSON_PATH, 1, 1, "nonconformant", f"at /{where}: {error.message}")
        )
    return problems


def conform(
    folder: Path,
    *,
    frictionless: bool = True,
    sample: int | None = None,
    scratch: Path | None = None,
) -> list[Diagnostic]:
    """Problems the standard validators find in a written package (none, when all is well).

    frictionless checks every row of every table. jsonschema checks the nested JSON: every
    record, or with ``sample`` the envelope, every actor and that many articles spread evenly
    over the file plus the last. The JSON is written by one function from the rows
    frictionless checks in full, so a sample guards that function; the pure-Python
    validator costs more than the rest of the build at thousands of articles. ``check``
    validates every record. ``frictionless=False`` leaves out the frictionless pass, for
    measuring the build alone. ``scratch`` is where the pass may keep temporary files.
    """
    missing = [name for name in OUTPUT_ROOTS if not (folder / name).exists()]
    if missing:
        return [Diagnostic(name, 1, 1, "nonconformant", "missing", _FIX) for name in missing]
    # frictionless runs in worker processes while jsonschema runs here.
    started = _frictionless(folder, scratch) if frictionless else _Started(list, _nothing)
    try:
        problems = _json_schema(folder, sample)
    except BaseException:  # Ctrl-C, say: the workers are ended, not waited for
        started.cancel()
        raise
    return problems + started.result()


def _common_length(old: bytes, new: bytes) -> int:
    """How many bytes two blocks share from their start (a binary search of slices: each
    comparison runs in C, and a block is a megabyte)."""
    low, high = 0, min(len(old), len(new))
    while low < high:
        middle = (low + high + 1) // 2
        if old[:middle] == new[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


class _Unreadable(Exception):
    """The first of two streams compared failed to read: a committed output on a failing
    disk, which is the dataset's problem to name, not the temporary folder's."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or type(error).__name__)


class _Difference(NamedTuple):
    line: int
    crlf: bool  # ``old`` has a carriage return where ``new`` ends the line


def _first_difference(old: IO[bytes], new: IO[bytes]) -> _Difference | None:
    """The line of the first byte at which two streams differ, and whether ``old`` has a
    carriage return there where ``new`` ends the line; None if they are the same.

    A newline belongs to the line it ends, and where one stream ends first the difference is
    at the line it ends on: a file lacking only its final newline differs at its last line,
    one with lines added after the other's end differs at the first of those lines. (This is
    the line a comparison of the files split at newlines gives, but for a missing newline,
    which that would put one line further on, where nothing differs.)

    Read a megabyte at a time: an output is compared whatever its size (the nested JSON of a
    large corpus, or a committed file a pull request made huge) without holding it whole.
    A failed read of ``old`` is raised as ``_Unreadable``, of ``new`` as itself.
    """
    lines = 1
    while True:
        try:
            old_block = old.read(BLOCK)
        except OSError as exc:
            raise _Unreadable(exc) from exc
        new_block = new.read(BLOCK)
        if old_block != new_block:
            shared = _common_length(old_block, new_block)
            crlf = (
                old_block[shared : shared + 1] == b"\r" and new_block[shared : shared + 1] == b"\n"
            )
            return _Difference(lines + old_block.count(b"\n", 0, shared), crlf)
        if not old_block:
            return None
        lines += old_block.count(b"\n")


def _folder_problem(root: Path, folder: str) -> Diagnostic | None:
    """Why a folder of outputs cannot hold them, if it cannot: missing, or not a folder."""
    exists, unsafe = unsafe_path(root, folder, folder=True)
    if unsafe is not None:
        return Diagnostic(folder, 1, 1, "drift", unsafe.message, _FIX)
    if not exists:
        return Diagnostic(folder, 1, 1, "drift", "is missing", _FIX)
    return None


def drift(root: Path, files: Mapping[str, bytes]) -> list[Diagnostic]:
    """Each committed output that differs from what ``build`` would write, by name.

    A committed output may come from a pull request: one that is a link, or is reached
    through one, or is not a regular file, is reported as such and never read (it could
    point outside the dataset, or at a device). A folder of outputs that is missing, or is
    not a folder (``build`` committed as a file or a link), is one problem on the folder,
    not one on each file it should hold."""
    problems: list[Diagnostic] = []
    folders: dict[str, Diagnostic | None] = {}
    for relative in files:
        parts = relative.split("/")[:-1]
        prefixes = ["/".join(parts[:number]) for number in range(1, len(parts) + 1)]
        for parent in prefixes:
            if parent not in folders:
                folders[parent] = problem = _folder_problem(root, parent)
                if problem is not None:
                    problems.append(problem)
        if any(folders[parent] is not None for parent in prefixes):
            continue
        exists, unsafe = unsafe_path(root, relative)
        if unsafe is not None:
            problems.append(Diagnostic(relative, 1, 1, "drift", unsafe.message, _FIX))
            continue
        if not exists:
            problems.append(Diagnostic(relative, 1, 1, "drift", "is missing", _FIX))
            continue
        try:
            committed = (root / relative).open("rb")
        except OSError as exc:
            reason = f"cannot be read: {exc.strerror or type(exc).__name__}"
            problems.append(Diagnostic(relative, 1, 1, "drift", reason, _FIX))
            continue
        try:
            with committed, opened(files, relative) as built:
                difference = _first_difference(committed, built)
        except _Unreadable as exc:  # opened, but its reads fail (a failing disk)
            problems.append(Diagnostic(relative, 1, 1, "drift", f"cannot be read: {exc}", _FIX))
            continue
        if difference is not None:
            line, crlf = difference
            where = f"first at line {line}" + (
                ", which ends in CRLF where build writes LF" if crlf else ""
            )
            problems.append(
                Diagnostic(
                    relative,
                    line,
                    1,
                    "drift",
                    f"differs from what build writes ({where})",
                    _CONVERTED if crlf else _FIX,
                )
            )
    for name in OUTPUT_ROOTS:
        folder = root / name
        if not folder.is_symlink() and folder.is_dir():  # the files build owns whole
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(root).as_posix()
                # A link or special file is named, never opened; a folder, by its files.
                if (path.is_symlink() or not path.is_dir()) and relative not in files:
                    problems.append(
                        Diagnostic(
                            relative,
                            1,
                            1,
                            "drift",
                            "is not an output of build",
                            "delete it, or run `chechnya-purges build`",
                        )
                    )
    return problems
