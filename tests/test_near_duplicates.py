"""The near-duplicate names check tells apart at scale exactly what comparing every pair of
a bucket plainly would: the bounds that make a registry of 100,000 actors quick to check
must never change a warning."""

from __future__ import annotations

import difflib
import random
import re
import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from chechnya_purges import checks, dataset
from chechnya_purges.checks import _near_duplicates, _profile, _Reporter, name_key
from chechnya_purges.dataset import validate
from chechnya_purges.models import Actor, ActorKind
from chechnya_purges.reader import Document

# Few words and letters, so that buckets fill and names share words and spellings.
_WORDS = ["ana", "anna", "lind", "linda", "rosa", "ros", "mara", "marra", "of", "x1"]


def _plain_close(a: tuple[str, ...], b: tuple[str, ...], people: bool) -> bool:
    """The rule as its docstring states it, without any bound."""
    if set(a) == set(b):
        return True
    if people:
        small, large = sorted((set(a), set(b)), key=len)
        if small <= large and (len(small) >= 2 or a[-1:] == b[-1:]):
            return True
    return difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= 0.92


def _plain_warnings(actors: list[tuple[int, Actor]], limit: int) -> list[tuple[int, int]]:
    """(index, index of the earlier entry named) for every warning: each name compared with
    the first ``limit`` names of each of its buckets, in order, the first close one named."""
    buckets: dict[tuple[str, ...], list[tuple[int, Actor, tuple[str, ...]]]] = {}
    found = []
    for index, actor in actors:
        person = actor.kind is ActorKind.person
        match = None
        for words in sorted({name_key(n) for n in (actor.name, *actor.aliases)} - {()}):
            seen = set()
            for bucket in sorted(checks._buckets(words, person)):
                entries = buckets.setdefault(bucket, [])
                for other_index, other, other_words in entries[:limit] if match is None else ():
                    if (other_index, other_words) in seen or other.id == actor.id:
                        continue
                    seen.add((other_index, other_words))
                    both = person and other.kind is ActorKind.person
                    if _plain_close(words, other_words, both):
                        match = other_index
                        break
                if len(entries) < limit:
                    entries.append((index, actor, words))
        if match is not None:
            found.append((index, match))
    return found


_names = st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4).map(
    lambda words: " ".join(word.capitalize() for word in words)
)
_actors = st.lists(
    st.tuples(
        _names,
        st.sampled_from([ActorKind.person, ActorKind.ngo]),
        st.lists(_names, max_size=2),
        st.integers(0, 30),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200)
@given(entries=_actors, limit=st.sampled_from([2, 3, 100]))
def test_the_warnings_are_those_of_comparing_each_bucket_plainly(
    entries: list[tuple[str, ActorKind, list[str], int]], limit: int
) -> None:
    actors = [
        (index, Actor(id=f"a{number}", name=name, kind=kind, aliases=aliases))
        for index, (name, kind, aliases, number) in enumerate(entries)
    ]
    report = _Reporter(Document("data/actors.yaml"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "_BUCKET_LIMIT", limit)
        _near_duplicates(report, actors)
    named = [
        (int(d.message[1 : d.message.index("]")]), d.message.split("(a")[-1].split(",")[0])
        for d in report.found
    ]
    expected = [
        (index, f"{actors[other][1].id[1:]}") for index, other in _plain_warnings(actors, limit)
    ]
    assert named == expected


_texts = st.lists(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789 "), max_size=60).map(
    "".join
)


@given(_texts, _texts)
def test_two_profiles_share_the_characters_two_texts_share(a: str, b: str) -> None:
    assert (_profile(a) & _profile(b)).bit_count() == (Counter(a) & Counter(b)).total()


@given(st.text(max_size=30) | st.text(string.printable, max_size=30))
def test_a_name_folds_to_the_words_the_unicode_tables_give(name: str) -> None:
    """ASCII names skip the Unicode tables: their words must be those the tables give."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    words = tuple(w for w in re.findall(r"[a-z0-9]+", folded) if w not in checks._STOP)
    assert name_key(name) == words


def _plain_common_subsequence(a: str, b: str) -> int:
    """The textbook table: the longest common subsequence of every pair of prefixes."""
    row = [0] * (len(b) + 1)
    for char in a:
        above = row
        row = [0]
        for place, other in enumerate(b):
            row.append(above[place] + 1 if char == other else max(above[place + 1], row[place]))
    return row[-1]


@settings(max_examples=500)
@given(_texts, _texts)
def test_the_common_subsequence_is_the_textbook_one(a: str, b: str) -> None:
    assert checks._common_subsequence(a, b) == _plain_common_subsequence(a, b)


@given(_texts, _texts)
def test_the_common_subsequence_bounds_difflibs_matches(a: str, b: str) -> None:
    """The bound _close puts before difflib's ratio never rules out a pair difflib would
    call alike."""
    matched = sum(block.size for block in difflib.SequenceMatcher(None, a, b).get_matching_blocks())
    assert matched <= checks._common_subsequence(a, b)


def test_a_full_bucket_still_finds_the_close_names() -> None:
    """150 people of one first name and surname (a bucket past its limit), then misspellings
    of three of them: each is named, as comparing every pair plainly names it."""
    rng = random.Random(16)
    surnames = ["".join(rng.choices(string.ascii_lowercase, k=9)) for _ in range(150)]
    people = [
        Actor(id=f"vera-abbott-{n}", name=f"Vera Abbott-{surname}", kind=ActorKind.person)
        for n, surname in enumerate(surnames)
    ]
    typos = [
        Actor(id=f"typo-{n}", name=f"Vera Abbott-{surnames[n][:-1]}q", kind=ActorKind.person)
        for n in (10, 99, 120)
    ]
    actors = list(enumerate([*people, *typos]))
    report = _Reporter(Document("data/actors.yaml"))
    _near_duplicates(report, actors)
    found = [(int(d.message[1 : d.message.index("]")]), d.message) for d in report.found]
    expected = _plain_warnings(actors, 100)
    assert [index for index, _ in found] == [index for index, _ in expected]
    assert [other for _, other in expected][-3:] == [10, 99, 120]
    assert all(
        f"(vera-abbott-{other}, line 1)" in message
        for (_, message), (_, other) in zip(found, expected, strict=True)
    )


def test_a_long_registry_points_at_the_lines_of_its_problems(mini: Path) -> None:
    """Past a few hundred actors, positions are found by reading one entry again, from
    offsets held as plain numbers: they must still be the file's own lines and columns."""
    registry = mini / "data/actors.yaml"
    rng = random.Random(300)
    surnames = ["".join(rng.choices(string.ascii_lowercase, k=10)) for _ in range(300)]
    entries = [
        f"- id: p{n}\n  name: Ada {surname}\n  kind: person\n" for n, surname in enumerate(surnames)
    ]
    entries[280] = "- id: p280\n  name: Ada Wrongkind\n  kind: persn\n"
    entries[290] = f"- id: p290\n  name: Ada {surnames[150][:-1]}z\n  kind: person\n"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text + "".join(entries), encoding="utf-8")
    before = text.count("\n")
    count = sum(line.startswith("- id: ") for line in text.splitlines())
    result = invoke(mini, "validate", "--no-cache")
    lines = [
        line for line in result.stdout.splitlines() if ": error[" in line or ": warning[" in line
    ]
    kind_line = before + 3 * 280 + 3
    name_line = before + 3 * 290 + 2
    assert lines == [
        f"data/actors.yaml:{kind_line}:9: error[unknown-choice] [{count + 280}].kind: "
        "'persn' is not one of person, government, legislature, party, intergovernmental, "
        "ngo, media, organization, group",
        f"data/actors.yaml:{name_line}:9: warning[actor-near-duplicate] "
        f"[{count + 290}]: 'Ada {surnames[150][:-1]}z' is close to "
        f"'Ada {surnames[150]}' (p150, line {before + 3 * 150 + 1})",
    ]


def test_a_registry_checked_in_a_process_of_its_own_reports_the_same(
    mini: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large registry is read and checked in a process of its own and only its result
    comes back: its problems, their positions and what the articles are checked against
    must be those of a registry checked in the same process."""
    registry = mini / "data/actors.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "- id: ana-diaz-lopez\n  name: Ana Díaz López\n  kind: person\n"
        + "- id: broken\n  name: Broken\n  kind: persn\n",
        encoding="utf-8",
    )
    here = validate(mini, use_cache=False)
    monkeypatch.setattr(dataset, "REGISTRY_APART_FROM", 0)
    apart = validate(mini, use_cache=False)
    assert apart == here
    assert {p.code for p in here.problems} == {"actor-near-duplicate", "unknown-choice"}
