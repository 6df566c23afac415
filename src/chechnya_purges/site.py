"""The evidence browser: a static site that shows every value on the words it came from.

``chechnya-purges site --out site/`` reads the *built* package (``datapackage.json`` and the
files it lists) and the local seeds, and writes plain HTML, CSS and a little JavaScript that
open from ``file://``: no server, no network request, every page's data inlined. It embeds
the full seed texts, which the published package never carries, so the site is a local
artefact of a repository checkout, never part of a release archive or the wheel.

Offsets are Unicode code points; JavaScript strings count UTF-16 units, and a seed holding
an emoji would shift every highlight after it. So the page never does offset arithmetic:
Python cuts the seed into segments at every annotation boundary, each segment names the
records covering it (``data-r``), and the script only adds and removes classes. Overlapping
annotations therefore stay visible (each kind has its own decoration) and clickable (a click
on a segment offers every record that covers it).

The package is checked before anything is read from it: the nested JSON must match the hash
its descriptor states, each seed the hash of its article, and each quote the seed's text at
its offsets. A stale or altered build gives one diagnostic and writes nothing.

Scale: pages are written one article at a time; the article list and the list of figures and
statements are split into pages of ``ARTICLES_PER_PAGE`` and ``RECORDS_PER_PAGE``, so no page
grows with the corpus except the actor pages of actors named in every article.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2

from .diagnostics import Diagnostic
from .reader import SEED_BYTES, decode_text, read_input, unsafe_path

__all__ = [
    "ARTICLES_PER_PAGE",
    "MARKER",
    "RECORDS_PER_PAGE",
    "TIMELINE_MARKS",
    "SiteError",
    "Written",
    "build",
]

ARTICLES_PER_PAGE = 250
RECORDS_PER_PAGE = 1000
# Past this many figures the timeline draws one mark per category and month, not per figure.
TIMELINE_MARKS = 2000
# The file that marks a folder as a site this command wrote, and so safe to replace.
MARKER = ".chechnya-purges-site"
_NESTED = "chechnya-purges-json"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_KINDS = ("figure", "statement", "mention")


class SiteError(Exception):
    """A site that cannot be written where it was asked to be (not a problem in the data)."""


@dataclass
class Written:
    """What a site build wrote: its folder, the number of pages, and every page's bytes."""

    out: Path
    pages: int
    sizes: dict[str, int] = field(default_factory=dict)


# --- reading the built package --------------------------------------------------------------


def _problem(path: str, code: str, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(path, 1, 1, code, message, hint)


_REBUILD = "run `chechnya-purges build`, then build the site again"


def _regular_file(root: Path, relative: str) -> Path | None:
    """``root/relative`` when it is a regular file inside root, reached through no link (as
    every input is read: ``unsafe_path``), and the path names no way out of the root."""
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("..", "") for p in parts):
        return None
    exists, problem = unsafe_path(root, "/".join(parts))
    return root.joinpath(*parts) if exists and problem is None else None


def _read_package(root: Path) -> tuple[dict[str, Any], dict[str, Any], list[Diagnostic]]:
    """The descriptor and the nested JSON, after checking the JSON against the descriptor."""
    where = "datapackage.json"
    path = _regular_file(root, where)
    if path is None:
        return {}, {}, [_problem(where, "package-unreadable", "no built package", _REBUILD)]
    try:
        descriptor = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line, col = (exc.lineno, exc.colno) if isinstance(exc, json.JSONDecodeError) else (1, 1)
        message = f"not valid JSON: {exc}"
        return {}, {}, [Diagnostic(where, line, col, "package-unreadable", message, _REBUILD)]
    resources_ = descriptor.get("resources") if isinstance(descriptor, dict) else None
    nested = next(
        (r for r in resources_ or [] if isinstance(r, dict) and r.get("name") == _NESTED), None
    )
    if nested is None or not isinstance(nested.get("path"), str):
        message = f"lists no resource {_NESTED!r} with a path"
        return {}, {}, [_problem(where, "package-unreadable", message, _REBUILD)]
    json_path = _regular_file(root, nested["path"])
    if json_path is None or not nested["path"].startswith("build/"):
        message = "is missing, or not a regular file under build/"
        return {}, {}, [_problem(nested["path"], "package-file-missing", message, _REBUILD)]
    raw = json_path.read_bytes()
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if digest != nested.get("hash"):
        message = f"has {digest}; datapackage.json says {nested.get('hash')}"
        return {}, {}, [_problem(nested["path"], "package-file-altered", message, _REBUILD)]
    try:
        return descriptor, json.loads(raw), []
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        message = f"not valid JSON: {exc}"
        return {}, {}, [_problem(nested["path"], "package-unreadable", message, _REBUILD)]


def _table(root: Path, descriptor: dict[str, Any], name: str) -> list[dict[str, str]] | None:
    """A table of the package, checked against its hash, or None when this version of the
    package has no such table (claims and their lineage came in 1.1)."""
    resource = next((r for r in descriptor["resources"] if r.get("name") == name), None)
    if resource is None:
        return None
    path = _regular_file(root, str(resource.get("path", "")))
    if path is None:
        raise _Shape(f"{resource.get('path')} is not a regular file inside the dataset")
    raw = path.read_bytes()
    if "sha256:" + hashlib.sha256(raw).hexdigest() != resource.get("hash"):
        raise _Shape(f"{resource['path']} does not match the hash datapackage.json states")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


class _Shape(Exception):
    """The package does not have the shape build writes (hand-edited or from another tool)."""


def _read_seed(root: Path, article: dict[str, Any]) -> tuple[str | None, list[Diagnostic]]:
    """The seed of an article, found from its id (never from a path the data states)."""
    article_id = str(article["article_id"])
    shown = f"seeds/{article_id}.txt"
    path = _regular_file(root, shown) if _ID.fullmatch(article_id) else None
    if path is None:
        message = f"no seed {shown} for article {article_id!r}"
        hint = "the site shows the seed texts: run it in a checkout holding seeds/"
        return None, [_problem(shown, "seed-missing", message, hint)]
    raw, problems = read_input(root, shown, SEED_BYTES)  # bounded, never blocking
    if raw is None:
        return None, problems
    if hashlib.sha256(raw).hexdigest() != article["seed_sha256"]:
        message = "differs from the seed the package was built from (its SHA-256 changed)"
        return None, [_problem(shown, "seed-changed", message, _REBUILD)]
    return decode_text(raw, shown)


# --- the text of an article, cut at every annotation boundary ------------------------------


@dataclass(frozen=True)
class Record:
    """A mention, figure or statement as the pages show it."""

    kind: str
    key: str
    article_id: str
    start: int
    end: int
    quote: str
    title: str
    what: str
    who: str | None
    fields: list[tuple[str, str, str | None]]
    claim_id: str | None = None


@dataclass(frozen=True)
class Segment:
    """A run of seed text covered by the same records (or by none, or excluded)."""

    text: str
    keys: str
    classes: str
    excluded: str | None = None


def segments(
    text: str, records: list[Record], excluded: list[tuple[int, int, str]]
) -> list[Segment]:
    """The seed as consecutive segments, cut wherever a record or excluded region starts or
    ends, each naming every record that covers it. Offsets are code points, as Python
    indexes strings, so the cuts fall on the characters the offsets name."""
    bounds = {0, len(text)}
    for r in records:
        bounds |= {r.start, r.end}
    for start, end, _ in excluded:
        bounds |= {start, end}
    cuts = sorted(b for b in bounds if 0 <= b <= len(text))
    out = []
    for a, b in itertools.pairwise(cuts):
        region = next((reason for s, e, reason in excluded if s <= a and b <= e), None)
        covering = [r for r in records if r.start <= a and b <= r.end and r.start < r.end]
        counts = Counter(r.kind for r in covering)
        classes = [f"{k[0]}{min(n, 3)}" for k, n in sorted(counts.items())]
        keys = " ".join(r.key for r in covering)
        out.append(Segment(text[a:b], keys, " ".join(classes), region))
    return out


# --- records from the nested JSON ----------------------------------------------------------


@dataclass
class _Context:
    """What every page needs: actor names, which fields name actors, the vocabularies."""

    names: dict[str, str]
    actor_fields: dict[str, set[str]]
    vocab: dict[tuple[str, str], list[str]]
    labels: dict[tuple[str, str, str], str]


def _context(descriptor: dict[str, Any], data: dict[str, Any]) -> _Context:
    """Read from the descriptor, so that no field list or vocabulary is written here."""
    actor_fields: dict[str, set[str]] = defaultdict(set)
    vocab: dict[tuple[str, str], list[str]] = {}
    labels: dict[tuple[str, str, str], str] = {}
    for resource in descriptor["resources"]:
        schema = resource.get("schema") or {}
        for key in schema.get("foreignKeys", []):
            if key["reference"]["resource"] == "actors":
                actor_fields[resource["name"]].update(key["fields"])
        for spec in schema.get("fields", []):
            enum = spec.get("constraints", {}).get("enum")
            if enum:
                vocab[resource["name"], spec["name"]] = list(enum)
            for category in spec.get("categories", []):
                if isinstance(category, dict) and category.get("label"):
                    labels[resource["name"], spec["name"], str(category["value"])] = str(
                        category["label"]
                    )
    names = {str(a["actor_id"]): str(a["name"]) for a in data["actors"]}
    return _Context(names, actor_fields, vocab, labels)


def _words(value: str) -> str:
    return value.replace("_", " ")


def _fields(
    table: str, item: dict[str, Any], context: _Context, skip: set[str]
) -> list[tuple[str, str, str | None]]:
    """A record's fields as (name, shown value, actor page or None), empty ones left out."""
    shown: list[tuple[str, str, str | None]] = []
    for name, value in item.items():
        if name in skip or value is None or value == []:
            continue
        actors = name in context.actor_fields[table] or name in ("addressees", "origin_id")
        for one in value if isinstance(value, list) else [value]:
            if actors:
                label = f"{context.names.get(str(one), str(one))} ({one})"
                shown.append((name, label, f"actors/{one}.html"))
            elif name == "claim_id":
                shown.append((name, str(one), f"claims.html#claim-{one}"))
            else:
                shown.append((name, str(one), None))
    return shown


def _qualified(figure: dict[str, Any]) -> str:
    words = {"exact": "", "approximately": "about ", "at_least": "at least "}
    words |= {"more_than": "more than ", "at_most": "at most ", "fewer_than": "fewer than "}
    prefix = words.get(str(figure["qualifier"]), _words(str(figure["qualifier"])) + " ")
    return f"{prefix}{figure['value']} {figure['subject']}"


def _records(article: dict[str, Any], context: _Context) -> list[Record]:
    """The article's figures, statements and mentions, in that order."""
    article_id = str(article["article_id"])
    out = []
    for figure in article["figures"]:
        local = str(figure["figure_id"]).split(":", 1)[-1]
        who = figure.get("reported_by")
        out.append(
            Record(
                "figure",
                f"figure-{local}",
                article_id,
                int(figure["start"]),
                int(figure["end"]),
                str(figure["quote"]),
                f"{_words(str(figure['category']))}: {_qualified(figure)}",
                str(figure["category"]),
                who,
                _fields("figures", figure, context, {"figure_id", "quote", "start", "end"}),
                figure.get("claim_id"),
            )
        )
    for statement in article["statements"]:
        local = str(statement["statement_id"]).split(":", 1)[-1]
        speaker = str(statement["speaker_id"])
        label = statement.get("speaker_label") or context.names.get(speaker, speaker)
        skip = {"statement_id", "quote", "start", "end"}
        out.append(
            Record(
                "statement",
                f"statement-{local}",
                article_id,
                int(statement["start"]),
                int(statement["end"]),
                str(statement["quote"]),
                f"{label}: {_words(str(statement['act']))}",
                str(statement["act"]),
                speaker,
                _fields("statements", statement, context, skip),
                statement.get("claim_id"),
            )
        )
    for mention in article["mentions"]:
        actor = str(mention["actor_id"])
        out.append(
            Record(
                "mention",
                f"mention-{actor}",
                article_id,
                int(mention["start"]),
                int(mention["end"]),
                str(mention["quote"]),
                context.names.get(actor, actor),
                "mention",
                actor,
                _fields("mentions", mention, context, {"quote", "start", "end"}),
            )
        )
    return out


def _anchored(text: str, records: list[Record], article_id: str) -> list[Diagnostic]:
    """Each record's quote must be the seed's text at its offsets, or the build is stale."""
    for r in records:
        if not (0 <= r.start <= r.end <= len(text)) or text[r.start : r.end] != r.quote:
            message = (
                f"{r.key} of article {article_id} is not the seed's text at [{r.start}, {r.end})"
            )
            return [
                _problem("build/chechnya-purges.json", "package-file-altered", message, _REBUILD)
            ]
    return []


# --- the timeline ---------------------------------------------------------------------------


def _bound(value: int | None) -> str:
    return "none" if value is None else str(value)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass
class _Point:
    x: float
    x0: float
    x1: float
    y: float
    y_low: float | None
    y_high: float | None
    open_up: bool
    open_down: bool
    approximately: bool
    colour: str
    href: str
    title: str


# Colour-blind-safe (Okabe-Ito), dark enough on white for 3:1 graphical contrast.
_PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9", "#000000"]
_PALETTE += ["#7f3c8d", "#6b6b6b"]  # the last, for "other", a neutral grey


def _summary(
    key: tuple[str, str],
    figures: list[tuple[int, int | None, int | None, str]],
    x: Any,
    y: Any,
    colours: dict[str, str],
) -> _Point:
    """One mark for the figures of one category published in one month: the median value,
    and a bar from the lowest to the highest value or bound any of them states."""
    category, month = key
    values = sorted(v for v, _, _, _ in figures)
    stated = [n for value, low, high, _ in figures for n in (value, low, high) if n is not None]
    bottom, top = min(stated), max(stated)
    approximately = sum(q == "approximately" for *_, q in figures)
    middle = x(date(int(month[:4]), int(month[5:7]), 15))
    median = values[len(values) // 2]
    return _Point(
        x=middle,
        x0=middle,
        x1=middle,
        y=y(median),
        y_low=y(bottom),
        y_high=y(top),
        open_up=False,
        open_down=False,
        approximately=approximately * 2 > len(figures),
        colour=colours.get(category, "#000000"),
        href="",
        title=f"{month}: {len(figures)} figures of {_words(category)}, median {median}, "
        f"values and bounds {bottom} to {top}, {approximately} approximately",
    )


def _timeline(articles: list[dict[str, Any]], context: _Context) -> dict[str, Any]:
    """Coordinates of the two charts, computed here so that the page needs no chart code."""
    width, height, left, right, top, bottom = 960.0, 420.0, 70.0, 20.0, 20.0, 50.0
    days = [
        (_day(a["published_earliest"]), _day(a["published_latest"]))
        for a in articles
        if a.get("published_earliest")
    ]
    if not days:
        return {"empty": True}
    first = min(d[0] for d in days if d[0])
    last = max(d[1] for d in days if d[1])
    first = date(first.year, 1, 1)
    last = date(last.year, 12, 31)
    span = max((last - first).days, 1)

    def scale(edge: float) -> Any:
        return lambda day: round(edge + (width - edge - right) * (day - first).days / span, 1)

    x, x_acts = scale(left), scale(left + 110)

    values = [
        int(v)
        for a in articles
        for f in a["figures"]
        for v in (f["value"], f["low"], f["high"])
        if v is not None
    ]
    top_value = max([10, *values])
    decades = math.ceil(math.log10(top_value + 1))

    def y(value: float) -> float:
        share = math.log10(value + 1) / decades
        return round(height - bottom - (height - top - bottom) * share, 1)

    categories = context.vocab.get(("figures", "category"), [])
    colours = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(categories)}
    points = []
    groups: dict[tuple[str, str], list[tuple[int, int | None, int | None, str]]] = {}
    for a in articles:
        early, late = _day(a["published_earliest"]), _day(a["published_latest"])
        if early is None or late is None:
            continue
        for f in a["figures"]:
            local = str(f["figure_id"]).split(":", 1)[-1]
            qualifier = str(f["qualifier"])
            low, high = f["low"], f["high"]
            key = (str(f["category"]), early.isoformat()[:7])
            groups.setdefault(key, []).append((int(f["value"]), low, high, qualifier))
            points.append(
                _Point(
                    x=x(early + (late - early) / 2),
                    x0=x(early),
                    x1=x(late),
                    y=y(int(f["value"])),
                    y_low=y(int(low)) if low is not None else None,
                    y_high=y(int(high)) if high is not None else None,
                    open_up=high is None and low is not None,
                    open_down=low is None and high is not None,
                    approximately=qualifier == "approximately",
                    colour=colours.get(str(f["category"]), "#000000"),
                    href=f"articles/{a['article_id']}.html#figure-{local}",
                    title=f"{a['published']}: {_words(str(f['category']))}, {_qualified(f)} "
                    f"({_words(qualifier)}; low {_bound(low)}, high {_bound(high)})",
                )
            )
    summarised = len(points) > TIMELINE_MARKS
    if summarised:
        # Marks of one month stand side by side, one column per category, so none hides another.
        dodge = {c: (i - len(categories) / 2) * 3 for i, c in enumerate(categories)}
        points = [
            _summary(key, figures, lambda day, k=key: x(day) + dodge.get(k[0], 0), y, colours)
            for key, figures in sorted(groups.items())
        ]
    ticks_y = [{"y": y(10**k), "label": f"{10**k:,}"} for k in range(decades + 1)]
    ticks_x = [
        {"x": x(date(year, 1, 1)), "label": str(year)} for year in range(first.year, last.year + 1)
    ]
    # Statements: one row per act, one column per month of publication.
    acts = context.vocab.get(("statements", "act"), [])
    months: Counter[tuple[str, str]] = Counter()
    year_only: Counter[str] = Counter()
    for a in articles:
        month = (
            str(a["published"])[:7] if a.get("published_precision") in ("month", "day") else None
        )
        for s in a["statements"]:
            if month:
                months[str(s["act"]), month] += 1
            else:
                year_only[str(s["act"])] += 1
    row_height = 22.0
    grid_top = 30.0
    most = max([1, *months.values()])
    cells = []
    for (act, month), count in sorted(months.items()):
        middle = date(int(month[:4]), int(month[5:7]), 15)
        cells.append(
            {
                "x": x_acts(middle),
                "y": grid_top + row_height * acts.index(act) + row_height / 2
                if act in acts
                else grid_top,
                "r": round(2 + 8 * math.sqrt(count / most), 1),
                "title": f"{_words(act)}, {month}: {count} statement(s)",
            }
        )
    rows = [
        {"y": grid_top + row_height * i + row_height / 2, "label": _words(act)}
        for i, act in enumerate(acts)
    ]
    return {
        "empty": False,
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "bottom": height - bottom,
        "points": points,
        "summarised": summarised,
        "figures": sum(len(g) for g in groups.values()),
        "marks": TIMELINE_MARKS,
        "ticks_x": ticks_x,
        "ticks_y": ticks_y,
        "legend": [{"label": _words(c), "colour": colours[c]} for c in categories],
        "ticks_acts": [
            {"x": x_acts(date(year, 1, 1)), "label": str(year)}
            for year in range(first.year, last.year + 1)
        ],
        "acts_left": left + 110,
        "acts_height": grid_top + row_height * len(acts) + 30,
        "acts_axis": grid_top + row_height * len(acts),
        "rows": rows,
        "cells": cells,
        "year_only": sorted(year_only.items()),
        "first": first.isoformat(),
        "last": last.isoformat(),
    }


# --- claims -------------------------------------------------------------------------------


def _lineages(
    claims: list[dict[str, str]], lineage: list[dict[str, str]], records: dict[str, Record]
) -> list[dict[str, Any]]:
    """Each claim's records in the order and with the changes of the package's lineage table,
    so that the page shows exactly what `lineage` prints and researchers query."""
    steps: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(lineage, key=lambda r: (r["claim_id"], int(r["position"]))):
        record = records.get(row["figure_id"] or row["statement_id"])
        if record is not None:
            changes = [c.replace("_", " ") for c in row["changes"].split("; ") if c]
            steps[row["claim_id"]].append(
                {"record": record, "changes": changes, "published": row["published"]}
            )
    return [{"claim": claim, "steps": steps[claim["claim_id"]]} for claim in claims]


# --- writing --------------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("chechnya_purges", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["words"] = _words
    # A record's url is text a contributor typed: only a web address becomes a link.
    env.tests["web"] = lambda url: isinstance(url, str) and url.startswith(("https://", "http://"))
    env.filters["thousands"] = lambda n: f"{n:,}"
    return env


class _Pages:
    """Renders templates into the staging folder, counting bytes per page."""

    def __init__(self, folder: Path, env: jinja2.Environment, common: dict[str, Any]):
        self.folder, self.env, self.common = folder, env, common
        self.sizes: dict[str, int] = {}

    def write(self, relative: str, template: str, **values: Any) -> None:
        depth = relative.count("/")
        html = self.env.get_template(template).render(
            **self.common, **values, base="../" * depth, page=relative
        )
        data = html.encode("utf-8")
        target = self.folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.sizes[relative] = len(data)


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _paged_name(stem: str, number: int) -> str:
    return "index.html" if stem == "index" and number == 1 else f"{stem}-{number}.html"


def _chunks(items: list[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    for number in range(1, _pages(len(items), size) + 1):
        yield number, items[(number - 1) * size : number * size]


def _copy_downloads(root: Path, descriptor: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """The published files, copied so that the site's download links work wherever it is."""
    downloads: list[dict[str, Any]] = [
        {"path": "datapackage.json", "title": "Descriptor (Data Package v2)", "bytes": 0}
    ]
    for resource in descriptor["resources"]:
        relative = str(resource.get("path", ""))
        if _regular_file(root, relative) is not None and relative.startswith("build/"):
            downloads.append(
                {
                    "path": relative,
                    "title": resource.get("title") or resource["name"],
                    "bytes": resource.get("bytes", 0),
                }
            )
    for item in downloads:
        relative = str(item["path"])
        target = folder / "download" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
        item["bytes"] = target.stat().st_size
    return downloads


def _copy_assets(folder: Path) -> None:
    assets = resources.files("chechnya_purges") / "templates" / "assets"
    (folder / "assets").mkdir()
    for item in assets.iterdir():
        if item.is_file():
            (folder / "assets" / item.name).write_bytes(item.read_bytes())


def _check_out(root: Path, out: Path) -> None:
    """Refuse to replace anything but an earlier site: ``--out`` is deleted and rewritten."""
    resolved = out.resolve()
    if resolved == root.resolve() or resolved in root.resolve().parents:
        raise SiteError(f"{out} holds the dataset: choose a folder of its own, such as site/")
    if out.is_symlink():
        raise SiteError(f"{out} is a symbolic link: choose a folder of its own, such as site/")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise SiteError(
            f"{out} exists and is not a site this command wrote: choose another --out, "
            "or remove it first"
        )


def _swap(staged: Path, out: Path) -> None:
    retired = None
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=".site-old-", dir=out.parent))
        os.replace(out, retired / "site")
    os.replace(staged, out)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def build(root: Path, out: Path) -> tuple[Written | None, list[Diagnostic]]:
    """Write the site into ``out`` from the built package under ``root``.

    Returns the diagnostics instead of writing when the package or a seed is not what the
    build left; raises ``SiteError`` when ``out`` is not a folder the site may replace.
    """
    _check_out(root, out)
    descriptor, data, problems = _read_package(root)
    if problems:
        return None, problems
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".site-", dir=out.parent))
    try:
        try:
            sizes, problems = _render(root, descriptor, data, staged)
        except (
            _Shape,
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            jinja2.UndefinedError,
        ) as exc:
            message = f"does not have the shape build writes ({type(exc).__name__}: {exc})"
            problems = [_problem("build/chechnya-purges.json", "package-unreadable", message)]
        if problems:
            return None, problems
        (staged / MARKER).write_text(
            "Written by `chechnya-purges site`; the folder is replaced on every run.\n",
            encoding="utf-8",
        )
        _swap(staged, out)
    finally:
        if staged.exists():
            shutil.rmtree(staged, ignore_errors=True)
    return Written(out, len(sizes), sizes), []


def _render(
    root: Path, descriptor: dict[str, Any], data: dict[str, Any], folder: Path
) -> tuple[dict[str, int], list[Diagnostic]]:
    context = _context(descriptor, data)
    articles: list[dict[str, Any]] = sorted(data["articles"], key=lambda a: str(a["article_id"]))
    claims = _table(root, descriptor, "claims")
    lineage = _table(root, descriptor, "lineage") or []
    downloads = _copy_downloads(root, descriptor, folder)
    _copy_assets(folder)
    common = {
        "dataset": {
            "title": descriptor.get("title", "chechnya-purges"),
            "version": descriptor.get("version", ""),
            "description": descriptor.get("description", ""),
            "licenses": descriptor.get("licenses", []),
        },
        "names": context.names,
        "has_claims": claims is not None,
    }
    pages = _Pages(folder, _environment(), common)
    rows: list[Record] = []
    refs: dict[str, list[tuple[str, Record]]] = defaultdict(list)
    claimed: dict[str, Record] = {}
    summaries = []
    problems: list[Diagnostic] = []
    for article in articles:
        text, seed_problems = _read_seed(root, article)
        records = _records(article, context)
        if text is not None:
            seed_problems += _anchored(text, records, str(article["article_id"]))
        if seed_problems or text is None:
            problems += seed_problems
            continue
        excluded = [(int(e["start"]), int(e["end"]), str(e["reason"])) for e in article["excluded"]]
        pages.write(
            f"articles/{article['article_id']}.html",
            "article.html",
            article=article,
            publisher=context.names.get(str(article.get("publisher_id")), None),
            segments=segments(text, records, excluded),
            groups=[(kind, [r for r in records if r.kind == kind]) for kind in _KINDS],
        )
        counts = Counter(r.kind for r in records)
        summaries.append({"article": article, "counts": counts})
        for r in records:
            # The lists and actor pages show no fields: keep them only where a lineage needs
            # them, so that memory does not grow by every field of every record.
            slim = replace(r, fields=[]) if not r.claim_id else r
            if r.kind != "mention":
                rows.append(slim)
            if r.claim_id:
                claimed[f"{r.article_id}:{r.key.partition('-')[2]}"] = r
            for name, _, href in r.fields:
                if href and href.startswith("actors/"):
                    refs[href.removeprefix("actors/").removesuffix(".html")].append((name, slim))
    if problems:
        return {}, problems
    titles = {str(a["article_id"]): str(a["title"]) for a in articles}
    article_pages = _pages(len(summaries), ARTICLES_PER_PAGE)
    record_pages = _pages(len(rows), RECORDS_PER_PAGE)
    filters = {
        "act": context.vocab.get(("statements", "act"), []),
        "category": context.vocab.get(("figures", "category"), []),
    }
    for number, chunk in _chunks(rows, RECORDS_PER_PAGE):
        who = sorted({r.who for r in chunk if r.who}, key=lambda a: context.names.get(a, a))
        in_page = sorted({r.article_id for r in chunk})
        first_articles = summaries[:ARTICLES_PER_PAGE] if number == 1 else []
        pages.write(
            _paged_name("index", number) if number == 1 else f"records-{number}.html",
            "index.html",
            number=number,
            record_pages=record_pages,
            article_pages=article_pages,
            total_records=len(rows),
            total_articles=len(summaries),
            first_index=(number - 1) * RECORDS_PER_PAGE,
            rows=chunk,
            who=who,
            in_page=in_page,
            titles=titles,
            filters=filters,
            summaries=first_articles,
            downloads=downloads if number == 1 else [],
        )
    for number, chunk in _chunks(summaries, ARTICLES_PER_PAGE):
        if number > 1:
            pages.write(
                f"articles-{number}.html",
                "articles.html",
                number=number,
                article_pages=article_pages,
                summaries=chunk,
            )
    affiliations = _affiliations(data["actors"])
    for actor in data["actors"]:
        actor_id = str(actor["actor_id"])
        if not _ID.fullmatch(actor_id):
            raise _Shape(f"actor id {actor_id!r} is not a slug")
        mine = refs.get(actor_id, [])
        pages.write(
            f"actors/{actor_id}.html",
            "actor.html",
            actor=actor,
            affiliations=affiliations.get(actor_id, []),
            members=affiliations.get(f"<-{actor_id}", []),
            roles=[
                (_role(name), [r for field_name, r in mine if field_name == name])
                for name in sorted({name for name, _ in mine})
            ],
            titles=titles,
        )
    pages.write(
        "actors/index.html",
        "actors.html",
        actors=sorted(data["actors"], key=lambda a: str(a["name"]).casefold()),
        counts={k: len(v) for k, v in refs.items()},
    )
    pages.write("timeline.html", "timeline.html", chart=_timeline(articles, context))
    pages.write(
        "claims.html",
        "claims.html",
        lineages=_lineages(claims, lineage, claimed) if claims is not None else None,
        titles=titles,
    )
    pages.write(
        "codebook.html",
        "codebook.html",
        tables=_codebook(descriptor, context),
        labelled=bool(context.labels),
    )
    return pages.sizes, []


def _role(field_name: str) -> str:
    """What an actor is to a record, from the field that names it: ``speaker_id`` →
    speaker, ``addressees`` → addressed; a mention's ``actor_id`` → mentioned."""
    special = {"actor_id": "mentioned", "addressees": "addressed"}
    return special.get(field_name) or _words(field_name.removesuffix("_id"))


def _affiliations(actors: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each actor's affiliations, and under ``<-org`` the actors affiliated with ``org``."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for actor in actors:
        for link in actor.get("affiliations", []):
            out[str(actor["actor_id"])].append(link)
            out[f"<-{link['organization_id']}"].append({**link, "actor_id": actor["actor_id"]})
    return out


def _codebook(descriptor: dict[str, Any], context: _Context) -> list[dict[str, Any]]:
    """Tables and columns as the descriptor defines them; a vocabulary value's definition
    appears when the descriptor carries one (``categories`` with labels)."""
    tables = []
    for resource in descriptor["resources"]:
        schema = resource.get("schema")
        if not schema:
            continue
        columns = []
        for spec in schema.get("fields", []):
            enum = spec.get("constraints", {}).get("enum", [])
            columns.append(
                {
                    "name": spec["name"],
                    "type": spec.get("type", "string"),
                    "description": spec.get("description", ""),
                    "required": spec.get("constraints", {}).get("required", False),
                    "values": [
                        (v, context.labels.get((resource["name"], spec["name"], str(v))))
                        for v in enum
                    ],
                }
            )
        tables.append(
            {
                "name": resource["name"],
                "path": resource["path"],
                "description": resource.get("description", ""),
                "columns": columns,
            }
        )
    return tables
