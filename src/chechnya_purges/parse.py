"""Stage 2, parse: located plain data → pydantic models, errors mapped back to file:line:col.

Actors are parsed one by one, so one broken entry does not hide the rest of the registry from
the checks that follow. An article is parsed whole: an article with a model error is reported
and left out of the cross-record checks, which would only repeat its problem.
"""

from __future__ import annotations

import difflib
import functools
import re
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import SchemaValidator, core_schema

from .diagnostics import Diagnostic
from .models import PLAIN, Actor, Article, Claim
from .reader import Document, Key

__all__ = ["dotted", "form_of", "parse_actors", "parse_article", "parse_claims", "suggest"]

M = TypeVar("M", bound=BaseModel)

# pydantic error types → our codes; anything unlisted is a wrong type.
_CODES = {
    "extra_forbidden": "unknown-field",
    "missing": "missing-field",
    "enum": "unknown-choice",
    "literal_error": "unknown-choice",
    "string_pattern_mismatch": "invalid-format",
    "string_too_short": "invalid-format",
    "formula_text": "formula-text",
    "control_character": "control-character",
    "blank_text": "missing-field",
    "invalid_date": "invalid-date",
    "greater_than_equal": "invalid-value",
    "greater_than": "invalid-value",
    "basis_mismatch": "invalid-value",
}
_FORMS = {
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$": "lower-case ASCII words joined by hyphens (rex-tillerson)",
    r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$": "lower-case ASCII words joined by - or _ (detained-100)",
    r"^[1-9][0-9]{0,8}(?:-[1-9][0-9]{0,8})?$": 'a line number or range, "12" or "60-72"',
    r"^[0-9a-f]{64}$": "64 lower-case hex digits (sha256sum of the seed)",
    r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$": "an ISO 3166 code in capitals (US, RU-CE)",
    r"^Q[1-9][0-9]*$": "a Wikidata item id (Q42)",
    r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$": "a BCP 47 language tag (en, ru, en-GB)",
}


def dotted(loc: Key) -> str:
    """``("statements", 2, "quote")`` → ``statements[2].quote``, as the messages print it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def suggest(value: object, choices: typing.Iterable[str]) -> str | None:
    """A "did you mean" hint naming the closest choice, when one is close enough."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _model_at(model: type[BaseModel], loc: Key) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (for naming its known fields)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
        while typing.get_origin(current) is not None:
            args = [a for a in typing.get_args(current) if a is not type(None)]
            current = args[-1] if args else None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


# An empty string where a pattern or a minimum length applies is an empty field, not a form.
_EMPTY_TEXT = ("string_pattern_mismatch", "string_too_short")


def _pattern_at(model: type[BaseModel], loc: Key) -> str | None:
    """The pattern the field at ``loc`` must match, if it has one."""
    names = [part for part in loc if isinstance(part, str)]
    holder = _model_at(model, tuple(loc[: max(len(loc) - 1, 0)]))
    field = holder.model_fields.get(names[-1]) if holder is not None and names else None
    for constraint in field.metadata if field is not None else []:
        pattern = getattr(constraint, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _mapping_hint(holder: type[BaseModel] | None, loc: Key, value: object) -> str | None:
    """What to write instead of a plain value where a mapping (one of the models) goes."""
    if holder is None:
        return None
    lead = f"{loc[-1]}: " if loc and isinstance(loc[-1], str) else "- "
    fields = list(holder.model_fields)
    if set(fields) == {"start", "end"}:  # a period: the value was probably its date
        shown = value if isinstance(value, (str, int)) and str(value).strip() else "2018-01"
        return (
            f"write `{lead}{{start: {shown}, end: {shown}}}` for all of {shown}, or give "
            "only start or only end when the article bounds one side (see docs/fields.md)"
        )
    required = [n for n, f in holder.model_fields.items() if f.is_required()] or fields[:1]
    example = ", ".join(f"{n}: …" for n in required)
    return f"write `{lead}{{{example}}}` with the fields {', '.join(fields)} (docs/fields.md)"


# How much of a wrong value a message repeats: a hostile file's value can be megabytes long.
_SHOWN = 80


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 1]}… ({len(text):,} characters)"


def _diagnostic(doc: Document, model: type[BaseModel], error: Any, prefix: Key) -> Diagnostic:
    loc: Key = (*prefix, *error["loc"])
    kind = error["type"]
    code = _CODES.get(kind, "wrong-type")
    hint = None
    at_key = kind == "extra_forbidden"
    if loc and loc[-1] == "[key]":
        loc, at_key = loc[:-1], True
    where = dotted(loc) or "the file"
    value = error.get("input")
    if kind == "extra_forbidden":
        holder = _model_at(model, error["loc"][:-1])
        message = f"{where}: unknown field {loc[-1]!r}"
        hint = suggest(loc[-1], holder.model_fields) if holder else None
        if holder is not None and hint is None:
            hint = "known fields: " + ", ".join(holder.model_fields)
    elif kind == "missing":
        message = f"{where}: required field is missing"
    elif (value is None and "input" in error) or (value == "" and kind in _EMPTY_TEXT):
        code = "missing-field"
        message = f"{where}: required field is empty"
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        pattern = _pattern_at(model, error["loc"])
        form = form_of(pattern) if pattern else None
        hint = "one of: " + ", ".join(expected) if expected else (f"write {form}" if form else None)
    elif kind == "model_type":
        code = "wrong-type"
        holder = _model_at(model, error["loc"])
        message = f"{where}: {_shown(value)} is not a mapping"
        hint = _mapping_hint(holder, loc, value)
    elif kind == "int_type" and isinstance(value, str):
        message = f"{where}: a number is wanted, and {_shown(value)} is text"
        hint = (
            f"write the number without quotes: `{loc[-1]}: {value.strip()}`"
            if value.strip().isdigit() and len(value) <= _SHOWN
            else f'write the number in digits, without quotes (`{loc[-1]}: 3` for "three")'
        )
    elif code == "unknown-choice":
        expected = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        message = f"{where}: {_shown(value)} is not one of {', '.join(expected)}"
        hint = suggest(value, expected)
    elif kind == "string_pattern_mismatch":
        form = _FORMS.get(error["ctx"]["pattern"], f"the pattern {error['ctx']['pattern']}")
        message = f"{where}: {_shown(value)} does not have the required form"
        hint = f"write {form}"
    elif code == "wrong-type":
        message = f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}, got {_shown(value)}"
        if isinstance(value, int) and "string" in kind:
            hint = f"put the value in quotes: '{value}'"
    else:
        message = f"{where}: {error['msg'][0].lower()}{error['msg'][1:]}"
    if code == "invalid-date" and hint is None:
        hint = (
            "write the date as precisely as the article gives it, with two-digit months and "
            "days: 2018, 2018-01 or 2018-01-05"
        )
    pos = doc.position(loc, prefer_key=at_key)
    return Diagnostic(doc.path, pos.line, pos.col, code, message, hint)


@functools.cache
def _plain_first(model: type[BaseModel]) -> SchemaValidator:
    """A validator of ``model`` that checks a plain text or date (``models.PLAIN``) by its
    pattern in pydantic-core, and calls the rule in Python only for any other value.

    It accepts exactly what the model accepts and builds the same instances: each pattern
    matches only values its rule accepts and returns unchanged, and a value it does not
    match goes on to the model's own schema for that field. Only its errors differ (a union
    of both attempts), so a record it refuses is validated again by the model itself, whose
    errors are the ones reported.

    pydantic-core builds a model node from the class's own validator when that validator
    is the model alone (no model validator around it): Figure, Reviewed, Exclusion, Period,
    Actor and Claim keep calling the rules, and the patterns serve Article's and
    Statement's fields (half the calls of a generated article). Either way the records are
    the model's.
    """

    def plain_first(node: Any) -> Any:
        if isinstance(node, list):
            return [plain_first(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: plain_first(value) for key, value in node.items()}
        if node.get("type") == "function-after" and (
            pattern := PLAIN.get(node["function"].get("function"))
        ):
            return core_schema.union_schema(
                [core_schema.str_schema(pattern=pattern), node], mode="left_to_right"
            )
        return node

    return SchemaValidator(plain_first(model.__pydantic_core_schema__))


def _validate(
    doc: Document, model: type[M], data: Any, prefix: Key = ()
) -> tuple[M | None, list[Diagnostic], list[Key]]:
    """The model, or the diagnostics and the data paths of what failed."""
    try:
        return typing.cast(M, _plain_first(model).validate_python(data)), [], []
    except ValidationError:
        pass
    try:
        return model.model_validate(data), [], []
    except ValidationError as exc:
        errors = _misspelled_once(exc.errors(include_url=False))
        found = [_diagnostic(doc, model, e, prefix) for e in errors]
        return None, found, [tuple(e["loc"]) for e in errors]


def _misspelled_once(errors: list[Any]) -> list[Any]:
    """A misspelled required field is one mistake: its unknown-field error says "did you
    mean", so the missing-field error for the same field is left out (it would come first,
    at the mapping's start, and send a newcomer looking for a field they did write)."""
    unknown = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]
    meant = set()
    for loc in unknown:
        siblings = [
            e["loc"][-1]
            for e in errors
            if e["type"] == "missing"
            and e["loc"][:-1] == loc[:-1]
            and isinstance(e["loc"][-1], str)
        ]
        close = difflib.get_close_matches(str(loc[-1]), siblings, n=1, cutoff=0.6)
        meant |= {(*loc[:-1], name) for name in close}
    return [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in meant)]


def _parse_list(
    doc: Document, model: type[M], what: str, noun: str
) -> tuple[list[tuple[int, M]], list[Diagnostic]]:
    """Every valid entry of a list file with its index, and the problems of the others."""
    if doc.data is None:
        return [], []
    if not isinstance(doc.data, list):
        pos = doc.position(())
        return [], [
            Diagnostic(
                doc.path,
                pos.line,
                pos.col,
                "wrong-type",
                f"the {what} must be a list of {noun}s",
                f"start each {noun} with '- id: '",
            )
        ]
    entries, problems = [], []
    for index, item in enumerate(doc.data):
        entry, found, _ = _validate(doc, model, item, (index,))
        problems += found
        if entry is not None:
            entries.append((index, entry))
    return entries, problems


def parse_actors(doc: Document) -> tuple[list[tuple[int, Actor]], list[Diagnostic]]:
    """Every valid actor of the registry with its index, and the problems of the others."""
    return _parse_list(doc, Actor, "actor registry", "actor")


def parse_claims(doc: Document) -> tuple[list[tuple[int, Claim]], list[Diagnostic]]:
    """Every valid claim of data/claims.yaml with its index, and the problems of the others."""
    return _parse_list(doc, Claim, "claims file", "claim")


SALVAGEABLE = ("figures", "statements")


def parse_article(
    doc: Document,
) -> tuple[Article | None, dict[str, list[int]], list[Diagnostic]]:
    """The article model, where each figure and statement came from, and the problems.

    When the only problems lie inside figures or statements (or mention entries), the
    article is rebuilt without those items, so the checks that follow still report
    everything else in the same run. The second value maps each kept item to its index in
    the file, which is where its later diagnostics must point.
    """
    data = {} if doc.data is None else doc.data
    article, problems, failed = _validate(doc, Article, data)
    if article is not None or not isinstance(data, dict):
        return article, _origin(data), problems
    failing: set[Key] = set()
    for problem_loc in failed:
        if len(problem_loc) >= 2 and problem_loc[0] in (*SALVAGEABLE, "mentions"):
            failing.add(problem_loc[:2])
        else:
            return None, {}, problems
    trimmed = dict(data)
    for kind in SALVAGEABLE:
        items = data.get(kind)
        if isinstance(items, list):
            trimmed[kind] = [x for i, x in enumerate(items) if (kind, i) not in failing]
    if isinstance(data.get("mentions"), dict):
        trimmed["mentions"] = {
            k: v for k, v in data["mentions"].items() if ("mentions", k) not in failing
        }
    article = _validate(doc, Article, trimmed)[0]
    origin = {
        kind: [i for i in range(len(data.get(kind) or [])) if (kind, i) not in failing]
        for kind in SALVAGEABLE
    }
    return article, origin, problems


def _origin(data: Any) -> dict[str, list[int]]:
    items = data if isinstance(data, dict) else {}
    return {kind: list(range(len(items.get(kind) or []))) for kind in SALVAGEABLE}


def form_of(pattern: str) -> str | None:
    """How to write a value of this pattern, in words, for messages and the field reference."""
    return _FORMS.get(pattern)
