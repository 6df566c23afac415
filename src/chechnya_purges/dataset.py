"""A dataset root on disk, read, parsed and checked: what ``validate`` reports and ``build``
publishes.

The registry is loaded first and the articles checked against it in a second pass, so every
cross-reference is resolved against the whole registry, whatever the order of the files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .checks import CheckedArticle, check_actors, check_article
from .diagnostics import Diagnostic
from .models import Actor
from .parse import parse_actors, parse_article
from .reader import Document, read_yaml

__all__ = ["ACTORS", "ARTICLES", "ARTICLE_ID", "Dataset", "RootNotFound", "find_root", "load"]

ACTORS = "data/actors.yaml"
ARTICLES = "data/articles"
# Article ids become CSV cells, file names and URL parts: keep them to a safe alphabet.
ARTICLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_FATAL = frozenset({"yaml-syntax", "invalid-utf8"})


class RootNotFound(Exception):
    """No dataset root (a folder holding data/actors.yaml) at or above the given folder."""


@dataclass
class Dataset:
    """Everything that passed its checks, ready to tabulate."""

    root: Path
    actors: list[Actor]
    articles: list[CheckedArticle]


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``data/actors.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ACTORS).is_file():
            return folder
    raise RootNotFound(f"no {ACTORS} in {start} or any folder above it")


def _unused(
    doc: Document, actors: list[tuple[int, Actor]], articles: list[CheckedArticle]
) -> list[Diagnostic]:
    """Registry entries nothing refers to: usually a mention forgotten in an article."""
    used = {org.org for _, actor in actors for org in actor.affiliations}
    for article in articles:
        used |= set(article.record.mentions) | {article.record.publisher or ""}
    found = []
    for index, actor in actors:
        if actor.id not in used:
            pos = doc.position((index, "id"))
            found.append(
                Diagnostic(
                    doc.path,
                    pos.line,
                    pos.col,
                    "actor-unused",
                    f"[{index}].id: no article mentions {actor.id!r}",
                    "add a mentions entry where an article names the actor, or remove it",
                    severity="warning",
                )
            )
    return found


def load(root: Path) -> tuple[Dataset, list[Diagnostic]]:
    """Read, parse and check the whole dataset; every problem found, sorted."""
    problems: list[Diagnostic] = []
    registry_doc, found = read_yaml(root / ACTORS, ACTORS)
    problems += found
    parsed, found = ([], []) if {d.code for d in found} & _FATAL else parse_actors(registry_doc)
    problems += found + check_actors(registry_doc, parsed)
    actors = {actor.id: actor for _, actor in reversed(parsed)}
    known = set(actors) | {
        item["id"]
        for item in (registry_doc.data if isinstance(registry_doc.data, list) else [])
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    }
    articles = []
    for path in sorted((root / ARTICLES).glob("*.yaml")):
        display = f"{ARTICLES}/{path.name}"
        if not ARTICLE_ID.match(path.stem):
            problems.append(
                Diagnostic(
                    display,
                    1,
                    1,
                    "invalid-format",
                    f"article file name {path.name!r} is not a safe article id",
                    "use letters, digits, '-', '_' and '.', as the seed's file name does",
                )
            )
            continue
        doc, found = read_yaml(path, display)
        problems += found
        if {d.code for d in found} & _FATAL:
            continue
        article, origin, found = parse_article(doc)
        problems += found
        if article is None:
            continue
        checked, found = check_article(doc, article, origin, root, actors, known)
        problems += found
        if checked is not None:
            articles.append(checked)
    if not any(p.severity == "error" for p in problems):
        # Only on clean data: an article that failed to parse would leave its actors unused.
        problems += _unused(registry_doc, parsed, articles)
    registry = sorted(actors.values(), key=lambda actor: actor.id)
    return Dataset(root, registry, articles), sorted(set(problems))
