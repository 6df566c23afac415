"""The published JSON Schemas of the hand-written files say what the models say: for every
record of the corpus, pydantic and jsonschema (with format checking) give the same verdict
on the rules a schema can express."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ARTICLE, FIXTURE, REPO
from pydantic import ValidationError
from test_bad_inputs import CASES

from chechnya_purges.models import Actor, Article
from chechnya_purges.reader import REGISTRY_BYTES, read_yaml

# Rules beyond a schema: YAML-level problems and cross-record checks.
SCHEMA_BLIND = {
    "yaml-syntax",
    "duplicate-key",
    "yaml-alias",
    "yaml-tag",
    "invalid-utf8",
    "duplicate-id",
    "unknown-actor",
    "actor-not-mentioned",
    "seed-missing",
    "seed-changed",
    "quote-not-found",
    "quote-ambiguous",
    "quote-excluded",
    "quote-not-quoted",
    "line-range",
    "date-order",
    "date-after-publication",
    "figure-value",
    # said without said_basis: a dependency the schema does not state.
    "invalid-value",
}


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO / "schema" / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _verdicts(
    model: Any, validator: jsonschema.Draft202012Validator, data: Any
) -> tuple[bool, bool]:
    try:
        model(data)
        by_pydantic = True
    except ValidationError:
        by_pydantic = False
    return by_pydantic, validator.is_valid(data)


def _read(path: Path) -> Any:
    doc, problems = read_yaml(path.parent, path.name, REGISTRY_BYTES)
    assert not problems
    return doc.data


SCHEMA_CASES = [c for c in CASES if c.code not in SCHEMA_BLIND]


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=[c.name for c in SCHEMA_CASES])
def test_invalid_records_are_invalid_for_both(mini: Path, case: Any) -> None:
    case.apply(mini)
    data = _read(mini / case.file)
    if case.file == ARTICLE:
        verdicts = _verdicts(Article.model_validate, _validator("article.schema.json"), data)
    else:
        verdicts = _verdicts(
            lambda d: [Actor.model_validate(x) for x in d], _validator("actors.schema.json"), data
        )
    assert verdicts == (False, False)


def test_valid_records_are_valid_for_both() -> None:
    articles = [FIXTURE / ARTICLE, *sorted((REPO / "data/articles").glob("*.yaml"))]
    for path in articles:
        data = _read(path)
        assert _verdicts(Article.model_validate, _validator("article.schema.json"), data) == (
            True,
            True,
        ), path
    for path in (FIXTURE / "data/actors.yaml", REPO / "data/actors.yaml"):
        data = _read(path)
        check = _validator("actors.schema.json")
        assert _verdicts(lambda d: [Actor.model_validate(x) for x in d], check, data) == (
            True,
            True,
        ), path


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("published", "2017", True),
        ("published", "2017-04", True),
        ("published", "2017-13", False),
        ("published", "2017-02-29", False),
        ("published", "2016-02-29", True),
        ("published", 2017, True),
        ("published", 20170, False),
        ("published", "17-04-12", False),
        ("language", "en-GB", True),
        ("language", "English", False),
        ("title", "+44 reasons", False),
        ("title", "@handle", False),
        ("title", "", False),
        ("kind", "news", False),
    ],
)
def test_single_field_rules_agree(field: str, value: str | int, valid: bool) -> None:
    data = _read(FIXTURE / ARTICLE)
    data[field] = value
    verdicts = _verdicts(Article.model_validate, _validator("article.schema.json"), data)
    assert verdicts == (valid, valid)
