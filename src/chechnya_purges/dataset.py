"""A dataset root on disk, read, parsed and checked: what ``validate`` reports and ``build``
publishes.

The registry is loaded first and the articles checked against it in a second pass, so every
cross-reference is resolved against the whole registry, whatever the order of the files.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import re
import stat
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from ._workers import WorkLost, apart, collector_paused, follow_parent, forking
from .diagnostics import Diagnostic
from .reader import (
    ARTICLE_BYTES,
    CLAIMS_BYTES,
    REGISTRY_BYTES,
    SEED_BYTES,
    Document,
    Position,
    numbered,
    read_yaml,
    unsafe_path,
)

if TYPE_CHECKING:
    from .cache import Cache
    from .checks import CheckedArticle, ClaimLink
    from .models import Actor, Claim, ClaimKind

# The checks (and pydantic under them) are imported where they are used: a validate run that
# finds nothing changed needs none of them, and importing them costs more than the run.

__all__ = [
    "ACTORS",
    "ARTICLES",
    "ARTICLE_ID",
    "CLAIMS",
    "Dataset",
    "RootNotFound",
    "Validated",
    "check_file",
    "find_root",
    "load",
    "validate",
]

ACTORS = "data/actors.yaml"
ARTICLES = "data/articles"
CLAIMS = "data/claims.yaml"
# Article ids become CSV cells, file names and URL parts: keep them to a safe alphabet.
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Problems after which a file's data cannot be trusted at all (the file is not read further):
# a tagged or aliased value would only produce a second, misleading error about its type.
_FATAL = frozenset(
    {
        "yaml-syntax",
        "yaml-tag",
        "yaml-alias",
        "invalid-utf8",
        "unsafe-file",
        "file-unreadable",
        "file-too-large",
        "number-too-large",
    }
)


T = TypeVar("T")


class RootNotFound(Exception):
    """No dataset root (a folder holding data/actors.yaml) at or above the given folder."""


@dataclass
class Dataset(Generic[T]):
    """The registry and every article that passed its checks, as ``load`` prepared it."""

    root: Path
    actors: list[Actor]
    articles: list[T]
    claims: list[Claim] = field(default_factory=list)


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``data/actors.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        # Any entry counts, even a link or a folder: reading it then says what is wrong.
        if os.path.lexists(folder / ACTORS):
            return folder
    raise RootNotFound(f"no {ACTORS} in {start} or any folder above it")


def _unused(entries: list[tuple[int, str, int, int]], used: set[str]) -> list[Diagnostic]:
    """Registry entries nothing refers to: usually a mention forgotten in an article."""
    found = []
    for index, actor_id, line, col in entries:
        if actor_id not in used:
            found.append(
                Diagnostic(
                    ACTORS,
                    line,
                    col,
                    "actor-unused",
                    f"[{index}].id: no article mentions {actor_id!r}",
                    "add a mentions entry where an article names the actor, or remove it",
                    severity="warning",
                )
            )
    return found


def _unused_claims(entries: list[tuple[int, str, int, int]], used: set[str]) -> list[Diagnostic]:
    """Claims no record links to: a claim written before its records, or left behind."""
    return [
        Diagnostic(
            CLAIMS,
            line,
            col,
            "claim-unused",
            f"[{index}].id: no figure or statement links to claim {claim_id!r}",
            f"add 'claim: {claim_id}' to the records that report it, or remove the claim",
            severity="warning",
        )
        for index, claim_id, line, col in entries
        if claim_id not in used
    ]


@dataclass
class _Uses:
    """What one article refers to in the shared files: actor ids (for actor-unused) and its
    links to claims (for the checks across articles)."""

    actors: set[str]
    claims: list[ClaimLink] = field(default_factory=list)


@dataclass(frozen=True)
class _Registry:
    """What every article's checks need from the registry (sent once to each worker)."""

    root: Path
    names: dict[str, str]
    known: set[str]
    claims: dict[str, ClaimKind | None] | None
    # The registry cannot be read as a list of actors: every reference would be unknown,
    # and its one error says so better than one error per reference.
    broken: bool = False


@dataclass
class _RegistryResult:
    """The registry read and checked: what articles need of it, and what validate reports.
    Plain data only, so that validate's cache loads it quickly."""

    problems: list[Diagnostic]
    registry: _Registry
    entries: list[tuple[int, str, int, int]]  # index, id, line, col of each valid entry
    affiliated: set[str]  # ids named by affiliations (and claim origins) count as used
    count: int
    claims: dict[str, Claim]
    claim_entries: list[tuple[int, str, int, int]]  # as entries, for claim-unused


_ID_LINE = re.compile(r"^- id: ([a-z0-9-]+)[ \t]*$", re.M)


def _id_lines(text: str) -> dict[str, Position | None]:
    """Where each id is written on a usual `- id: x` line (None for an id written twice),
    counting lines as it goes: once through the text, however many actors."""
    found: dict[str, Position | None] = {}
    for match, line in numbered(_ID_LINE, text) or []:
        offset = match.start(1)
        actor_id = match.group(1)
        col = offset - text.rfind("\n", 0, offset)
        found[actor_id] = None if actor_id in found else Position(line, col)
    return found


def _where(
    doc: Document, index: int, actor_id: str, found_at: dict[str, Position | None]
) -> Position:
    """Where an entry's id is written: from the usual `- id: x` line when it is one of a
    kind (reading the registry again for positions costs seconds at thousands of actors),
    else from the document."""
    return found_at.get(actor_id) or doc.position((index, "id"))


@dataclass
class _OpenRegistry:
    """The registry read and parsed, not yet checked: enough for articles to be checked
    against (``registry``) while its own checks run."""

    doc: Document
    problems: list[Diagnostic]
    parsed: list[tuple[int, Actor]]
    actors: dict[str, Actor]
    registry: _Registry
    claims_doc: Document | None
    claims: list[tuple[int, Claim]]


def _declared(doc: Document) -> dict[str, Any]:
    """Every id a list file declares, with its entry, including entries that fail to parse
    (their own error is reported once, not again at every reference)."""
    return {
        item["id"]: item
        for item in (doc.data if isinstance(doc.data, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }


def _open_claims(
    root: Path,
) -> tuple[
    Document | None, list[tuple[int, Claim]], dict[str, ClaimKind | None] | None, list[Diagnostic]
]:
    """data/claims.yaml read and parsed: absent is a dataset without claims; unreadable
    (None for the kinds) leaves the articles' claim links unchecked."""
    from .parse import parse_claims

    if not os.path.lexists(root / CLAIMS):
        return None, [], {}, []
    doc, problems = read_yaml(root, CLAIMS, CLAIMS_BYTES)
    if {d.code for d in problems} & _FATAL:
        # Its own error is reported; the articles' links to it are not checked in the dark.
        return doc, [], None, problems
    parsed, found = parse_claims(doc)
    kinds: dict[str, ClaimKind | None] = dict.fromkeys(_declared(doc))
    kinds |= {claim.id: claim.kind for _, claim in reversed(parsed)}
    return doc, parsed, kinds, problems + found


# The registry is read and checked with the cycle collector paused: every object made then
# lives until the run ends, and the collector walked all of them each time their number grew
# by a quarter, a third of the registry's time at 10,000 and 100,000 actors alike.
@collector_paused()
def _open_registry(root: Path) -> _OpenRegistry:
    from .parse import parse_actors

    doc, problems = read_yaml(root, ACTORS, REGISTRY_BYTES)
    fatal = bool({d.code for d in problems} & _FATAL)
    parsed, found = ([], []) if fatal else parse_actors(doc)
    empty = not fatal and not doc.data and not found
    if empty:
        found = [
            Diagnostic(
                ACTORS,
                1,
                1,
                "missing-field",
                "the actor registry holds no actors",
                "start each actor with '- id: '; every article needs its publisher and "
                "speakers here",
            )
        ]
    broken = fatal or empty or not isinstance(doc.data, list)
    actors = {actor.id: actor for _, actor in reversed(parsed)}
    known = set(actors) | set(_declared(doc))
    names = {actor_id: actor.name for actor_id, actor in actors.items()}
    claims_doc, claims, kinds, claim_problems = _open_claims(root)
    return _OpenRegistry(
        doc,
        problems + found + claim_problems,
        parsed,
        actors,
        _Registry(root, names, known, kinds, broken),
        claims_doc,
        claims,
    )


@collector_paused()
def _check_registry(opened: _OpenRegistry) -> tuple[_RegistryResult, list[Actor]]:
    """The registry's own checks, its summary, and its valid actors sorted by id."""
    from .checks import check_actors, check_claims

    doc, parsed, actors = opened.doc, opened.parsed, opened.actors
    found_at = _id_lines(doc.text or "")
    problems = opened.problems + check_actors(doc, parsed, opened.registry.known)
    entries = [
        (index, actor.id, *_where(doc, index, actor.id, found_at)) for index, actor in parsed
    ]
    affiliated = {org.org for actor in actors.values() for org in actor.affiliations}
    claims: dict[str, Claim] = {}
    claim_entries = []
    if opened.claims_doc is not None:
        problems += check_claims(opened.claims_doc, opened.claims, opened.registry.known)
        claims = {claim.id: claim for _, claim in reversed(opened.claims)}
        affiliated |= {claim.origin for claim in claims.values() if claim.origin}
        claim_entries = [
            (index, claim.id, *opened.claims_doc.position((index, "id")))
            for index, claim in opened.claims
        ]
    summary = _RegistryResult(
        problems, opened.registry, entries, affiliated, len(actors), claims, claim_entries
    )
    return summary, sorted(actors.values(), key=lambda actor: actor.id)


Outcome = tuple[list[Diagnostic], Any, _Uses]
Prepare = Callable[["CheckedArticle"], Any]


def _stem(name: str) -> str:
    """A file name without its last suffix, as ``PurePath.stem`` gives it (none when the
    last dot begins or ends the name), without making a path of it: this runs for every
    article, whose name is all a worker is handed."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def check_file(
    registry: _Registry,
    name: str,
    prepare: Prepare | None = None,
    checked_folders: set[str] | None = None,
) -> Outcome:
    """One article file (``name``, in data/articles/) read, parsed and checked: its
    problems, ``prepare`` of the checked article (when given and the article has no error),
    and what it uses of the shared files (for the unused and cross-article checks).
    ``prepare`` runs where the check ran, in a worker process when there are many articles,
    so that what comes back is only what the caller needs. ``checked_folders``: the folders
    this run (this process of it) has found real on the way to its files
    (``reader.unsafe_path``)."""
    from .checks import check_article, claim_links
    from .parse import parse_article

    display = f"{ARTICLES}/{name}"
    if not ARTICLE_ID.match(_stem(name)):
        problem = Diagnostic(
            display,
            1,
            1,
            "invalid-format",
            f"article file name {name!r} is not a safe article id",
            "use letters, digits, '-', '_' and '.', as the seed's file name does",
        )
        return [problem], None, _Uses(set())
    doc, problems = read_yaml(registry.root, display, ARTICLE_BYTES, checked=checked_folders)
    if {d.code for d in problems} & _FATAL:
        return problems, None, _Uses(set())
    article, origin, found = parse_article(doc)
    problems += found
    if article is None:
        return problems, None, _Uses(set())
    known = None if registry.broken else registry.known
    checked, found = check_article(
        doc, article, origin, registry.root, registry.names, known, registry.claims, checked_folders
    )
    used = _Uses(set(article.mentions) | ({article.publisher} if article.publisher else set()))
    if checked is not None:
        used.claims = claim_links(checked)
    problems += found
    clean = not any(p.severity == "error" for p in problems)
    kept = prepare(checked) if prepare is not None and checked is not None and clean else None
    return problems, kept, used


_WORKER: dict[str, Any] = {}
# Below this many articles, starting worker processes costs more than it saves.
PARALLEL_FROM = 200


def _start_worker(registry: _Registry, prepare: Prepare | None) -> None:
    # A worker lives for one run: the folders it finds real are this run's.
    _WORKER.update(registry=registry, prepare=prepare, folders=set())
    follow_parent()


def _check_in_worker(names: list[str]) -> list[Outcome]:
    registry, prepare, folders = _WORKER["registry"], _WORKER["prepare"], _WORKER["folders"]
    return [check_file(registry, name, prepare, folders) for name in names]


# Articles handed to a worker at once, and (for build) batches in flight per worker: enough
# to keep the workers busy, few enough that the results waiting to be taken (a tabulated
# article is tens of kilobytes) stay a few megabytes whatever the size of the corpus.
BATCH = 32
IN_FLIGHT = 4


def _check_all(
    registry: _Registry, names: list[str], prepare: Prepare | None
) -> Generator[Outcome, None, None]:
    """Every article's outcome, in order; spread over the machine's cores when it pays.

    With workers, articles are handed to them before this returns, so the caller can do
    its own work while they run: all of them when what comes back is small (``prepare`` is
    None: problems and ids), else a few batches at a time, each batch taken making room for
    the next.
    """
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(names) < PARALLEL_FROM:
        folders: set[str] = set()
        return (check_file(registry, name, prepare, folders) for name in names)
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Names, not paths: a worker needs no more, and 10,000 paths cost 0.03 s to make and as
    # much again to send.
    batches = [names[i : i + BATCH] for i in range(0, len(names), BATCH)]
    window = workers * IN_FLIGHT if prepare is not None else len(batches)
    # Forked, whatever the platform's default: workers share the registry's pages, and
    # follow_parent watches the process that forked them (a forkserver's would be another).
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(registry, prepare),
    )
    # The workers share the registry's pages with this process until either writes to them.
    # A full garbage collection, on either side, writes to every object it walks: everything
    # here now is left out of collections until the workers end (it lives as long anyway),
    # so that at 100,000 actors the registry is held once, not three times.
    gc.freeze()
    with forking():
        pending = deque(pool.submit(_check_in_worker, batch) for batch in batches[:window])

    def drain() -> Generator[Outcome, None, None]:
        try:
            for batch in batches[window:]:
                done = pending.popleft().result()
                pending.append(pool.submit(_check_in_worker, batch))
                yield from done
            while pending:
                yield from pending.popleft().result()
        except BrokenProcessPool:  # a worker killed outright: the others are ended with it
            raise WorkLost("a worker process checking the articles ended") from None
        finally:
            # Interrupted (Ctrl-C, an error in the caller): drop the articles not yet begun.
            pool.shutdown(wait=True, cancel_futures=True)
            gc.unfreeze()

    return drain()


def _mixed_claims(
    root: Path, registry: _RegistryResult, links: list[tuple[str, ClaimLink]]
) -> list[Diagnostic]:
    """Figures of one claim that count different things, at each later figure's claim."""
    from .checks import check_claim_links

    found = []
    for path, link, message, hint in check_claim_links(registry.claims, links):
        doc, _ = read_yaml(root, path, ARTICLE_BYTES)
        line, col = doc.position((link.kind, link.number, "claim"))
        found.append(Diagnostic(path, line, col, "claim-mixed", message, hint))
    return found


def _finish(
    registry: _RegistryResult,
    problems: list[Diagnostic],
    links: list[tuple[str, ClaimLink]],
    used: set[str],
) -> list[Diagnostic]:
    """Every problem: the registry's, the articles' (``problems``), and those across
    articles, from every article's claim ``links`` (in article order) and the actors ``used``."""
    problems = registry.problems + problems
    problems += _mixed_claims(registry.registry.root, registry, links)
    if not any(p.severity == "error" for p in problems):
        # Only on clean data: an article that failed to parse would leave its actors unused.
        problems += _unused(registry.entries, used | registry.affiliated)
        problems += _unused_claims(registry.claim_entries, {link.claim for _, link in links})
    return sorted(set(problems))


def _article_names(root: Path) -> tuple[list[str], list[Diagnostic]]:
    """The article files' names, sorted, and a problem for everything in data/articles/ that
    is not one.

    Names ending in ``.yaml`` are articles (their own checks refuse a link, a folder or an
    unsafe name); anything else there (``.yml``, ``.YAML``, a subfolder, a note) would be
    silently left out of the package, so it is an error."""
    exists, problem = unsafe_path(root, ARTICLES, folder=True)
    if problem is not None:
        return [], [problem]
    if not exists:
        missing = Diagnostic(
            ARTICLES,
            1,
            1,
            "missing-folder",
            f"no {ARTICLES}/ folder: the dataset has no articles",
            f"create {ARTICLES}/ and annotate a seed: chechnya-purges new seeds/X.txt",
        )
        return [], [missing]
    folder = root / ARTICLES
    names = sorted(os.listdir(folder))
    articles = [name for name in names if name.endswith(".yaml")]
    try:
        "".join(names).encode()
    except UnicodeEncodeError:
        pass
    else:
        if len(articles) == len(names):  # the usual case, told quickly at 100,000 articles
            return articles, []
    # A name that is not UTF-8 (its bytes arrive as surrogates) can be no article id; shown
    # with its bytes escaped, so that printing it cannot fail either.
    shown = {
        name: name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        for name in names
    }
    stray = [
        Diagnostic(
            f"{ARTICLES}/{shown[name]}",
            1,
            1,
            "stray-file",
            f"{ARTICLES}/{shown[name]} is not an article record and would be left out",
            f"name article records {ARTICLES}/<seed name>.yaml, in UTF-8, without subfolders",
        )
        for name in names
        if not name.endswith(".yaml") or shown[name] != name
    ]
    articles = [name for name in names if name.endswith(".yaml") and shown[name] == name]
    return articles, stray


def _unused_seeds(root: Path, articles: list[str], listing: list[Diagnostic]) -> list[Diagnostic]:
    """A seed with no article record: probably an annotation forgotten in the pull request
    (not said when data/articles/ itself is at fault: every seed would be listed)."""
    folder = root / "seeds"
    if unsafe_path(root, "seeds", folder=True) != (True, None) or any(
        problem.path == ARTICLES for problem in listing
    ):
        return []
    unused = set(os.listdir(folder)) - {name[: -len(".yaml")] + ".txt" for name in articles}
    return [
        Diagnostic(
            f"seeds/{name}",
            1,
            1,
            "seed-unused",
            f"seeds/{name} has no article record {ARTICLES}/{name[:-4]}.yaml",
            f"annotate it (chechnya-purges new seeds/{name}) or remove it",
            severity="warning",
        )
        for name in sorted(unused)
        if name.endswith(".txt")
    ]


def _itself(value: Any) -> Any:
    return value


def _gather(
    names: list[str],
    outcomes: Iterator[Outcome],
    problems: list[Diagnostic],
    kept: list[Any],
    keep: Callable[[Any], Any] = _itself,
) -> tuple[list[tuple[str, ClaimLink]], set[str]]:
    """Every article's outcome taken in, in order: its problems and prepared article (as
    ``keep`` keeps it) added to ``problems`` and ``kept``; the claim links and actors used
    by all of them returned."""
    links: list[tuple[str, ClaimLink]] = []
    used: set[str] = set()
    for name, (found, article, uses) in zip(names, outcomes, strict=True):
        problems += found
        links += [(f"{ARTICLES}/{name}", link) for link in uses.claims]
        used |= uses.actors
        if article is not None:
            kept.append(keep(article))
    return links, used


P = TypeVar("P")
R = TypeVar("R")


@overload
def load(
    root: Path, prepare: Callable[[CheckedArticle], T]
) -> tuple[Dataset[T], list[Diagnostic]]: ...
@overload
def load(
    root: Path, prepare: Callable[[CheckedArticle], P], keep: Callable[[P], T]
) -> tuple[Dataset[T], list[Diagnostic]]: ...
def load(
    root: Path, prepare: Callable[[CheckedArticle], Any], keep: Callable[[Any], Any] = _itself
) -> tuple[Dataset[Any], list[Diagnostic]]:
    """Read, parse and check the whole dataset: every article that passed, as ``prepare``
    makes it (in the worker that checked it) and ``keep`` keeps it (here, as it arrives: so
    that build can set each article's bytes down on disk and hold only what it needs), and
    every problem."""
    registry, actors = _registry_apart(root, _registry_and_actors)
    names, listing = _article_names(root)
    # Listed before the workers start: nothing between their start and the ``try`` below
    # may fail, or they would be left running.
    problems = listing + _unused_seeds(root, names, listing)
    outcomes = _check_all(registry.registry, names, prepare)
    articles: list[Any] = []
    try:
        links, used = _gather(names, outcomes, problems, articles, keep)
    finally:
        # Stopped here however ``keep`` fails (a full disk): left to the garbage collector,
        # the workers would outlive a process apart, and keep its result from arriving.
        outcomes.close()
    claims = sorted(registry.claims.values(), key=lambda claim: claim.id)
    dataset = Dataset(root, actors, articles, claims)
    return dataset, _finish(registry, problems, links, used)


@dataclass(frozen=True)
class Validated:
    """What validate found: every problem, and how much it looked at."""

    problems: list[Diagnostic]
    articles: int
    actors: int


def validate(root: Path, *, use_cache: bool = True) -> Validated:
    """Every problem of the dataset, re-checking only what changed since the last run.

    What the cache holds is read back field by field and type by type, under a digest of
    each stored row; a cache that does not read back is discarded and everything is checked
    again, so the cache can make validate faster, never different.
    """
    from .cache import Cache, Damaged

    if not use_cache:
        return _validate_everything(root)
    cache = Cache.open(root)
    try:
        result = _validate_incrementally(root, cache)
    except Damaged:
        cache.discard()
        result = _validate_incrementally(root, cache)  # reads nothing: cannot be damaged
    cache.save()
    return result


def _validate_everything(root: Path) -> Validated:
    """validate without a cache: every file read and checked.

    The registry is checked before the workers start, and only what the articles need of it
    is kept: workers share this process's pages until either side writes to one, and
    checking the registry writes to every actor (reference counts), which would copy the
    read registry once more while they run (about 180 MiB at 100,000 actors)."""
    registry = _registry_apart(root, _checked_registry)
    names, listing = _article_names(root)
    outcomes = _check_all(registry.registry, names, None)
    problems = listing + _unused_seeds(root, names, listing)
    links, used = _gather(names, outcomes, problems, [])
    return Validated(_finish(registry, problems, links, used), len(names), registry.count)


# From this size on, validate reads and checks the registry in a process of its own.
REGISTRY_APART_FROM = 1 << 20


def _checked_registry(root: Path) -> _RegistryResult:
    return _check_registry(_open_registry(root))[0]


def _registry_and_actors(root: Path) -> tuple[_RegistryResult, list[Actor]]:
    return _check_registry(_open_registry(root))


def _registry_apart(root: Path, check: Callable[[Path], R]) -> R:
    """The registry read and checked (by ``check``), before the article workers start, in
    a process of its own (``apart``) when it is large: only the result comes back (ids,
    names, positions, problems, and for build the actors), not the about 240 MiB of pages
    that checking 100,000 actors leaves behind for every worker forked afterwards to copy."""
    try:
        size = os.lstat(root / ACTORS).st_size
    except OSError:
        size = 0
    if size < REGISTRY_APART_FROM:
        return check(root)
    return apart(check, root)


def _validate_incrementally(root: Path, cache: Cache) -> Validated:
    """validate through the cache (see cache.py for how it is laid out): every article and
    seed lstat-ed, only the buckets whose stamps moved read back, only what changed checked.
    ``Damaged`` when the cache does not read back."""
    from .cache import Damaged, bucket, content, marks, scan, stamp

    inputs = cache.state("inputs")
    stored_inputs = inputs if isinstance(inputs, dict) else {}
    fresh_inputs: dict[str, Any] = {}

    def digest_of(relative: str, limit: int) -> str:
        path = str(root / relative)
        mark = stamp(path)
        known = stored_inputs.get(path)
        if isinstance(known, list) and known[:4] == list(mark[0]) and isinstance(known[4], str):
            found: str = known[4]
        else:
            found = content(path, limit, mark)
        fresh_inputs[path] = [*mark[0], found]
        return found

    # How the folders are reached is part of every key: a result found through a linked
    # folder is never reused once the folder is real, or the other way round. The claims
    # file is part of the registry's key: every article's claim links are checked against it.
    layout = ",".join(_kind_of(root / part) for part in ("data", ARTICLES, "seeds"))
    exists, problem = unsafe_path(root, CLAIMS)
    claims_part = (
        problem.message
        if problem is not None
        else (digest_of(CLAIMS, CLAIMS_BYTES) if exists else "absent")
    )
    registry_key = _key(cache.fingerprint, layout, digest_of(ACTORS, REGISTRY_BYTES), claims_part)
    names, listing = _article_names(root)
    extra = list(listing)
    folder, seeds = f"{root}/{ARTICLES}", f"{root}/seeds"
    # The seeds are listed while a child process, if there is one, starts on the stamps.
    members, moved_stamps = scan(
        folder, seeds, names, lambda: extra.extend(_unused_seeds(root, names, listing))
    )
    stored = cache.stored_buckets()
    # The registry's key is kept apart from its result, which is only read when needed.
    same_registry = cache.state("registry key") == registry_key
    every = set(members) | set(stored)
    moved = sorted(
        number
        for number in every
        if number not in stored
        or number not in members
        or stored[number][0] != moved_stamps[number]
    )

    def state_of(buckets: dict[int, tuple[str, str]]) -> str:
        parts = (f"{number}:{buckets[number][1]}" for number in sorted(buckets))
        return _key(registry_key, *parts, repr(extra))

    if fresh_inputs != stored_inputs:
        cache.states["inputs"] = fresh_inputs
    final = cache.state("final")
    if (
        same_registry
        and not moved
        and isinstance(final, dict)
        and final.get("state") == state_of(stored)
    ):
        try:
            problems, actors = _decode_problems(final["problems"]), final["actors"]
        except (ValueError, TypeError, KeyError) as error:
            raise Damaged(str(error)) from error
        if type(actors) is not int:
            raise Damaged("not a count")
        return Validated(problems, len(names), actors)

    # Something changed: the summary across articles is brought up to date from the rows of
    # the buckets that moved (of every bucket when the registry, the layout or the code did).
    summary = cache.state("aggregate")
    full = not (same_registry and isinstance(summary, dict))
    if full:
        summary, moved = {"actors": {}, "flagged": {}}, sorted(every)
    assert isinstance(summary, dict)
    old = {
        name: _row(value) for name, value in cache.stored_articles(None if full else moved).items()
    }
    counts, flagged = summary.get("actors"), summary.get("flagged")
    if not (
        isinstance(counts, dict)
        and isinstance(flagged, dict)
        and _all_of(int, counts.values())
        and min(counts.values(), default=1) > 0
    ):
        raise Damaged("not a summary")
    # The summary is written back only if this run changes it: at 100,000 articles it is
    # megabytes of JSON, and an edit seldom changes which actors are used or who has problems.
    touched: dict[str, int] = {}
    watched = () if full else set(old) | {n for number in moved for n in members.get(number, [])}
    flags = {name: flagged.get(name) for name in watched}

    def count(actors: list[str], step: int) -> None:
        for actor in actors:
            now = counts.get(actor, 0) + step
            if not full:
                touched.setdefault(actor, now - step)
            if now < 0:
                raise Damaged("not a count of uses")
            if now:
                counts[actor] = now
            else:
                del counts[actor]

    # The rows read back must be exactly those each bucket's digest of keys says it holds.
    held: dict[int, list[str]] = {}
    for name in sorted(old):
        held.setdefault(bucket(name), []).append(old[name][3])
    for number in set(held) | {n for n in moved if n in stored}:
        if number not in stored or stored[number][1] != _key(*held.get(number, [])):
            raise Damaged("a bucket does not hold the rows it says")
    if not full:
        for name, row in old.items():
            count(row[5], -1)
            flagged.pop(name, None)
    registry: _RegistryResult | None = None
    opened: _OpenRegistry | None = None
    if same_registry:
        registry = _decode_registry(root, cache.state("registry"))
        if registry is None:
            raise Damaged("not a registry")
        against = registry.registry
    else:
        # Checked below, while the workers check the articles against it.
        opened = _open_registry(root)
        against = opened.registry
    rows: dict[str, list[Any]] = {}
    pending: list[str] = []
    for number in moved:
        # Stamped again (a few files, unless everything moved), so that the stamps stored
        # with the rows are the ones the bucket's digest is made of.
        stamped, moved_stamps[number] = marks(folder, seeds, members.get(number, []))
        for name in members.get(number, []):
            article, seed = stamped[name]
            now = [*article[0], *seed[0]]
            known = old.get(name)
            digests = (
                known[1]
                if known is not None and known[0][:4] == now[:4]
                else content(f"{folder}/{name}", ARTICLE_BYTES, article),
                known[2]
                if known is not None and known[0][4:] == now[4:]
                else content(f"{seeds}/{name[:-5]}.txt", SEED_BYTES, seed),
            )
            # The name is part of the key: the article id, and so every diagnostic, derives
            # from it.
            key = _key(registry_key, name, *digests)
            if known is not None and known[3] == key:
                rows[name] = [now, *digests, key, *known[4:]]
                if known[0] != now:
                    cache.put(name, number, rows[name])
            else:
                rows[name] = [now, *digests, key]
                pending.append(name)
    outcomes = _check_all(against, pending, None)
    if opened is not None:
        registry = _check_registry(opened)[0]
        cache.states["registry key"] = registry_key
        cache.states["registry"] = _encode_registry(registry)
    assert registry is not None
    for name, (found, _, uses) in zip(pending, outcomes, strict=True):
        rows[name] += [_encode_problems(found), *_encode_uses(uses)]
        cache.put(name, bucket(name), rows[name])
    for number in moved:
        keys = []
        for name in members.get(number, []):
            row = rows[name]
            keys.append(row[3])
            count(row[5], 1)
            if row[4] or row[6]:
                flagged[name] = [row[4], row[6]]
        cache.buckets[number] = (moved_stamps[number], _key(*keys)) if keys else None
    cache.removed |= set(old) - set(rows)
    buckets = {**stored, **{n: v for n, v in cache.buckets.items() if v is not None}}
    buckets = {number: buckets[number] for number in members}
    problems = list(extra)
    links: list[tuple[str, ClaimLink]] = []
    try:
        for name in sorted(flagged):
            found_problems, found_links = flagged[name]
            problems += _decode_problems(found_problems)
            links += [(f"{ARTICLES}/{name}", link) for link in _decode_links(found_links)]
    except (ValueError, TypeError) as error:
        raise Damaged(str(error)) from error
    problems = _finish(registry, problems, links, set(counts))
    if (
        full
        or any(counts.get(actor, 0) != before for actor, before in touched.items())
        or any(flagged.get(name) != before for name, before in flags.items())
    ):
        cache.states["aggregate"] = {"actors": counts, "flagged": flagged}
    cache.states["inputs"] = fresh_inputs
    cache.states["final"] = {
        "state": state_of(buckets),
        "problems": _encode_problems(problems),
        "actors": registry.count,
    }
    return Validated(problems, len(names), registry.count)


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _kind_of(path: Path) -> str:
    try:
        return str(stat.S_IFMT(os.lstat(path).st_mode))
    except OSError:
        return "absent"


# --- what validate's cache holds, as plain JSON values ---------------------------------------


def _encode_problems(problems: list[Diagnostic]) -> list[list[Any]]:
    return [[p.path, p.line, p.col, p.code, p.message, p.hint, p.severity] for p in problems]


def _decode_problems(value: Any) -> list[Diagnostic]:
    """Diagnostics from the cache; ``ValueError`` for anything that is not one."""
    problems = []
    for path, line, col, code, message, hint, severity in value:
        if not (
            isinstance(path, str)
            and type(line) is int
            and type(col) is int
            and isinstance(message, str)
            and (hint is None or isinstance(hint, str))
            and severity in ("error", "warning")
        ):
            raise ValueError("not a diagnostic")
        problems.append(Diagnostic(path, line, col, code, message, hint, severity))
    return problems


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list) or not _all_of(str, value):
        raise ValueError("not a list of text")
    return value


def _all_of(kind: type, values: Iterable[Any]) -> bool:
    """Whether every value is exactly of this type (not a subclass: True is no number),
    tested in one pass of C: the registry's cached result holds 100,000s of them."""
    return set(map(type, values)) <= {kind}


def _encode_uses(uses: _Uses) -> list[Any]:
    links = [[c.claim, c.kind, c.number, c.category, c.unit] for c in uses.claims]
    return [sorted(uses.actors), [[None if v is None else str(v) for v in x] for x in links]]


def _decode_links(value: Any) -> list[ClaimLink]:
    from .checks import ClaimLink

    links = []
    for claim, kind, number, category, unit in value:
        if not (
            isinstance(claim, str)
            and kind in ("figures", "statements")
            and isinstance(number, str)
            and number.isdigit()
            and all(v is None or isinstance(v, str) for v in (category, unit))
        ):
            raise ValueError("not a claim link")
        links.append(ClaimLink(claim, kind, int(number), category, unit))
    return links


def _row(value: Any) -> list[Any]:
    """An article's stored row: [stamps of article and seed, their digests, key, problems,
    actors used, claim links]; ``Damaged`` when it is not one."""
    from .cache import Damaged

    if not (
        isinstance(value, list)
        and len(value) == 7
        and isinstance(value[0], list)
        and len(value[0]) == 8
        and all(type(n) is int for n in value[0])
        and all(isinstance(v, str) for v in value[1:4])
        and isinstance(value[4], list)
        and isinstance(value[6], list)
    ):
        raise Damaged("not an article row")
    try:
        _strings(value[5])
    except ValueError as error:
        raise Damaged(str(error)) from error
    return value


def _encode_registry(result: _RegistryResult) -> dict[str, Any]:
    registry = result.registry
    return {
        "problems": _encode_problems(result.problems),
        "names": registry.names,
        # Known ids without a name (entries that fail to parse): the others are the names'.
        "unnamed": sorted(registry.known - registry.names.keys()),
        "broken": registry.broken,
        # By column, each of one type: read back and checked at C speed, not entry by entry.
        "entries": [list(column) for column in zip(*result.entries, strict=True)] or [[]] * 4,
        "affiliated": sorted(result.affiliated),
        "count": result.count,
        "kinds": None
        if registry.claims is None
        else {k: None if v is None else v.value for k, v in registry.claims.items()},
        "claims": {k: claim.model_dump(mode="json") for k, claim in result.claims.items()},
        "claim_entries": [list(entry) for entry in result.claim_entries],
    }


def _decode_registry(root: Path, value: Any) -> _RegistryResult | None:
    """The cached registry result, or None when it does not read back."""
    from .models import Claim, ClaimKind

    try:
        names = value["names"]
        if not isinstance(names, dict) or not _all_of(str, names.values()):
            raise ValueError("not a table of names")
        indexes, ids, lines, cols = value["entries"]
        numbers = [*indexes, *lines, *cols]
        if not (
            len(indexes) == len(_strings(ids)) == len(lines) == len(cols) and _all_of(int, numbers)
        ):
            raise ValueError("not a table of entries")
        entries = list(zip(indexes, ids, lines, cols, strict=True))
        broken, count = value["broken"], value["count"]
        if type(broken) is not bool or type(count) is not int:
            raise ValueError("not a registry summary")
        kinds = value["kinds"]
        claims_kinds = (
            None
            if kinds is None
            else {k: None if v is None else ClaimKind(v) for k, v in dict(kinds).items()}
        )
        claim_entries = []
        for index, claim_id, line, col in value["claim_entries"]:
            if not (type(index) is type(line) is type(col) is int and isinstance(claim_id, str)):
                raise ValueError("not a claim entry")
            claim_entries.append((index, claim_id, line, col))
        claims = {str(k): Claim.model_validate(v) for k, v in dict(value["claims"]).items()}
        known = names.keys() | _strings(value["unnamed"])
        registry = _Registry(root, names, known, claims_kinds, broken)
        return _RegistryResult(
            _decode_problems(value["problems"]),
            registry,
            entries,
            set(_strings(value["affiliated"])),
            count,
            claims,
            claim_entries,
        )
    except (ValueError, TypeError, KeyError):
        return None
