"""The contributors' field reference (docs/fields.md) is generated from the models, covers
every file, field and vocabulary value, and check keeps the committed copy current."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, invoke

from chechnya_purges import models
from chechnya_purges.models import definitions
from chechnya_purges.reference import FIELDS_PATH, field_reference

# Every shape a contributor writes is a record model: a new one must get its section.
SHAPES = {model.__name__.lower(): model for model in models._Record.__subclasses__()}
VOCABULARIES = [
    models.ActorKind,
    models.ArticleKind,
    models.DateBasis,
    models.ExclusionReason,
    models.FigureCategory,
    models.Qualifier,
    models.Unit,
    models.Act,
    models.Mode,
    models.Medium,
    models.ClaimKind,
]
TEXT = field_reference()


def _section(heading: str) -> str:
    return TEXT.split(f"\n### {heading}\n")[1].split("\n### ")[0].split("\n## ")[0]


@pytest.mark.repository
def test_the_committed_reference_is_the_generated_one() -> None:
    assert (REPO / FIELDS_PATH).read_text(encoding="utf-8") == TEXT


@pytest.mark.parametrize("label", list(SHAPES))
def test_every_field_with_its_type_and_whether_it_is_required(label: str) -> None:
    section = _section(label)
    for name, field in SHAPES[label].model_fields.items():
        (row,) = [line for line in section.splitlines() if line.startswith(f"| `{name}` |")]
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[2] == ("required" if field.is_required() else "optional"), row
        assert cells[1], row
        assert cells[3] == (field.description or "").replace("|", "\\|").replace("<", "&lt;"), row


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_every_vocabulary_value_with_its_meaning(vocabulary: type) -> None:
    section = _section(vocabulary.__name__)
    for value, meaning in definitions(vocabulary).items():
        shown = meaning.replace("|", "\\|").replace("<", "&lt;")  # as Markdown shows it
        assert f"| `{value}` | {shown} |" in section


def test_the_shapes_contributors_could_not_find() -> None:
    """period's {start, end}, excluded and block_quotes items, the exclusion reasons."""
    figure, article = _section("figure"), _section("article")
    assert "| `period` | a mapping: [period](#period) | optional |" in figure
    assert "`period: {start: 2017-02, end: 2017-04-10}`" in _section("period")
    assert "| `excluded` | list of: a mapping: [exclusion](#exclusion) | optional |" in article
    assert '| `block_quotes` | list of: a line number or range, "12" or "60-72" |' in article
    assert "| `reason` | one of [ExclusionReason](#exclusionreason) | required |" in (
        _section("exclusion")
    )
    assert "| `value` | whole number, at least 0 | required |" in figure
    assert "| `speaker` | actor id (an `id` of data/actors.yaml) | required |" in (
        _section("statement")
    )
    assert "| `mentions` | mapping of actor id (an `id` of data/actors.yaml) → text |" in article


def test_the_guide_and_the_unknown_field_fix_point_at_it() -> None:
    assert "(docs/fields.md)" in (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "docs/fields.md" in invoke(REPO, "codes", "unknown-field").stdout


def test_check_catches_a_hand_edited_reference(built: Path) -> None:
    page = built / FIELDS_PATH
    page.write_text(page.read_text(encoding="utf-8").replace("required", "needed", 1))
    result = invoke(built, "check")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{FIELDS_PATH}:")
    assert "error[drift] differs from what build writes" in result.stdout
