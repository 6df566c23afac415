"""Write a synthetic chechnya-purges dataset of N articles, the same every time for the same N.

    python benchmarks/generate.py 1000 /tmp/corpus-1000

Each seed is a 4-6 KB invented article: a dateline and byline, paragraphs, quotations in
curly quotes that run over paragraphs, apostrophes, no-break spaces, a statement reproduced
as a block quote, and page furniture (related stories, reader comments with numbers) that
the record excludes. Each record has about 10 figures, 15 statements and 15 mentions, typed
as a contributor types them (straight quotes, plain spaces), so every quote anchors only
through the forgiving match. The actor registry grows with N. The corpus passes `validate`:
it exercises every check the real data does.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

NBSP = "\u00a0"
FIRST = [
    "Ana",
    "Boris",
    "Chen",
    "Dara",
    "Elif",
    "Femi",
    "Galina",
    "Hugo",
    "Irina",
    "Jamal",
    "Kira",
    "Lev",
    "Maya",
    "Nadia",
    "Omar",
    "Pavel",
    "Quinn",
    "Rosa",
    "Sami",
    "Tamar",
    "Umar",
    "Vera",
    "Wen",
    "Yara",
    "Zoya",
]
LAST = [
    "Abbott",
    "Baranov",
    "Costa",
    "Dvorak",
    "Evans",
    "Farouk",
    "Grant",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kovacs",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rahman",
    "Sato",
    "Tanaka",
    "Ueda",
    "Volkov",
    "Weber",
    "Yilmaz",
    "Zhang",
]
BODIES = [
    "Ministry of Justice",
    "Human Rights Council",
    "Refugee Agency",
    "Press Union",
    "Bar Association",
    "Helsinki Group",
    "Memorial Society",
    "Parliamentary Committee",
    "Ombudsman Office",
]
COUNTRIES = [
    "Arvania",
    "Belmont",
    "Corvia",
    "Dravania",
    "Estoria",
    "Fennmark",
    "Galdora",
    "Hestia",
    "Ilyria",
    "Jovania",
    "Karsk",
    "Lumora",
]
PLACES = [
    "Argun",
    "Gudermes",
    "Shali",
    "Urus-Martan",
    "Kurchaloy",
    "Achkhoy",
    "Naur",
    "Itum-Kali",
    "Vedeno",
    "Shelkovskaya",
    "Nozhay-Yurt",
    "Sharoy",
]
CATEGORIES = ["detained", "killed", "tortured", "disappeared", "released", "fled", "granted_refuge"]
QUALIFIERS = [
    ("more than", "more_than"),
    ("at least", "at_least"),
    ("about", "approximately"),
    ("up to", "at_most"),
    ("fewer than", "fewer_than"),
    ("", "exact"),
]
VERBS = {
    "detained": "had been detained",
    "killed": "had been killed",
    "tortured": "had been tortured",
    "disappeared": "had disappeared",
    "released": "had been released",
    "fled": "had fled",
    "granted_refuge": "had been granted refuge",
}
ACTS = [
    ("condemn", "We condemn the detentions in {place} without reservation"),
    ("express_concern", "We are deeply troubled by what we hear from {place}"),
    ("urge_investigation", "We urge a prompt and credible investigation into events in {place}"),
    ("urge_action", "We call on the authorities to release everyone held in {place}"),
    ("deny", "Nobody has been detained in {place} and the reports are false"),
    ("dispute", "We doubt the official account of what happened in {place}"),
    ("report", "Our monitors have documented the arrests in {place} since the spring"),
    ("support", "We stand with the people of {place} and those who help them"),
]


def registry_size(n: int) -> int:
    """The registry grows with the corpus, as a real one would (about one actor an article)."""
    return 40 + n


_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "tu",
    "sel",
    "van",
    "dor",
    "lin",
    "bek",
    "ash",
    "vo",
    "ri",
    "zan",
    "mu",
    "pel",
    "tor",
    "gi",
    "nas",
    "el",
    "ub",
]


def _surname(index: int) -> str:
    """A made-up surname unique to the index, distinct enough not to look like a typo."""
    parts = []
    while True:
        index, digit = divmod(index, len(_SYLLABLES))
        parts.append(_SYLLABLES[digit])
        if index == 0:
            break
    return "".join(reversed(parts)).capitalize() + "ova"[: len(parts) % 3]


@functools.cache
def actor(index: int) -> tuple[str, str, str, str | None]:
    """Id, name, kind and country of the index-th actor (the same for every N)."""
    rng = random.Random(f"actor-{index}")
    if index % 3:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{_surname(index)}"
        kind = "person"
    else:
        name = f"{rng.choice(BODIES)} of {rng.choice(COUNTRIES)} {_surname(index)}"
        kind = "government" if "Ministry" in name or "Committee" in name else "ngo"
    slug = "-".join(name.lower().split())
    return slug, name, kind, rng.choice(["RU", "US", "GB", "FR", "DE", None])


def _actors_yaml(count: int) -> str:
    lines = ["# Synthetic registry written by benchmarks/generate.py."]
    for index in range(count):
        slug, name, kind, country = actor(index)
        lines += [f"- id: {slug}", f"  name: {name}", f"  kind: {kind}"]
        if country:
            lines.append(f"  country: {country}")
        if index % 7 == 0:
            lines.append(f"  aliases: [{name.split()[-1]}]")
    return "\n".join(lines) + "\n"


def _typed(text: str) -> str:
    """How a contributor types a passage: straight quotes, plain spaces, hyphens."""
    for fancy, plain in (
        ("\u2019", "'"),
        ("\u201c", '"'),
        ("\u201d", '"'),
        (NBSP, " "),
        ("\u2014", "-"),
    ):
        text = text.replace(fancy, plain)
    return text


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def article(number: int, n_actors: int) -> tuple[str, str]:
    """The seed text and the record of one article."""
    rng = random.Random(f"article-{number}")
    published = date(2017, 1, 1) + timedelta(days=rng.randrange(900))
    cast = rng.sample(range(n_actors), 15)
    names = {i: actor(i)[1] for i in cast}
    ids = {i: actor(i)[0] for i in cast}
    author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    paragraphs: list[str] = []
    figures: list[str] = []
    statements: list[str] = []

    paragraphs.append(
        f"Officials in {rng.choice(PLACES)} face questions over detentions (report {number})"
    )
    paragraphs.append(f"{published:%B} {published.day}, {published.year} | by {author}")
    opening = (
        f"Rights monitors say the pressure on gay men in the region has not eased, and "
        f"witnesses describe arrests at checkpoints, phones searched for names, and "
        f"families told to keep silent.{NBSP}The reports could not be independently "
        f"verified."
    )
    paragraphs.append(opening)

    for k in range(10):
        speaker = cast[k % 15]
        words, qualifier = QUALIFIERS[k % len(QUALIFIERS)]
        value = 10 + k * 7 + number % 5
        category = CATEGORIES[k % len(CATEGORIES)]
        place = f"{PLACES[k % len(PLACES)]} district {k + 1}"
        counted = f"{words} {value}".strip()
        sentence = (
            f"According to {names[speaker]}, {counted}{NBSP}people {VERBS[category]} "
            f"in {place} since the start of the month, a figure that local officials "
            f"have not disputed in public."
        )
        paragraphs.append(sentence)
        quote = f"{counted}{NBSP}people {VERBS[category]} in {place}"
        figures += [
            f"  - id: figure-{k + 1}",
            f"    category: {category}",
            f"    value: {value}",
            f"    qualifier: {qualifier}",
            "    unit: people",
            "    subject: people",
            f"    place: {place}",
            f"    reported_by: {ids[speaker]}",
            f"    quote: {_quoted(_typed(quote))}",
        ]

    for k in range(15):
        speaker = cast[(k + 3) % 15]
        act, template = ACTS[k % len(ACTS)]
        place = f"{PLACES[(k + 5) % len(PLACES)]} ward {k + 1}"
        words = template.format(place=place)
        said = ""
        if k % 3 == 0:
            text = (
                f"\u201c{words}, and we won\u2019t stop saying so,\u201d {names[speaker]} "
                f"told reporters. \u201cThe world is watching.\u201d"
            )
            quote, mode = f"{words}, and we won\u2019t stop saying so,", "direct"
            said = f"    said: {published.isoformat()}\n    said_basis: stated"
        elif k % 3 == 1:
            text = (
                f"In a statement, {names[speaker]} said \u2014 in words echoed by "
                f"others \u2014 that the situation in {place} was grave."
            )
            quote, mode = (
                f"{names[speaker]} said \u2014 in words echoed by others \u2014 that "
                f"the situation in {place} was grave.",
                "indirect",
            )
        else:
            text = (
                f"\u201c{words}.\n\n\u201cWe will keep a record of every case,\u201d "
                f"{names[speaker]} wrote."
            )
            quote, mode = f"{words}.\n\n\u201cWe will keep a record of every case,", "direct"
        paragraphs.append(text)
        statements += [
            f"  - id: statement-{k + 1}",
            f"    speaker: {ids[speaker]}",
            f"    act: {act}",
            f"    mode: {mode}",
            "    medium: unknown",
            f"    quote: {_quoted(_typed(quote))}",
        ]
        if said:
            statements.append(said)

    paragraphs.append("The committee\u2019s statement reads:")
    block = (
        f"The committee has reviewed the accounts from {PLACES[number % len(PLACES)]} "
        f"and asks the authorities to open every detention record to inspection."
    )
    paragraphs.append(block)
    speaker = cast[14]
    statements += [
        "  - id: statement-block",
        f"    speaker: {ids[speaker]}",
        "    act: urge_action",
        "    mode: direct",
        "    medium: statement",
        f"    quote: {_quoted('asks the authorities to open every detention record')}",
    ]
    furniture = [
        "Related stories",
        f"Ten years of reporting from {rng.choice(PLACES)}",
        "Reader comments",
        f"Anonymous: I heard that {rng.randrange(200, 900)} people were held, not fewer.",
    ]
    body = "\n\n".join(paragraphs)
    text = body + "\n\n" + "\n".join(furniture) + "\n"
    block_line = body.count("\n", 0, body.index(block)) + 1
    first_furniture = body.count("\n") + 3

    mentions = [f"  {ids[i]}: {_quoted(names[i])}" for i in cast]
    record = (
        "\n".join(
            [
                f"seed_sha256: {hashlib.sha256(text.encode()).hexdigest()}",
                "kind: news_article",
                f"title: {_quoted(paragraphs[0])}",
                f"authors: [{_quoted(author)}]",
                "language: en",
                f"published: {published.isoformat()}",
                "published_basis: stated",
                "excluded:",
                f"  - lines: {first_furniture}-{first_furniture + 1}",
                "    reason: related_content",
                f"  - lines: {first_furniture + 2}-{first_furniture + 3}",
                "    reason: reader_comments",
                f'block_quotes: ["{block_line}"]',
                "mentions:",
                *mentions,
                "figures:",
                *figures,
                "statements:",
                *statements,
            ]
        )
        + "\n"
    )
    return text, record


# Articles per task of the process pool; below this many articles in all, one process writes
# them (starting workers would cost more than it saves).
CHUNK = 2000


def _write_articles(root: Path, numbers: range, count: int) -> None:
    """Write the seeds and records of some articles. Each file depends only on its article's
    number and the registry's size, so any split of the work writes the same bytes."""
    for number in numbers:
        text, record = article(number, count)
        stem = f"{number:05d}_synthetic"
        (root / "seeds" / f"{stem}.txt").write_text(text, encoding="utf-8")
        (root / "data" / "articles" / f"{stem}.yaml").write_text(record, encoding="utf-8")


def generate(n: int, root: Path, workers: int | None = None) -> None:
    """Write the corpus of n articles under root (data/, seeds/), over ``workers`` processes
    (one per core unless told): 100,000 articles are 200,000 files."""
    (root / "data" / "articles").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(exist_ok=True)
    count = registry_size(n)
    (root / "data" / "actors.yaml").write_text(_actors_yaml(count), encoding="utf-8")
    chunks = [range(start, min(start + CHUNK, n)) for start in range(0, n, CHUNK)]
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 2 or len(chunks) < 2:
        _write_articles(root, range(n), count)
        return
    with ProcessPoolExecutor(min(workers, len(chunks))) as pool:
        for done in [pool.submit(_write_articles, root, chunk, count) for chunk in chunks]:
            done.result()


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
