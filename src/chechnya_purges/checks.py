"""Stage 3, check: the rules that span records — ids, references, seeds, evidence, dates,
figures — and the anchored evidence the later stages publish.

Checks yield diagnostics and never stop at the first: a contributor fixes everything in one
pass. The evidence found here (offsets and the seed's exact text) is what the build writes,
so what was checked and what is published cannot differ.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from .diagnostics import Diagnostic, Severity
from .evidence import Seed, Span
from .models import (
    CONTROL,
    Actor,
    ActorKind,
    Article,
    Claim,
    ClaimKind,
    Figure,
    Mode,
    Qualifier,
    Statement,
    date_bounds,
    line_range,
)
from .parse import dotted, suggest
from .reader import SEED_BYTES, Document, Key, decode_text, read_input

__all__ = [
    "NUMBER_WORDS",
    "CheckedArticle",
    "ClaimLink",
    "check_actors",
    "check_article",
    "check_claim_links",
    "check_claims",
    "claim_links",
    "name_key",
    "numbers_in",
]


@dataclass
class CheckedArticle:
    """An article that passed its checks, with every piece of evidence anchored."""

    id: str
    record: Article
    seed_path: str
    seed: Seed
    seed_sha256: str
    mentions: dict[str, Span] = field(default_factory=dict)
    figures: list[Span] = field(default_factory=list)
    statements: list[Span] = field(default_factory=list)
    # Where each ``reviewed`` entry anchors, in file order (read by the coverage report).
    reviewed: list[Span] = field(default_factory=list)
    excluded: list[tuple[int, int]] = field(default_factory=list)
    block_quotes: list[tuple[int, int]] = field(default_factory=list)
    # Index in the file of each figure and statement kept (see parse.parse_article).
    origin: dict[str, list[int]] = field(default_factory=dict)

    def indexed(self, kind: str) -> Iterator[tuple[int, Figure | Statement]]:
        """Figures or statements with the index they have in the file."""
        items: Sequence[Figure | Statement] = getattr(self.record, kind)
        return zip(self.origin[kind], items, strict=True)


class _Reporter:
    """Collects diagnostics for one document, placed by the data path they concern."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.found: list[Diagnostic] = []

    def __call__(
        self,
        loc: Key,
        code: str,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        severity: Severity = "error",
    ) -> None:
        pos = self.doc.position(loc, prefer_key=key)
        self.found.append(
            Diagnostic(self.doc.path, pos.line, pos.col, code, message, hint, severity)
        )


class ClaimLink(NamedTuple):
    """One figure or statement linked to a claim: what the checks across articles need of it
    (where it is, and what a figure counts)."""

    claim: str
    kind: str  # "figures" or "statements"
    number: int  # its index in the file's list
    category: str | None
    unit: str | None


def claim_links(checked: CheckedArticle) -> list[ClaimLink]:
    """The article's figures and statements that link to a claim."""
    links = []
    for kind in _ACTOR_FIELDS:
        for index, item in checked.indexed(kind):
            if item.claim is None:
                continue
            if isinstance(item, Figure):
                links.append(ClaimLink(item.claim, kind, index, item.category, item.unit))
            else:
                links.append(ClaimLink(item.claim, kind, index, None, None))
    return links


def _duplicate_ids(
    report: _Reporter, entries: list[tuple[int, str]], what: str, plural: str
) -> None:
    """A list file's ids are stable and never reused: the second use of one is an error
    that points back at the first."""
    seen: dict[str, int] = {}
    for index, entry_id in entries:
        if entry_id in seen:
            first = report.doc.position((seen[entry_id], "id")).line
            report(
                (index, "id"),
                "duplicate-id",
                f"[{index}].id: {what} id {entry_id!r} is already used at line {first}",
                f"merge the two {plural}, or give this one its own id",
            )
        else:
            seen[entry_id] = index


def check_claims(
    doc: Document, claims: list[tuple[int, Claim]], actors: set[str]
) -> list[Diagnostic]:
    """Rules of data/claims.yaml itself: unique ids, an origin that is in the registry."""
    report = _Reporter(doc)
    _duplicate_ids(report, [(index, claim.id) for index, claim in claims], "claim", "claims")
    for index, claim in claims:
        if claim.origin is not None and claim.origin not in actors:
            _unknown_actor(report, (index, "origin"), claim.origin, actors)
    return report.found


def check_claim_links(
    claims: Mapping[str, Claim], links: list[tuple[str, ClaimLink]]
) -> list[tuple[str, ClaimLink, str, str]]:
    """The figures whose category or unit differs from the first figure of their claim.

    ``links`` are (article file, link) in article order; each finding is (article file,
    link, message, hint), placed by the caller (only then is the file read for positions).
    """
    first: dict[str, tuple[str, ClaimLink]] = {}
    found = []
    for path, link in links:
        if link.kind != "figures" or link.claim not in claims:
            continue
        if claims[link.claim].kind is not ClaimKind.figure:
            continue
        if link.claim not in first:
            first[link.claim] = (path, link)
            continue
        other_path, other = first[link.claim]
        for name in ("category", "unit"):
            mine, theirs = getattr(link, name), getattr(other, name)
            if mine != theirs:
                found.append(
                    (
                        path,
                        link,
                        f"figures[{link.number}].claim: claim {link.claim!r} has {name} "
                        f"{theirs} (figures[{other.number}] of {other_path}), this figure "
                        f"{mine}",
                        "the figures of one claim count the same people in the same unit: "
                        "link this figure to another claim, or correct its " + name,
                    )
                )
    return found


def check_actors(
    doc: Document, actors: list[tuple[int, Actor]], known: set[str] | None = None
) -> list[Diagnostic]:
    """Registry rules: unique ids, affiliations that resolve to an organisation (not the
    actor itself, not a person, not a cycle, each once), date ranges in order.

    ``known`` holds every id the registry declares, including entries that failed to
    parse: their own error is reported once, not again at every affiliation naming them.
    """
    report = _Reporter(doc)
    ids = {actor.id for _, actor in actors}
    known = ids if known is None else known | ids
    kinds = {actor.id: actor.kind for _, actor in actors}
    edges: list[tuple[Key, str, str]] = []
    _duplicate_ids(report, [(index, actor.id) for index, actor in actors], "actor", "entries")
    for index, actor in actors:
        orgs: dict[str, int] = {}
        for number, affiliation in enumerate(actor.affiliations):
            loc = (index, "affiliations", number)
            org = affiliation.org
            _check_order(report, loc, affiliation.start, affiliation.end)
            if org in orgs:
                report(
                    (*loc, "org"),
                    "duplicate-affiliation",
                    f"{dotted(loc)}.org: {org!r} is already affiliations[{orgs[org]}] of "
                    f"{actor.id!r}",
                    "keep one entry per organisation; name both roles in its role",
                )
                continue
            orgs[org] = number
            if org not in known:
                _unknown_actor(report, (*loc, "org"), org, known)
            elif org == actor.id:
                report(
                    (*loc, "org"),
                    "invalid-affiliation",
                    f"{dotted(loc)}.org: {actor.id!r} is affiliated with itself",
                    "name the organisation the actor belongs to",
                )
            elif kinds.get(org) is ActorKind.person:
                report(
                    (*loc, "org"),
                    "invalid-affiliation",
                    f"{dotted(loc)}.org: {org!r} is a person, not an organisation",
                    "affiliate the actor with the body it belongs to",
                )
            elif org in kinds:
                edges.append(((*loc, "org"), actor.id, org))
    _cycles(report, edges)
    _near_duplicates(report, actors)
    return report.found


def _cycles(report: _Reporter, edges: list[tuple[Key, str, str]]) -> None:
    """One error for each group of actors whose memberships go round in a circle.

    Actors that belong to nothing, and then those nothing belongs to, are peeled off until
    none is left to peel: what remains lies on a cycle or between cycles. Each connected
    group of it is reported once, at its first affiliation in the file.
    """
    members: dict[str, set[str]] = {}
    holders: dict[str, set[str]] = {}
    for _, actor, org in edges:
        members.setdefault(actor, set()).add(org)
        holders.setdefault(org, set()).add(actor)
    for graph, other in ((members, holders), (holders, members)):
        nodes = set(members) | set(holders)
        leaves = [node for node in nodes if not graph.get(node)]
        while leaves:
            node = leaves.pop()
            for neighbour in other.pop(node, set()):
                graph[neighbour].discard(node)
                if not graph[neighbour]:
                    leaves.append(neighbour)
            graph.pop(node, None)
    remaining = [(loc, a, b) for loc, a, b in edges if b in members.get(a, set())]
    group: dict[str, str] = {}

    def leader(node: str) -> str:
        while group.get(node, node) != node:
            node = group[node]
        return node

    for _, actor, org in remaining:
        group[leader(actor)] = leader(org)
    reported: set[str] = set()
    for loc, actor, _ in remaining:
        top = leader(actor)
        if top in reported:
            continue
        reported.add(top)
        circle = sorted({a for _, a, _ in remaining if leader(a) == top})
        report(
            loc,
            "invalid-affiliation",
            f"{dotted(loc)}: memberships go round in a circle among {', '.join(circle)}",
            "an organisation cannot belong, directly or not, to its own members: remove one "
            "of the affiliations",
        )


_STOP = frozenset({"the", "of", "and", "for", "in", "on"})
_SIMILAR = 0.92  # 23/25, which _Entered.first_close counts in integers
# A name is compared with at most this many names of a bucket: a registry of thousands of
# bodies sharing one last word ("Ministry") would otherwise cost a comparison per pair.
_BUCKET_LIMIT = 100


_NAME_WORD = re.compile(r"[a-z0-9]+")


def name_key(name: str) -> tuple[str, ...]:
    """Words of a name, case- and accent-folded, to compare names across spellings. (An
    ASCII name has no accents to fold, and its case folds as ``lower`` folds it: most names
    of a large registry skip the Unicode tables.)"""
    if name.isascii():
        folded = name.lower()
    else:
        folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return tuple(word for word in _NAME_WORD.findall(folded) if word not in _STOP)


# What the texts of folded names are made of (name_key's words, joined by spaces).
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 "
_SLOT = {char: slot for slot, char in enumerate(_ALPHABET)}
_WIDTH = len(_ALPHABET)
_ONCE = (1 << _WIDTH) - 1


def _profile(text: str) -> int:
    """A text's characters as a multiset, in one integer: the bit of a character's slot in
    the k-th group of ``_WIDTH`` bits is set when the character occurs more than k times.
    The bits two profiles share count the characters the texts have in common, repeats
    included (what difflib's quick_ratio counts), in one AND; the first group is which
    characters a text has."""
    profile = 0
    for char_count in Counter(text).items():
        profile |= _bits(*char_count)
    return profile


@functools.lru_cache(maxsize=4096)
def _bits(char: str, count: int) -> int:
    """A character's bits in a profile where it occurs ``count`` times: few characters and
    counts occur, and a registry has a profile per name."""
    every_group = ((1 << (_WIDTH * count)) - 1) // _ONCE
    return every_group << _SLOT[char]


class _Name(NamedTuple):
    """A folded name, with what comparing it needs computed once rather than per pair: a
    registry of 100,000 actors compares millions of pairs."""

    words: tuple[str, ...]
    profile: int  # see _profile

    @classmethod
    def of(cls, words: tuple[str, ...]) -> _Name:
        # Shared words (first names, common surnames) are held once, not once per name.
        return cls(tuple(map(sys.intern, words)), _profile(" ".join(words)))

    @property
    def text(self) -> str:
        """The name as compared for spelling; made when asked, for the few pairs that get
        that far, rather than held for every name of the registry."""
        return " ".join(self.words)


def _close(a: _Name, b: _Name, people: bool) -> bool:
    """Whether two folded names probably name one actor.

    Same words in any order, or a near-identical spelling; for two people also one name's
    words inside the other's ("Rex Tillerson", "Rex W. Tillerson") or a bare surname. Looser
    rules would flag the many bodies whose names differ by one word ("Ministry of Foreign
    Affairs" and "Ministry of Internal Affairs").
    """
    if set(a.words) == set(b.words):
        return True
    if people:
        small, large = sorted((set(a.words), set(b.words)), key=len)
        if small <= large and (len(small) >= 2 or a.words[-1:] == b.words[-1:]):
            return True
    # difflib's ratio is slow. Two upper bounds of it rule out almost every pair first:
    # its quick_ratio (the characters in common), then the longest common subsequence,
    # which every set of matching blocks difflib finds is one of.
    both = len(a.text) + len(b.text)
    if 2 * (a.profile & b.profile).bit_count() < _SIMILAR * both:
        return False
    if 2 * _common_subsequence(a.text, b.text) < _SIMILAR * both:
        return False
    return difflib.SequenceMatcher(None, a.text, b.text).ratio() >= _SIMILAR


def _common_subsequence(a: str, b: str) -> int:
    """The length of the longest common subsequence of two texts, in one pass over ``b``
    with a bit per character of ``a`` (Allison and Dix's bit-parallel method, in Hyyrö's
    form): a few integer operations a character where difflib's ratio takes a hundred
    microseconds a pair, for the pairs of names close in characters but not in order."""
    masks: dict[str, int] = {}
    for place, char in enumerate(a):
        masks[char] = masks.get(char, 0) | 1 << place
    every = (1 << len(a)) - 1
    row = every
    for char in b:
        matched = row & masks.get(char, 0)
        row = (row + matched) | (row - matched)
    # Each place of ``a`` that ends a longer common subsequence than the one before it
    # has its bit cleared.
    return len(a) - (row & every).bit_count()


def _buckets(key: tuple[str, ...], person: bool) -> set[tuple[str, ...]]:
    """Keys that two close names share. A name's last word; for a person, also every pair
    of its words ("rex w tillerson" and "rex tillerson" share (rex, tillerson)) and the
    first three letters of each word, which survive most typos. Buckets stay small as the
    registry grows, so no name is compared with every other."""
    keys: set[tuple[str, ...]] = {("last", key[-1])}
    if person:
        keys |= {(a, b) for i, a in enumerate(key) for b in key[i + 1 :]}
        keys.add(("prefix", *sorted(sys.intern(word[:3]) for word in key)))
    return keys


def _near_duplicates(report: _Reporter, actors: list[tuple[int, Actor]]) -> None:
    """Warn when a later entry's name is close to an earlier one's.

    Each name is compared with the names already in its buckets (the first
    ``_BUCKET_LIMIT`` of each), in bucket order, and the first close one is reported. Which
    pairs are compared, and what ``_close`` says of each, is the rule; the quick bounds of
    ``_Entered.first_close`` only spare most pairs of a full bucket the full comparison and
    never change a warning (tests/test_near_duplicates.py holds it to a plain comparison
    of every pair). A bucket holds the entries of its names (``_Entered.add``), and a bucket
    of one name its entry alone: most buckets (a surname of one actor) never grow, and at
    100,000 actors a list each would cost tens of megabytes.

    Past ``_BUCKET_LIMIT`` names a bucket takes no more, so a registry with more than a
    hundred people of one first name and surname compares each new one with the first
    hundred of them only (its other buckets still compare it in full): a name costs at most
    a hundred comparisons for each of its buckets however the registry grows.
    """
    entered = _Entered()
    buckets: dict[tuple[str, ...], _Entry | list[_Entry]] = {}
    for index, actor in actors:
        person = actor.kind is ActorKind.person
        keys = {name_key(n) for n in (actor.name, *actor.aliases)} - {()}
        match = None
        for name in map(_Name.of, sorted(keys)):
            entry = entered.add(index, actor, person, name)
            # A pair of names shares several buckets; compare it once.
            seen: set[int] = set()
            for bucket in sorted(_buckets(name.words, person)):
                held = buckets.get(bucket)
                if held is None:
                    buckets[bucket] = entry
                    continue
                if isinstance(held, tuple):
                    buckets[bucket] = [held, entry]
                    held = [held]
                elif len(held) < _BUCKET_LIMIT:  # later entries are never compared
                    held.append(entry)
                    held = held[:-1]
                if match is None:
                    match = entered.first_close(entry, held, seen)
        if match is not None:
            _warn_near(report, index, actor, *match)


# A name as a bucket holds it: what a bucket's scan reads of it, and its number.
_Entry = tuple[int, int, int, int]  # profile, 23 times the text's length, words, number


class _Entered:
    """The names entered in buckets, by number.

    A bucket's scan reads three things of each of its names, and a name is in several
    buckets: they are held in one tuple per name (``_Entry``), which every bucket of the
    name shares and the scan unpacks in one step (against reading three lists by number,
    a third less time at 100,000 actors, where full buckets make the scan most of the
    registry's checks)."""

    def __init__(self) -> None:
        self.names: list[tuple[int, Actor, bool, _Name]] = []  # index, actor, person, name

    def add(self, index: int, actor: Actor, person: bool, name: _Name) -> _Entry:
        """Enter a name: its entry for the buckets.

        The entry holds the name's profile; a bit for each word's hash, so that one name's
        words within another's have their bits within the other's; and 23 times its text's
        length, since two names may be spelled alike (a ratio of 0.92, 23/25, or more) only
        when 50 times their characters in common reach 23 times both lengths."""
        words = 0
        for word in name.words:
            words |= 1 << (hash(word) & 255)
        self.names.append((index, actor, person, name))
        return name.profile, 23 * len(name.text), words, len(self.names) - 1

    def first_close(
        self, entry: _Entry, entries: list[_Entry], seen: set[int]
    ) -> tuple[int, Actor] | None:
        """The first of a bucket's names (not already compared, not of the same actor)
        close to the entry's name: its entry's index and actor.

        A full bucket holds a hundred names, nearly all far from this one: they are set
        aside first by what ``_close`` would say, told in a few operations each — too few
        characters in common to be spelled alike, and neither name's words within the
        other's (so not the same words either)."""
        profile, weight, mine, number = entry
        _, actor, person, name = self.names[number]
        for other_number in [
            n
            for p, size, words, n in entries
            if 50 * (p & profile).bit_count() >= weight + size
            or (both := words | mine) == mine
            or both == words
        ]:
            if other_number in seen:
                continue
            other_index, other_actor, other_person, other = self.names[other_number]
            if other_actor.id == actor.id:
                continue
            seen.add(other_number)
            if _close(name, other, person and other_person):
                return other_index, other_actor
        return None


def _warn_near(report: _Reporter, index: int, actor: Actor, other_index: int, other: Actor) -> None:
    line = report.doc.position((other_index, "id")).line
    report(
        (index, "name"),
        "actor-near-duplicate",
        f"[{index}]: {actor.name!r} is close to {other.name!r} ({other.id}, line {line})",
        f"if they are one actor, use {other.id} and add this name as an alias; if not, make "
        "the names tell them apart",
        severity="warning",
    )


def _unknown_actor(report: _Reporter, loc: Key, actor_id: str, ids: set[str]) -> None:
    report(
        loc,
        "unknown-actor",
        f"{dotted(loc)}: no actor {actor_id!r} in data/actors.yaml",
        suggest(actor_id, ids) or "add the actor to data/actors.yaml",
        key=loc[0] == "mentions",
    )


def _check_order(report: _Reporter, loc: Key, start: str | None, end: str | None) -> None:
    if start and end and date_bounds(start)[1] > date_bounds(end)[2]:
        report(
            (*loc, "end"), "date-order", f"{dotted(loc)}: ends ({end}) before it starts ({start})"
        )


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety"
_UNITS = {word: value for value, word in enumerate(_ONES.split())} | {
    word: 10 * (index + 2) for index, word in enumerate(_TENS.split())
}
_MULTIPLIERS = {"dozen": 12, "hundred": 100, "thousand": 1000, "million": 1_000_000}
# Every word numbers_in reads as (part of) a number; the coverage report looks for them too.
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_MULTIPLIERS)


_DIGIT_RUN = re.compile(r"\d[\d,]*\d|\d")
_WORD = re.compile(r"[a-z]+")


def _in_digits(text: str) -> set[int]:
    # A run of digits longer than any count is not a count (and int() refuses 4,300 digits).
    runs = (m.replace(",", "") for m in _DIGIT_RUN.findall(text))
    return {int(run) for run in runs if len(run) <= 20}


def _writes_in_digits(text: str, value: int) -> bool:
    """Whether ``value`` is in ``_in_digits(text)``, answered without reading every run in
    the common case: its digits occur with neither a digit (``\\d``: any decimal digit) nor
    a comma either side, which makes them a whole run of their own."""
    digits = str(value)
    at = text.find(digits) if len(digits) <= 20 else -1  # (longer runs are no count)
    while at != -1:
        end = at + len(digits)
        before = text[at - 1] if at else ""
        after = text[end] if end < len(text) else ""
        if not (before.isdecimal() or before == "," or after.isdecimal() or after == ","):
            return True
        at = text.find(digits, at + 1)
    return value in _in_digits(text)


def numbers_in(text: str) -> set[int]:
    """Every number a passage writes, in digits ("1,000") or words ("two hundred and five",
    "a dozen"), so a figure's value can be checked against its own evidence."""
    return _in_digits(text) | _in_words(text)


def _in_words(text: str) -> set[int]:
    found: set[int] = set()
    tokens = _WORD.findall(text.lower())
    total = current = 0
    active = False
    for index, word in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else ""
        if word in _UNITS:
            current += _UNITS[word]
            active = True
        elif word in ("a", "an") and not active and following in _MULTIPLIERS:
            current, active = 1, True
        elif word in _MULTIPLIERS and active:
            current *= _MULTIPLIERS[word]
            if _MULTIPLIERS[word] >= 1000:
                total, current = total + current, 0
        elif not (word == "and" and active and following in _UNITS):
            if active:
                found.add(total + current)
            total = current = 0
            active = False
    if active:
        found.add(total + current)
    return found


def check_article(
    doc: Document,
    article: Article,
    origin: dict[str, list[int]],
    root: Path,
    names: dict[str, str],
    known: set[str] | None,
    claims: Mapping[str, ClaimKind | None] | None,
    checked_folders: set[str] | None = None,
) -> tuple[CheckedArticle | None, list[Diagnostic]]:
    """Every cross-record rule of one article; the anchored article when the seed is there.

    ``names`` maps the id of every valid registry entry to its name; ``known`` holds every
    id the registry declares, including those of entries that failed to parse: their own
    error is reported once, not again at every reference. ``known`` is None when the
    registry itself could not be read, which its own error reports. ``claims`` maps every
    claim id of data/claims.yaml to its kind (None for an entry that failed to parse),
    likewise; when the file itself cannot be read (None), the links to it are not checked.
    ``checked_folders``: the run's folders found real (``reader.unsafe_path``).
    """
    report = _Reporter(doc)
    article_id = Path(doc.path).stem
    seed_path = f"seeds/{article_id}.txt"
    raw, problems = read_input(
        root, seed_path, SEED_BYTES, if_present=True, checked=checked_folders
    )
    if raw is None and not problems:
        report(
            (),
            "seed-missing",
            f"no seed {seed_path} for this article",
            "name the article file after its seed: seeds/X.txt → data/articles/X.yaml",
        )
        return None, report.found
    if raw is None:
        return None, report.found + problems
    if raw.startswith(b"\xef\xbb\xbf"):
        problem = Diagnostic(
            seed_path,
            1,
            1,
            "seed-bom",
            f"{seed_path} starts with a byte-order mark, which would shift every offset by "
            "one for anyone who reads it as UTF-8",
            "re-save the seed as UTF-8 without a byte-order mark, then update seed_sha256",
        )
        return None, [*report.found, problem]
    text, problems = decode_text(raw, seed_path)
    if text is None:
        return None, report.found + problems
    digest = hashlib.sha256(raw).hexdigest()
    if digest != article.seed_sha256:
        report(
            ("seed_sha256",),
            "seed-changed",
            f"seed_sha256: {seed_path} has sha256 {digest}, not the annotated "
            f"{article.seed_sha256}",
            "seeds are never edited: restore the seed, or re-check every quote and update "
            "seed_sha256",
        )
    checked = CheckedArticle(article_id, article, seed_path, Seed(text), digest, origin=origin)
    _check_references(report, checked, names, known)
    if claims is not None:
        _check_claim_references(report, checked, claims)
    _check_regions(report, checked)
    _check_evidence(report, checked)
    _check_dates(report, checked)
    for index, figure in checked.indexed("figures"):
        assert isinstance(figure, Figure)
        _check_figure(report, index, figure)
    return checked, report.found


_ACTOR_FIELDS = {
    "figures": ("reported_by", "via"),
    "statements": ("speaker", "on_behalf_of", "via"),
}


def _references(checked: CheckedArticle) -> Iterator[tuple[Key, str, bool]]:
    """Every actor reference of an article: (where, actor id, must be mentioned)."""
    article = checked.record
    if article.publisher:
        yield ("publisher",), article.publisher, False
    for actor_id in article.mentions:
        yield ("mentions", actor_id), actor_id, False
    for kind, names in _ACTOR_FIELDS.items():
        for index, item in checked.indexed(kind):
            for name in names:
                if value := getattr(item, name):
                    yield (kind, index, name), value, True
            addressees = item.addressees if isinstance(item, Statement) else ()
            for number, addressee in enumerate(addressees):
                yield (kind, index, "addressees", number), addressee, True


def _references_resolve(checked: CheckedArticle, known: set[str] | None) -> bool:
    """Whether every actor reference is known (or ``known`` is None) and every one that must
    be mentioned is: then ``_check_references`` has nothing to say of them, which this
    tells without a location for each. (A mentioned id is known once the mentions are.)"""
    article = checked.record
    mentions = article.mentions
    if known is not None and (
        (article.publisher and article.publisher not in known) or not known.issuperset(mentions)
    ):
        return False
    for kind, names in _ACTOR_FIELDS.items():
        for item in getattr(article, kind):
            for name in names:
                value = getattr(item, name)
                if value and value not in mentions:
                    return False
            for addressee in item.addressees if isinstance(item, Statement) else ():
                if addressee not in mentions:
                    return False
    return True


def _check_references(
    report: _Reporter, checked: CheckedArticle, names: dict[str, str], known: set[str] | None
) -> None:
    article = checked.record
    references = () if _references_resolve(checked, known) else _references(checked)
    for loc, actor_id, must_mention in references:
        if known is not None and actor_id not in known:
            _unknown_actor(report, loc, actor_id, known)
        elif must_mention and actor_id not in article.mentions and actor_id in names:
            report(
                loc,
                "actor-not-mentioned",
                f"{dotted(loc)}: {actor_id!r} is not in this article's mentions",
                f"add to mentions: '{actor_id}: <where the article names {names[actor_id]}>'",
            )
    seen: dict[str, tuple[str, int]] = {}
    for kind in _ACTOR_FIELDS:
        for index, item in checked.indexed(kind):
            if item.id in seen:
                first_kind, first_index = seen[item.id]
                report(
                    (kind, index, "id"),
                    "duplicate-id",
                    f"{kind}[{index}].id: {item.id!r} is already the id of "
                    f"{first_kind}[{first_index}]",
                    "ids are unique within an article, across figures and statements",
                )
            else:
                seen[item.id] = (kind, index)


def _check_claim_references(
    report: _Reporter, checked: CheckedArticle, claims: Mapping[str, ClaimKind | None]
) -> None:
    for link in claim_links(checked):
        loc = (link.kind, link.number, "claim")
        wanted = ClaimKind.figure if link.kind == "figures" else ClaimKind.statement
        if link.claim not in claims:
            report(
                loc,
                "unknown-claim",
                f"{dotted(loc)}: no claim {link.claim!r} in data/claims.yaml",
                suggest(link.claim, claims)
                or f"add it to data/claims.yaml with kind: {wanted.value}",
            )
        elif claims[link.claim] not in (None, wanted):
            record = link.kind.removesuffix("s")
            report(
                loc,
                "claim-kind",
                f"{dotted(loc)}: {link.claim!r} is a {claims[link.claim]} claim; a {record} "
                f"links only to a {wanted.value} claim",
                f"link it to a claim of kind: {wanted.value}",
            )


def _check_regions(report: _Reporter, checked: CheckedArticle) -> None:
    seed = checked.seed
    ranges: list[tuple[Key, str]] = [
        (("excluded", i, "lines"), e.lines) for i, e in enumerate(checked.record.excluded)
    ] + [(("block_quotes", i), lines) for i, lines in enumerate(checked.record.block_quotes)]
    for loc, lines in ranges:
        first, last = line_range(lines)
        if first > last or last > seed.line_count:
            report(
                loc,
                "line-range",
                f"{loc[0]}[{loc[1]}]: lines {lines} are not within the seed's "
                f"{seed.line_count} lines in order",
                "write N-M with N <= M, counting lines from 1",
            )
            continue
        target = checked.excluded if loc[0] == "excluded" else checked.block_quotes
        target.append(seed.lines_span(first, last))


def _overlaps(span: Span, regions: list[tuple[int, int]]) -> bool:
    # A loop rather than any(): it runs for every quote against every excluded region.
    for start, end in regions:  # noqa: SIM110
        if span.start < end and start < span.end:
            return True
    return False


def _within(span: Span, regions: list[tuple[int, int]]) -> bool:
    return any(start <= span.start and span.end <= end for start, end in regions)


# How many places a quote-ambiguous message lists: a short quote can occur hundreds of times.
_PLACES = 5


def _places(seed: Seed, spans: list[Span]) -> str:
    shown = "; ".join(
        f"occurrence {n} at seed line {seed.line_of(s.start)[0]}:{seed.line_of(s.start)[1]}"
        for n, s in enumerate(spans[:_PLACES], 1)
    )
    more = len(spans) - _PLACES
    return shown + (f"; and {more} more" if more > 0 else "")


def _anchor(
    report: _Reporter,
    checked: CheckedArticle,
    loc: Key,
    quote: str,
    occurrence: int | None,
    *,
    first: bool,
) -> Span | None:
    """Find one quote; report why not when it cannot be anchored.

    With ``first``, the first place outside the excluded regions is the answer, so the
    places after it are never searched for (a name can occur many times in its article).
    """
    seed = checked.seed
    if occurrence is None:
        # The common case, settled without a list of places: the place ``find`` would
        # give first, or its one place, outside the excluded regions.
        span = seed.first(quote) if first else seed.only(quote)
        if span is not None and not _overlaps(span, checked.excluded):
            return span
    if first and occurrence is None:
        spans = []
        for span in seed.spans(quote):
            if not _overlaps(span, checked.excluded):
                return span
            spans.append(span)
    else:
        spans = seed.find(quote)
        if len(spans) == 1 and occurrence is None and not _overlaps(spans[0], checked.excluded):
            return spans[0]  # the common case, settled without the reporting below
    where = dotted(loc)
    if not spans:
        line, passage = seed.closest(quote)
        report(
            loc,
            "quote-not-found",
            f"{where}: not found in {checked.seed_path}",
            f"closest passage, at seed line {line}: {passage!r}"
            if passage
            else "no passage of the seed starts or ends like it: copy the text from the seed",
        )
        return None
    outside = [s for s in spans if not _overlaps(s, checked.excluded)]
    if occurrence is not None:
        if occurrence > len(spans):
            report(
                loc,
                "quote-ambiguous",
                f"{where}: occurrence {occurrence} asked for, but the quote occurs "
                f"{len(spans)} time(s): {_places(seed, spans)}",
            )
            return None
        chosen = spans[occurrence - 1]
    elif not outside:
        chosen = spans[0]
    elif first or len(outside) == 1:
        chosen = outside[0]
    else:
        report(
            loc,
            "quote-ambiguous",
            f"{where}: occurs {len(spans)} times in {checked.seed_path}: {_places(seed, spans)}",
            "add occurrence: N to pick one, or lengthen the quote until it is unique",
        )
        return None
    if _overlaps(chosen, checked.excluded):
        line = seed.line_of(chosen.start)[0]
        report(
            loc,
            "quote-excluded",
            f"{where}: the quote lies in an excluded region (seed line {line})",
            "annotate only the article; quote its own text or correct the excluded lines",
        )
        return None
    return chosen


def _published(report: _Reporter, checked: CheckedArticle, loc: Key, span: Span) -> bool:
    """Whether an anchored passage may be published: the seed's own characters go to the
    tables, and a control character a typed quote matched as a space must not."""
    if span.text.isprintable():
        return True
    control = CONTROL.search(span.text)
    if control is None:
        return True
    line, col = checked.seed.line_of(span.start + control.start())
    report(
        loc,
        "control-character",
        f"{dotted(loc)}: the passage of {checked.seed_path} holds the control character "
        f"U+{ord(control.group()):04X} (seed line {line}:{col})",
        "quote a passage without it; the published quote is the seed's own text",
    )
    return False


def _check_evidence(report: _Reporter, checked: CheckedArticle) -> None:
    article, seed, excluded = checked.record, checked.seed, checked.excluded
    # Each quote's common case is settled here, with what ``_anchor`` and ``_published``
    # would settle it with first (a first or only place outside the excluded regions, a
    # printable passage); anything else goes to them, which say why.
    for actor_id, quote in article.mentions.items():
        loc: Key = ("mentions", actor_id)
        span = seed.first(quote)
        if span is None or _overlaps(span, excluded):
            span = _anchor(report, checked, loc, quote, None, first=True)
            if span is None:
                continue
        if span.text.isprintable() or _published(report, checked, loc, span):
            checked.mentions[actor_id] = span
    for kind, spans in (("figures", checked.figures), ("statements", checked.statements)):
        for index, record in checked.indexed(kind):
            loc = (kind, index, "quote")
            span = None if record.occurrence is not None else seed.only(record.quote)
            if span is None or _overlaps(span, excluded):
                span = _anchor(report, checked, loc, record.quote, record.occurrence, first=False)
                if span is None:
                    continue
            if not (span.text.isprintable() or _published(report, checked, loc, span)):
                continue
            spans.append(span)
            if (
                isinstance(record, Statement)
                and record.mode is Mode.direct
                and not checked.seed.in_quotation(span)
                and not _within(span, checked.block_quotes)
            ):
                line = checked.seed.line_of(span.start)[0]
                report(
                    loc,
                    "quote-not-quoted",
                    f"statements[{index}].quote: a direct statement, but the quote (seed "
                    f"line {line}) is not inside quotation marks or a block quote",
                    "quote only the words inside the marks, list the lines under "
                    "block_quotes, or use mode: indirect",
                )
    for index, reviewed in enumerate(article.reviewed):
        loc = ("reviewed", index, "quote")
        span = _anchor(report, checked, loc, reviewed.quote, reviewed.occurrence, first=False)
        if span is not None:
            checked.reviewed.append(span)


def _begins_after(value: str, published: str, latest: date) -> bool:
    """Whether the first day of a date (an ISO 8601 prefix the models accepted) is after
    ``latest``, the last day of ``published``. Two whole dates, the common case, compare
    as text: written YYYY-MM-DD, their order is the calendar's."""
    if len(value) == len(published) == 10 and value <= published:
        return False
    return date_bounds(value)[1] > latest


def _check_dates(report: _Reporter, checked: CheckedArticle) -> None:
    article = checked.record
    published = article.published
    latest = date_bounds(published)[2]

    def not_after(loc: Key, value: str | None) -> None:
        if value and _begins_after(value, published, latest):
            report(
                loc,
                "date-after-publication",
                f"{dotted(loc)}: {value} is after the article's publication ({article.published})",
                "nothing an article reports happens after it was published",
            )

    for index, statement in checked.indexed("statements"):
        assert isinstance(statement, Statement)
        not_after(("statements", index, "said"), statement.said)
    for index, figure in checked.indexed("figures"):
        if isinstance(figure, Figure) and figure.period:
            loc = ("figures", index, "period")
            _check_order(report, loc, figure.period.start, figure.period.end)
            not_after((*loc, "start"), figure.period.start)
            not_after((*loc, "end"), figure.period.end)


def _check_figure(report: _Reporter, index: int, figure: Figure) -> None:
    loc = ("figures", index, "value")
    # numbers_in's two halves, the words read only when the digits do not give the value.
    if not _writes_in_digits(figure.quote, figure.value) and figure.value not in _in_words(
        figure.quote
    ):
        report(
            loc,
            "figure-value",
            f"figures[{index}].value: {figure.value} is not written in the figure's quote",
            "quote the passage that gives the number (digits or words)",
        )
    if figure.qualifier is Qualifier.fewer_than and figure.value == 0:
        report(loc, "figure-value", f"figures[{index}]: fewer than 0 cannot count anyone")
