"""Tools for contributors: scaffold an article record, locate a quote, search the registry.

The skeleton is generated from the models, field by field, with each field's description and
vocabulary as its comment, so it can never list a field the validator does not know or miss
one it requires.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._swap import write_atomically
from .checks import name_key
from .dataset import ACTORS, ARTICLE_ID, ARTICLES
from .evidence import Seed
from .models import Actor, Article, Figure, Statement, enum_of, line_range
from .parse import parse_actors, parse_article
from .reader import (
    ARTICLE_BYTES,
    REGISTRY_BYTES,
    SEED_BYTES,
    decode_text,
    read_input,
    read_text,
    read_yaml,
    unsafe_path,
)

__all__ = [
    "ContribError",
    "Located",
    "dateline",
    "find_actors",
    "locate",
    "scaffold",
    "skeleton",
]


class ContribError(Exception):
    """A request a contributor tool refuses, with the reason a person can act on."""


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DATES = [
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}),?\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})\s+{_MONTH}\s+(?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b"),
]
_BYLINE = re.compile(r"\b[Bb]y\s+([A-Z][\w.'\- ]*[\w.])\s*$")


def dateline(line: str) -> str | None:
    """The ISO date a dateline states ("September 5, 2017 at 6:37 pm"), if any."""
    for pattern in _DATES:
        match = pattern.search(line)
        if match is None:
            continue
        month_text = match["month"]
        month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
        try:
            return date(int(match["year"]), month or 0, int(match["day"])).isoformat()
        except ValueError:
            continue
    return None


def _header(text: str) -> tuple[str | None, str | None, list[str]]:
    """Title, dateline date and byline authors read from the first lines of a seed."""
    title = published = None
    authors: list[str] = []
    for line in [line.strip() for line in text.splitlines() if line.strip()][:5]:
        found = dateline(line)
        if found and published is None:
            published = found
            byline = _BYLINE.search(line)
            if byline:
                authors = [byline.group(1)]
        elif title is None and not found:
            title = line
    return title, published, authors


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _comment(model: type[BaseModel], name: str, indent: str) -> list[str]:
    field = model.model_fields[name]
    text = field.description or ""
    vocabulary = enum_of(model, name)
    if vocabulary is not None:
        text += " One of: " + ", ".join(v.value for v in vocabulary) + "."
    text += " Required." if field.is_required() else " Optional."
    return [f"{indent}# {line}" for line in _wrap(text, 96 - len(indent))]


def _wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current]


def _template(model: type[BaseModel], key: str) -> list[str]:
    """A commented-out example item: every field of a figure or statement, described."""
    lines = [f"# {key}:"]
    for number, name in enumerate(model.model_fields):
        lines += _comment(model, name, "#     ")
        lines.append(f"#   {'- ' if number == 0 else '  '}{name}:")
    return lines


def skeleton(article_id: str, text: str, sha256: str) -> str:
    """A ready-to-fill article record for a seed: every field, each with what goes there."""
    title, published, authors = _header(text)
    values: dict[str, Any] = {
        "seed_sha256": sha256,
        "title": title,
        "authors": authors,
        "published": published,
        "published_basis": "stated" if published else None,
    }
    lines = [
        "# yaml-language-server: $schema=../../schema/article.schema.json",
        f"# The annotation of seeds/{article_id}.txt. How to fill it in: CONTRIBUTING.md.",
        "# Check it with: chechnya-purges validate",
    ]
    templates: dict[str, type[BaseModel]] = {"figures": Figure, "statements": Statement}
    for name, field in Article.model_fields.items():
        lines.append("")
        lines += _comment(Article, name, "")
        default = values.get(name)
        if default is None and not field.is_required():
            factory = field.default_factory
            default = factory() if factory is not None else None  # type: ignore[call-arg]
        lines.append(f"{name}: {_scalar(default)}".rstrip())
        if name in templates:
            lines += _template(templates[name], name)
    return "\n".join(lines) + "\n"


def scaffold(root: Path, seed_file: Path) -> tuple[Path, bool]:
    """Write ``data/articles/<stem>.yaml`` for a seed; copy the seed into seeds/ if needed.

    Returns the record's path and whether the seed was copied. Refuses, changing nothing,
    when the record exists, the seed is not UTF-8 text, or another seed has its name.
    """
    if seed_file.suffix != ".txt" or not seed_file.is_file():
        raise ContribError(f"{seed_file}: not a .txt file; a seed is the article's plain text")
    # A seed already in seeds/ is read only as validate reads it: never through a link,
    # whose target's text would otherwise end up in the record's title.
    _, unsafe = unsafe_path(root, f"seeds/{seed_file.name}")
    if unsafe is not None:
        raise ContribError(unsafe.message)
    article_id = seed_file.stem
    if not ARTICLE_ID.match(article_id):
        raise ContribError(
            f"{seed_file.name}: use letters, digits, '-', '_' and '.' in a seed's name"
        )
    record = root / ARTICLES / f"{article_id}.yaml"
    for folder in (ARTICLES, "seeds"):  # a pull request can commit either as a link
        if unsafe_path(root, folder, folder=True)[1] is not None:
            raise ContribError(
                f"{folder} is a symbolic link or not a folder, or is reached through one: "
                "not writing through it"
            )
    if record.exists():
        raise ContribError(
            f"{record.relative_to(root)} already exists: edit it, or delete it to start over"
        )
    try:
        text, problems = read_text(seed_file, str(seed_file))
    except OSError as exc:
        raise ContribError(f"{seed_file}: cannot be read: {exc.strerror or exc}") from exc
    if text is None:
        problem = problems[0]
        raise ContribError(
            f"{seed_file}:{problem.line}:{problem.col}: {problem.message}; a seed must be "
            "UTF-8 text"
        )
    if not text.strip():
        raise ContribError(f"{seed_file}: the file is empty")
    target = root / "seeds" / seed_file.name
    copied = False
    if target.resolve() != seed_file.resolve():
        if target.exists() and target.read_bytes() != seed_file.read_bytes():
            raise ContribError(
                f"seeds/{seed_file.name} already exists with other content; rename the new seed"
            )
        copied = not target.exists()
    try:
        # Each file appears whole or not at all; a record that cannot be written takes back
        # the seed copied for it, so that a full disk changes nothing.
        if copied:
            write_atomically(target, seed_file.read_bytes())
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        record.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(record, skeleton(article_id, text, digest).encode("utf-8"))
    except OSError as exc:
        if copied:
            target.unlink(missing_ok=True)
        raise ContribError(
            f"cannot write the record or its seed: {exc.strerror or exc}; nothing was changed"
        ) from exc
    return record, copied


@dataclass(frozen=True)
class Located:
    """One place a quote anchors in a seed."""

    occurrence: int
    line: int
    col: int
    start: int
    end: int
    text: str
    context: str
    excluded: str | None


def _article_id(root: Path, article: str) -> str:
    """An article id from an id, a file name, or a prefix that names one seed."""
    name = Path(article).name
    for suffix in (".yaml", ".txt"):
        name = name.removesuffix(suffix)
    if (root / "seeds" / f"{name}.txt").is_file():
        return name
    stems = sorted(p.stem for p in (root / "seeds").glob("*.txt"))
    candidates = [stem for stem in stems if stem.startswith(name)]
    if len(candidates) == 1:
        return candidates[0]
    known = ", ".join(candidates) if candidates else ", ".join(stems[:10])
    raise ContribError(f"no single seed seeds/{name}*.txt; articles: {known}")


def _exclusions(root: Path, article_id: str, seed: Seed) -> list[tuple[int, int, str]]:
    """The article's excluded regions, when its record exists and parses (best effort)."""
    doc, problems = read_yaml(root, f"{ARTICLES}/{article_id}.yaml", ARTICLE_BYTES)
    if problems or doc.data is None:
        return []
    article = parse_article(doc)[0]
    regions = []
    for exclusion in article.excluded if article else []:
        first, last = line_range(exclusion.lines)
        if first <= last <= seed.line_count:
            regions.append((*seed.lines_span(first, last), exclusion.reason.value))
    return regions


def locate(root: Path, article: str, quote: str) -> tuple[str, list[Located], str | None]:
    """Where a quote would anchor in an article's seed.

    Returns the seed path, every match (in seed order, numbered as ``occurrence`` counts
    them), and when there is none, the closest passage with its line.
    """
    if not quote.strip():
        raise ContribError("the text to locate is empty: give a few words of the seed")
    article_id = _article_id(root, article)
    seed_path = f"seeds/{article_id}.txt"
    # Only a seed validate would accept is shown: never text read through a link or from a
    # special file, which could come from outside the dataset.
    raw, problems = read_input(root, seed_path, SEED_BYTES)
    if raw is not None and raw.startswith(b"\xef\xbb\xbf"):
        raise ContribError(
            f"{seed_path} starts with a byte-order mark: re-save it as UTF-8 without one"
        )
    text, problems = decode_text(raw, seed_path) if raw is not None else (None, problems)
    if text is None:
        message = problems[0].message
        raise ContribError(message if message.startswith(seed_path) else f"{seed_path}: {message}")
    seed = Seed(text)
    regions = _exclusions(root, article_id, seed)
    found = []
    for number, span in enumerate(seed.find(quote), 1):
        line, col = seed.line_of(span.start)
        line_start, line_end = seed.lines_span(line, line)
        context = text[line_start:line_end].rstrip("\n")
        excluded = next((r for s, e, r in regions if span.start < e and s < span.end), None)
        found.append(Located(number, line, col, span.start, span.end, span.text, context, excluded))
    closest = None
    if not found:
        line, passage = seed.closest(quote)
        closest = (
            f"closest passage, at seed line {line}: {passage!r}"
            if passage
            else "no passage of the seed starts or ends like it"
        )
    return seed_path, found, closest


def find_actors(root: Path, query: str | None) -> list[Actor]:
    """Registry entries whose id, name or alias contains the query, or is close to it."""
    doc, problems = read_yaml(root, ACTORS, REGISTRY_BYTES)
    if problems:
        raise ContribError(f"{ACTORS} does not read cleanly: run `chechnya-purges validate`")
    actors = [actor for _, actor in parse_actors(doc)[0]]
    if not query:
        return sorted(actors, key=lambda a: a.id)
    wanted = " ".join(name_key(query))
    matches = []
    for actor in actors:
        keys = [name_key(n) for n in (actor.id, actor.name, *actor.aliases)]
        names = [" ".join(key) for key in keys]
        words = [word for key in keys for word in key]
        if any(wanted in name for name in names) or difflib.get_close_matches(
            wanted, names + words, n=1, cutoff=0.75
        ):
            matches.append(actor)
    return sorted(matches, key=lambda a: a.id)
