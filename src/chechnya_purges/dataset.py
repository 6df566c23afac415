"""A dataset root on disk, read, parsed and checked: what ``validate`` reports and ``build``
publishes.

The registry is loaded first and the articles checked against it in a second pass, so every
cross-reference is resolved against the whole registry, whatever the order of the files.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from .checks import (
    CheckedArticle,
    ClaimLink,
    check_actors,
    check_article,
    check_claim_links,
    check_claims,
    claim_links,
)
from .diagnostics import Diagnostic
from .models import Actor, Claim, ClaimKind
from .parse import parse_actors, parse_article, parse_claims
from .reader import Document, Position, input_stat, read_input, read_yaml

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
# A claim is a few lines; tens of thousands fit well under this.
CLAIMS_LIMIT = 8 * 1024 * 1024
# Article ids become CSV cells, file names and URL parts: keep them to a safe alphabet.
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FATAL = frozenset({"yaml-syntax", "invalid-utf8", "input-not-a-file", "input-too-large"})


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
        if (folder / ACTORS).is_file():
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


def _where(doc: Document, index: int, actor_id: str, found_at: dict[str, int]) -> Position:
    """Where an entry's id is written: from the usual `- id: x` line when it is one of a
    kind (reading the registry again for positions costs seconds at thousands of actors),
    else from the document."""
    offset = found_at.get(actor_id)
    if offset is None or doc.text is None:
        return doc.position((index, "id"))
    line = doc.text.count("\n", 0, offset) + 1
    return Position(line, offset - doc.text.rfind("\n", 0, offset))


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
    if not os.path.lexists(root / CLAIMS):
        return None, [], {}, []
    doc, problems = read_input(root, CLAIMS, CLAIMS_LIMIT)
    if {d.code for d in problems} & _FATAL:
        # Its own error is reported; the articles' links to it are not checked in the dark.
        return doc, [], None, problems
    parsed, found = parse_claims(doc)
    kinds: dict[str, ClaimKind | None] = dict.fromkeys(_declared(doc))
    kinds |= {claim.id: claim.kind for _, claim in reversed(parsed)}
    return doc, parsed, kinds, problems + found


def _open_registry(root: Path) -> _OpenRegistry:
    doc, problems = read_yaml(root / ACTORS, ACTORS)
    parsed, found = ([], []) if {d.code for d in problems} & _FATAL else parse_actors(doc)
    actors = {actor.id: actor for _, actor in reversed(parsed)}
    known = set(actors) | set(_declared(doc))
    names = {actor_id: actor.name for actor_id, actor in actors.items()}
    claims_doc, claims, kinds, claim_problems = _open_claims(root)
    return _OpenRegistry(
        doc,
        problems + found + claim_problems,
        parsed,
        actors,
        _Registry(root, names, known, kinds),
        claims_doc,
        claims,
    )


def _check_registry(opened: _OpenRegistry) -> tuple[_RegistryResult, list[Actor]]:
    """The registry's own checks, its summary, and its valid actors sorted by id."""
    doc, parsed, actors = opened.doc, opened.parsed, opened.actors
    found_at: dict[str, int] = {}
    for match in _ID_LINE.finditer(doc.text or ""):
        found_at[match.group(1)] = -1 if match.group(1) in found_at else match.start(1)
    found_at = {k: v for k, v in found_at.items() if v >= 0}
    problems = opened.problems + check_actors(doc, parsed)
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
Prepare = Callable[[CheckedArticle], Any]


def check_file(registry: _Registry, path: Path, prepare: Prepare | None = None) -> Outcome:
    """One article file read, parsed and checked: its problems, ``prepare`` of the checked
    article (when given and the article has no error), and what it uses of the shared files
    (for the unused and cross-article checks). ``prepare`` runs where the check ran, in a
    worker process when there are many articles, so that what comes back is only what the
    caller needs."""
    display = f"{ARTICLES}/{path.name}"
    if not ARTICLE_ID.match(path.stem):
        problem = Diagnostic(
            display,
            1,
            1,
            "invalid-format",
            f"article file name {path.name!r} is not a safe article id",
            "use letters, digits, '-', '_' and '.', as the seed's file name does",
        )
        return [problem], None, _Uses(set())
    doc, problems = read_yaml(path, display)
    if {d.code for d in problems} & _FATAL:
        return problems, None, _Uses(set())
    article, origin, found = parse_article(doc)
    problems += found
    if article is None:
        return problems, None, _Uses(set())
    checked, found = check_article(
        doc, article, origin, registry.root, registry.names, registry.known, registry.claims
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
    _WORKER.update(registry=registry, prepare=prepare)
    # Ctrl-C reaches the whole process group: the parent decides, workers follow it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End the worker when the process that started it is gone.

    A worker waits for its next article on a pipe whose other end it inherited itself, so
    a parent killed outright (SIGKILL, out of memory) would leave it waiting forever. An
    orphan is handed to another parent, which is what this watches for.
    """
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _check_in_worker(path: Path) -> Outcome:
    return check_file(_WORKER["registry"], path, _WORKER["prepare"])


def _check_all(
    registry: _Registry, paths: list[Path], prepare: Prepare | None
) -> Iterator[Outcome]:
    """Every article's outcome, in order; spread over the machine's cores when it pays.

    With workers, every article is handed to them before this returns, so the caller can do
    its own work (the registry's checks) while they run.
    """
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(paths) < PARALLEL_FROM:
        return (check_file(registry, path, prepare) for path in paths)
    chunk = max(1, len(paths) // (workers * 8))
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(registry, prepare))
    # Workers start here; Ctrl-C is held meanwhile, so that a worker never receives it before
    # it ignores it (it would print a traceback). The parent gets it as soon as they run.
    hold = hasattr(signal, "pthread_sigmask")
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        outcomes = pool.map(_check_in_worker, paths, chunksize=chunk)
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def drain() -> Iterator[Outcome]:
        try:
            yield from outcomes
        finally:
            # Interrupted (Ctrl-C, an error in the caller): drop the articles not yet begun.
            pool.shutdown(wait=True, cancel_futures=True)

    return drain()


def _mixed_claims(
    root: Path, registry: _RegistryResult, links: list[tuple[str, ClaimLink]]
) -> list[Diagnostic]:
    """Figures of one claim that count different things, at each later figure's claim."""
    found = []
    for path, link, message, hint in check_claim_links(registry.claims, links):
        doc, _ = read_yaml(root / path, path)
        line, col = doc.position((link.kind, link.number, "claim"))
        found.append(Diagnostic(path, line, col, "claim-mixed", message, hint))
    return found


def _finish(
    registry: _RegistryResult, problems: list[Diagnostic], uses: list[tuple[str, _Uses]]
) -> list[Diagnostic]:
    problems = registry.problems + problems
    links = [(path, link) for path, use in uses for link in use.claims]
    problems += _mixed_claims(registry.registry.root, registry, links)
    if not any(p.severity == "error" for p in problems):
        # Only on clean data: an article that failed to parse would leave its actors unused.
        used = set().union(*(use.actors for _, use in uses))
        problems += _unused(registry.entries, used | registry.affiliated)
        problems += _unused_claims(registry.claim_entries, {link.claim for _, link in links})
    return sorted(set(problems))


def _article_paths(root: Path) -> list[Path]:
    folder = root / ARTICLES
    names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml")) if folder.is_dir() else []
    return [folder / name for name in names]


def load(root: Path, prepare: Callable[[CheckedArticle], T]) -> tuple[Dataset[T], list[Diagnostic]]:
    """Read, parse and check the whole dataset: every article that passed, as ``prepare``
    makes it, and every problem."""
    opened = _open_registry(root)
    paths = _article_paths(root)
    outcomes = _check_all(opened.registry, paths, prepare)
    registry, actors = _check_registry(opened)
    articles: list[T] = []
    problems: list[Diagnostic] = []
    used: list[tuple[str, _Uses]] = []
    for path, (found, kept, uses) in zip(paths, outcomes, strict=True):
        problems += found
        used.append((f"{ARTICLES}/{path.name}", uses))
        if kept is not None:
            articles.append(kept)
    claims = sorted(registry.claims.values(), key=lambda claim: claim.id)
    dataset = Dataset(root, actors, articles, claims)
    return dataset, _finish(registry, problems, used)


@dataclass(frozen=True)
class Validated:
    """What validate found: every problem, and how much it looked at."""

    problems: list[Diagnostic]
    articles: int
    actors: int


def validate(root: Path, *, use_cache: bool = True) -> Validated:
    """Every problem of the dataset, re-checking only what changed since the last run."""
    from .cache import Cache, code_fingerprint

    cache = Cache.open(root) if use_cache else Cache(code_fingerprint(), hashing=False)
    # The claims file is part of the registry's key: every article's claim links are
    # checked against it.
    registry_key = _key(
        cache.fingerprint, cache.content(str(root / ACTORS)), _input_key(cache, root, CLAIMS)
    )
    registry: _RegistryResult
    opened: _OpenRegistry | None = None
    if cache.registry is not None and cache.registry[0] == registry_key:
        registry = cache.registry[1]
        against = registry.registry
    else:
        # Checked below, while the workers check the articles against it.
        opened = _open_registry(root)
        against = opened.registry
    folder, seeds = str(root / ARTICLES), str(root / "seeds")
    names = [path.name for path in _article_paths(root)]
    files = {str(root / ACTORS), str(root / CLAIMS)}
    keys = []
    for name in names:
        article, seed = f"{folder}/{name}", f"{seeds}/{name[:-5]}.txt"
        files |= {article, seed}
        # The name is part of the key: the article id, and so every diagnostic, derives from it.
        keys.append(_key(registry_key, name, cache.content(article), cache.content(seed)))
    pending = [
        (Path(folder, name), key)
        for name, key in zip(names, keys, strict=True)
        if key not in cache.results
    ]
    outcomes = _check_all(against, [path for path, _ in pending], None)
    if opened is not None:
        registry = _check_registry(opened)[0]
        cache.registry = (registry_key, registry)
        cache.changed = True
    for (_, key), (found, _, uses) in zip(pending, outcomes, strict=True):
        cache.results[key] = (found, uses)
        cache.changed = True
    cache.keep_only(set(keys), files)
    problems: list[Diagnostic] = []
    used: list[tuple[str, _Uses]] = []
    for name, key in zip(names, keys, strict=True):
        found, uses = cache.results[key]
        problems += found
        used.append((f"{ARTICLES}/{name}", uses))
    if use_cache:
        cache.save(root)
    return Validated(_finish(registry, problems, used), len(names), registry.count)


def _input_key(cache: Any, root: Path, relative: str) -> str:
    """An input's part of a cache key, without opening anything but a regular file inside
    the root: a link, FIFO or device is refused by its reader whatever it points at, so
    why it is refused is the key."""
    info = input_stat(root, relative)
    if isinstance(info, str):
        return info
    return str(cache.content(str(root / relative)))


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
