"""The contributors' field reference, ``docs/fields.md``, generated from the models.

Contributors write YAML, not Python: they need every file, field, type, whether it is
required, and what each vocabulary value means, where they look. All of it is read off the
pydantic models (their JSON Schemas, field descriptions and the vocabularies' definitions),
so the page cannot fall behind them; ``build`` writes it and ``check`` fails when the
committed copy differs.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from . import models
from .models import (
    SLUG_PATTERN,
    Actor,
    Affiliation,
    Article,
    Claim,
    Exclusion,
    Figure,
    Period,
    Reviewed,
    Statement,
    definitions,
)
from .parse import form_of
from .summary import ARTICLES_PATH, Counts, article_page

__all__ = ["FIELDS_PATH", "field_reference", "pages"]

FIELDS_PATH = "docs/fields.md"

# Each hand-written shape, the name its section goes by, and where it appears.
_SHAPES: list[tuple[type[BaseModel], str, str]] = [
    (Actor, "actor", "each item of `data/actors.yaml`, a list"),
    (Affiliation, "affiliation", "each item of an actor's `affiliations`"),
    (Article, "article", "the whole of `data/articles/<seed-stem>.yaml`, a mapping"),
    (Exclusion, "exclusion", "each item of an article's `excluded`"),
    (Figure, "figure", "each item of an article's `figures`"),
    (Period, "period", "a figure's `period`"),
    (Statement, "statement", "each item of an article's `statements`"),
    (Reviewed, "reviewed", "each item of an article's `reviewed`"),
    (Claim, "claim", "each item of `data/claims.yaml`, a list"),
]
_LABELS = {model.__name__: label for model, label, _ in _SHAPES}
_EXAMPLES = {
    "period": "`period: {start: 2017-02, end: 2017-04-10}` (either end may be left out)",
    "exclusion": '`- {lines: "60-72", reason: reader_comments}`',
    "affiliation": "`- {org: us-department-of-state, role: spokesperson, start: 2017}`",
}
_DATE = "date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as precise as the article allows"


def _type(schema: dict[str, Any]) -> str:
    """How a contributor writes a value of this JSON Schema, in words and links."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in _LABELS:
            return f"a mapping: [{_LABELS[name]}](#{_LABELS[name]})"
        return f"one of [{name}](#{name.lower()})"
    if "anyOf" in schema:
        branches = [b for b in schema["anyOf"] if b.get("type") != "null"]
        if any(str(b.get("pattern", "")).startswith("^[0-9]{4}") for b in branches):
            return _DATE
        return " or ".join(_type(b) for b in branches)
    kind = schema.get("type")
    if kind == "array":
        return f"list of: {_type(schema['items'])}"
    if kind == "object":
        (key, value), *_ = schema["patternProperties"].items()
        return f"mapping of {_type({'type': 'string', 'pattern': key})} → {_type(value)}"
    if kind == "integer":
        low = schema.get("minimum")
        return "whole number" + (f", at least {low}" if low is not None else "")
    pattern = schema.get("pattern")
    if pattern == SLUG_PATTERN:  # everywhere but an actor's own id, a reference to one
        return "actor id (an `id` of data/actors.yaml)"
    return (form_of(pattern) if pattern else None) or "text"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def _shape(model: type[BaseModel], label: str, where: str) -> list[str]:
    schema = model.model_json_schema()
    lines = [f"### {label}", "", f"{model.__doc__ or ''} Written as {where}."]
    if label in _EXAMPLES:
        lines.append(f"For example {_EXAMPLES[label]}.")
    lines += ["", "| field | type | required | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        required = "required" if field.is_required() else "optional"
        kind = _type(schema["properties"][name])
        if model is Actor and name == "id":
            kind = form_of(SLUG_PATTERN) or kind
        meaning = _escape(field.description or "")
        lines.append(f"| `{name}` | {kind} | {required} | {meaning} |")
    return [*lines, ""]


def _vocabularies() -> list[type[StrEnum]]:
    """Every vocabulary a hand-written field draws from, in the order of first use."""
    found: list[type[StrEnum]] = []
    for model, _, _ in _SHAPES:
        for name in model.model_json_schema().get("$defs", {}):
            vocabulary = getattr(models, name, None)
            if not (isinstance(vocabulary, type) and issubclass(vocabulary, StrEnum)):
                continue
            if vocabulary not in found:
                found.append(vocabulary)
    return found


def field_reference() -> str:
    """The Markdown text of docs/fields.md."""
    lines = [
        "# Field reference",
        "",
        "<!-- Written by `chechnya-purges build` from the models (src/chechnya_purges/"
        "models.py); a test fails when it differs. Do not edit by hand. -->",
        "",
        "Every field a contributor writes, file by file. *Required* fields must be present "
        "with a value; optional ones may be left out (an empty value counts as left out). "
        "Text must not start with `=`, `+`, `@`, a tab or a carriage return, which "
        "spreadsheets run as formulas. A field not listed here is an error "
        "(`unknown-field`). The annotation rules, which say what goes in each field, are "
        "in [CONTRIBUTING.md](../CONTRIBUTING.md#the-annotation-rules).",
        "",
        "## The files",
        "",
        "- `data/actors.yaml`: a list of [actors](#actor).",
        "- `data/articles/<seed-stem>.yaml`: one [article](#article); the file's name is the "
        "article id and names its seed, `seeds/<seed-stem>.txt`.",
        "- `data/claims.yaml` (optional): a list of [claims](#claim), each one count or speech "
        "event that figures and statements link to with `claim: <id>`.",
        "",
        "## The records",
        "",
    ]
    for model, label, where in _SHAPES:
        lines += _shape(model, label, where)
    lines += ["## The vocabularies", ""]
    for vocabulary in _vocabularies():
        lines += [
            f"### {vocabulary.__name__}",
            "",
            vocabulary.__doc__ or "",
            "",
            "| value | meaning |",
            "|---|---|",
        ]
        lines += [f"| `{v}` | {_escape(m)} |" for v, m in definitions(vocabulary).items()]
        lines.append("")
    return "\n".join(lines)


def pages(files: Mapping[str, bytes], counts: Counts) -> dict[str, bytes]:
    """The generated pages of docs/, from the models and the outputs build writes (and the
    rows it wrote to each table, per article).

    The descriptor lists them like every file of the package, so that verify can tell them
    the release's.
    """
    return {
        ARTICLES_PATH: article_page(files, counts).encode("utf-8"),
        FIELDS_PATH: field_reference().encode("utf-8"),
    }
