"""Stage 5, write: tables → the files of the Data Package, deterministically and atomically.

One function (:func:`render`) decides every byte, whether the files go to build's staging
folder a piece at a time or stay in memory for the drift check of ``check``: so the two
compare like with like. No timestamps, fixed ordering, ``\\n`` line ends, UTF-8 without BOM.
:func:`swap_in` replaces the previous outputs, all or none, only after the new ones were
written and conformed in a staging folder.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, TypeAdapter

from ._package import LICENCE, read_licence
from ._swap import OUTPUT_ROOTS, staging, swap_in
from ._workers import collector_paused
from .codebook import CODEBOOK_PATH, codebook
from .croissant import CROISSANT_PATH, croissant
from .dataset import Dataset
from .models import Actor, Article, Claim, definition
from .outputs import Outputs, blocks, json_blocks
from .reference import FIELDS_PATH, pages
from .summary import ARTICLES_PATH, COUNTED
from .tables import (
    JSON_PATH,
    REGISTRY_TABLES,
    TABLES,
    Column,
    Filed,
    Spool,
    Table,
    article_csv,
    csv_text,
    csv_writer,
    document,
    document_schema,
    rows,
)

__all__ = ["DATA_LICENSE", "OUTPUT_ROOTS", "render", "staging", "stamp", "swap_in"]

PROFILE = "https://datapackage.org/profiles/2.0"
DATA_LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 International",
}
TITLE = "Chechnya purges: press reports and responses, 2017-2019"
ABSTRACT = (
    "How the press reported the anti-gay purges in Chechnya (2017-2019) and how governments, "
    "legislators, NGOs and officials responded: articles annotated by hand into actors, "
    "reported figures and statements, each value tied to the exact words of its article by "
    "code-point offsets."
)
KEYWORDS = ["chechnya", "lgbt", "human rights", "press", "event data"]
CREATOR = "chechnya-purges contributors"


def _csv(table: Table, dataset: Dataset[Filed], spool: Spool) -> Iterator[bytes]:
    out = io.StringIO()
    csv_writer(out).writerow([c.name for c in table.columns])
    yield out.getvalue().encode("utf-8")
    if table.name in REGISTRY_TABLES:
        yield csv_text(rows(dataset, table)).encode("utf-8")
    else:
        yield from article_csv(dataset, spool, table)


def _field(column: Column) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": column.name, "type": column.kind}
    if column.kind == "date":
        spec["format"] = "default"
    spec["description"] = column.description
    constraints: dict[str, Any] = {}
    if column.required:
        constraints["required"] = True
    if column.enum is not None:
        constraints["enum"] = [v.value for v in column.enum]
    if constraints:
        spec["constraints"] = constraints
    if column.enum is not None:
        # Data Package v2 categories carry each value's definition as its label. frictionless
        # 5 accepts them without a warning but does not read them, so constraints.enum above
        # is what it enforces.
        spec["categories"] = [
            {"value": member.value, "label": definition(member)} for member in column.enum
        ]
    return spec


def _table_schema(table: Table) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": f"{PROFILE}/tableschema.json",
        "fields": [_field(c) for c in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:  # the profile wants at least one item when the list is given
        schema["foreignKeys"] = [
            {"fields": [column], "reference": {"resource": resource, "fields": [target]}}
            for column, resource, target in table.foreign_keys
        ]
    return schema


def _file_facts(files: Outputs, path: str) -> dict[str, Any]:
    size, digest = files.facts(path)
    return {"bytes": size, "hash": f"sha256:{digest}"}


def _descriptor(
    dataset: Dataset[Filed], version: str, files: Outputs, listed: list[str]
) -> dict[str, Any]:
    names = {actor.id: actor.name for actor in dataset.actors}

    def source(article: Filed) -> dict[str, str]:
        publisher = names.get(str(article.value("publisher_id") or ""), "publisher not stated")
        return {
            "title": f"{article.value('title')} ({publisher}, {article.value('published')})",
            "path": str(article.value("url") or article.value("seed_path")),
        }

    resources: list[dict[str, Any]] = [
        {
            "name": table.name,
            "type": "table",
            "path": table.path,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            **_file_facts(files, table.path),
            "description": table.description,
            "dialect": {
                "$schema": f"{PROFILE}/tabledialect.json",
                "header": True,
                "delimiter": ",",
                "lineTerminator": "\n",
                "quoteChar": '"',
                "doubleQuote": True,
            },
            "schema": _table_schema(table),
        }
        for table in TABLES
    ]
    resources.append(
        {
            "name": "chechnya-purges-json",
            "path": JSON_PATH,
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            **_file_facts(files, JSON_PATH),
            "description": "The same data nested by article, with each article's excluded "
            "regions and block quotes, and the claims with their lineage; valid against "
            "schema/dataset.schema.json.",
        }
    )
    resources += [
        _file_resource(files, path, facts)
        for path in listed
        if (facts := _facts(files, path)) is not None
    ]
    return {
        "$schema": f"{PROFILE}/datapackage.json",
        "name": "chechnya-purges",
        "title": TITLE,
        "description": ABSTRACT,
        "version": version,
        "keywords": KEYWORDS,
        "licenses": [DATA_LICENSE],
        "contributors": [{"title": CREATOR, "roles": ["creator"]}],
        "sources": [source(a) for a in sorted(dataset.articles, key=lambda a: a.id)],
        "resources": resources,
    }


# The package's files that are not data: listed with their size and hash all the same, so
# that verify notices an altered schema, citation or licence in a copy.
_FILES: dict[str, tuple[str, str, str]] = {
    "CITATION.cff": ("cff", "application/yaml", "How to cite this version (Citation File Format)."),
    LICENCE: ("txt", "text/plain", "The licence of the data: CC BY 4.0."),
    CODEBOOK_PATH: (
        "md",
        "text/markdown",
        "The codebook: every table, column and vocabulary value with its definition, count "
        "and an example from the data.",
    ),
    ARTICLES_PATH: (
        "md",
        "text/markdown",
        "The annotated articles: publisher, publication date and counts of each.",
    ),
    FIELDS_PATH: (
        "md",
        "text/markdown",
        "The field reference: every field of the hand-written files, with its type and values.",
    ),
    CROISSANT_PATH: (
        "jsonld",
        "application/ld+json",
        "Croissant metadata (schema.org/Dataset) describing the tables, for dataset search.",
    ),
}
# Made from a first descriptor that does not list them yet (the codebook and Croissant file
# describe the tables, not themselves), then listed in the final one.
_FROM_DESCRIPTOR = (CODEBOOK_PATH, CROISSANT_PATH)


def _facts(files: Outputs, path: str) -> tuple[str, str, str] | None:
    """Format, media type and description of a file of the package that is not data; the
    JSON Schemas' come from their own titles."""
    if path.startswith("schema/") and path.endswith(".schema.json"):
        title = json.loads(files[path]).get("title", path)
        return "jsonschema", "application/schema+json", f"JSON Schema: {title}."
    return _FILES.get(path)


def _file_resource(files: Outputs, path: str, facts: tuple[str, str, str]) -> dict[str, Any]:
    """A resource for a file that is not a table. Its format is not "json" even for the
    JSON Schemas: frictionless would read those as data and fail."""
    fmt, mediatype, description = facts
    name = path.rsplit("/", 1)[-1].removesuffix(".json").replace(".", "-").lower()
    return {
        "name": name,
        "path": path,
        "format": fmt,
        "mediatype": mediatype,
        "encoding": "utf-8",
        **_file_facts(files, path),
        "description": description,
    }


def _input_schema(model: Any, title: str) -> dict[str, Any]:
    schema = (
        model.model_json_schema()
        if isinstance(model, type) and issubclass(model, BaseModel)
        else model.json_schema()
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **schema}


def input_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of the hand-written files, for editors and for jsonschema users."""
    return {
        "schema/actors.schema.json": _input_schema(
            TypeAdapter(list[Actor]), "chechnya-purges actor registry (data/actors.yaml)"
        ),
        "schema/article.schema.json": _input_schema(
            Article, "chechnya-purges annotated article (data/articles/*.yaml)"
        ),
        "schema/claims.schema.json": _input_schema(
            TypeAdapter(list[Claim]), "chechnya-purges claims (data/claims.yaml)"
        ),
    }


def _citation(version: str) -> bytes:
    """CITATION.cff, written by build so that it always names the version being built."""
    lines = [
        "# Written by `chechnya-purges build`; edit write.py, not this file.",
        "cff-version: 1.2.0",
        'message: "If you use this dataset, please cite the version you used."',
        "type: dataset",
        f"title: {json.dumps(TITLE)}",
        f"version: {json.dumps(version)}",
        "authors:",
        f"  - name: {json.dumps(CREATOR)}",
        f"license: {DATA_LICENSE['name']}",
        f"abstract: {json.dumps(ABSTRACT)}",
        "keywords:",
        *[f"  - {json.dumps(k)}" for k in KEYWORDS],
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


# Writing makes rows, batches of rows read back and encoded items by the hundred thousand,
# none of them in a cycle, while the dataset it writes from (a row and a record of each
# article, the actors) lives on: the cycle collector, left on, walked all of it three times
# while the package of 10,000 articles was written, for nothing.
@collector_paused()
def render(dataset: Dataset[Filed], spool: Spool, version: str, files: Outputs) -> Outputs:
    """Write every file of the package into ``files``: the outputs, and the hand-written
    LICENSE-DATA that the descriptor lists (which build checks with the rest and leaves
    where it is). The tables and the nested JSON are copied from the spool a piece at a
    time, in the order of their keys."""
    for table in TABLES:
        files.write(table.path, _csv(table, dataset, spool))
    files.write(JSON_PATH, document(dataset, spool, version))
    for path, schema in input_schemas().items():
        files.write(path, json_blocks(schema))
    files.write("schema/dataset.schema.json", json_blocks(document_schema()))
    files.write("CITATION.cff", [_citation(version)])
    _describe(dataset, version, files)
    return files


def _describe(dataset: Dataset[Filed], version: str, files: Outputs) -> None:
    """The descriptor, and the pages, codebook and Croissant file made from the outputs.

    The descriptor lists every file of docs/ and the Croissant file with their hashes, so
    that verify can tell they are the release's. The codebook and Croissant file are made
    from a first descriptor that does not list them yet, which they do not read (they
    describe the tables), so they come out the same from the final one.
    """
    licence = read_licence(dataset.root)
    counts = {name: {a.id: a.count(name) for a in dataset.articles} for name in COUNTED}
    for path, content in pages(files, counts).items():
        files.write(path, [content])
    if licence is not None:  # not written by build, but part of the package it describes
        files.write(LICENCE, [licence])

    def listed(leave_out: tuple[str, ...]) -> list[str]:
        paths = [p for p in files if p not in (LICENCE, "datapackage.json", *leave_out)]
        return paths + ([LICENCE] if licence is not None else [])

    first = _descriptor(dataset, version, files, listed(_FROM_DESCRIPTOR))
    files.write("datapackage.json", json_blocks(first))
    files.write(CODEBOOK_PATH, [codebook(files)])
    files.write(CROISSANT_PATH, croissant(files))
    files.write("datapackage.json", json_blocks(_descriptor(dataset, version, files, listed(()))))


@collector_paused()  # as render
def stamp(dataset: Dataset[Filed], files: Outputs, version: str) -> Outputs:
    """The same outputs naming another version.

    The version depends on the outputs (on how they differ from the last release), so build
    writes once, decides, and restamps only the files that state it: the nested JSON's
    second line, CITATION.cff, and the descriptor with what is made from it.
    """
    restamped = f"{JSON_PATH}.restamped"
    with files.open(JSON_PATH) as handle:
        first = handle.readline()
        handle.readline()
        line = f'"version": {json.dumps(version)},\n'.encode()
        files.write(restamped, itertools.chain([first, line], blocks(handle)))
    files.replace(restamped, JSON_PATH)
    files.write("CITATION.cff", [_citation(version)])
    _describe(dataset, version, files)
    return files
