"""Each bad input yields exactly one error, with its own code, at the file:line:col of the
mistake, and a failed build leaves every output as it was."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ARTICLE, SEED, edit, invoke, position_of, tree

ACTORS = "data/actors.yaml"
SHA = "1c1bf684a73d138c18a39f615d7ca5cb7391751129a5a16180bfbc7f74da97b8"


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    old: str
    new: str
    code: str
    at: str  # text around the mistake; the error must point just after its '|'
    hint: str | None = None  # text the hint must contain
    count: int = 1

    def apply(self, root: Path) -> str:
        def change(text: str) -> str:
            assert text.count(self.old) == self.count, f"{self.name}: fixture changed"
            return text.replace(self.old, self.new)

        return edit(root, self.file, change)


CASES = [
    Case(
        "yaml syntax error",
        ARTICLE,
        "title: Freedonia condemns detentions",
        "title: Freedonia condemns: detentions",
        "yaml-syntax",
        "condemns|: detentions",
    ),
    Case(
        "duplicate key",
        ARTICLE,
        "kind: news_article\n",
        "kind: news_article\nkind: opinion\n",
        "duplicate-key",
        "|kind: opinion",
        "remove or rename",
    ),
    Case(
        "alias",
        ARTICLE,
        "publisher: freedonian-times",
        "publisher: &p freedonian-times\nnote: *p",
        "yaml-alias",
        "note: |*p",
    ),
    Case(
        "explicit tag",
        ARTICLE,
        "subject: men\n    place",
        "subject: !!str men\n    place",
        "yaml-tag",
        "subject: |!!str",
    ),
    Case(
        "unknown field",
        ARTICLE,
        "    place: Sylvania\n",
        "    place: Sylvania\n    colour: red\n",
        "unknown-field",
        "|colour",
        "known fields: id, category",
    ),
    Case(
        "misspelt field",
        ARTICLE,
        "    act: deny\n",
        "    act: deny\n    occurence: 1\n",
        "unknown-field",
        "|occurence",
        "did you mean 'occurrence'?",
    ),
    Case(
        "wrong enum value, near miss",
        ARTICLE,
        "act: condemn",
        "act: condem",
        "unknown-choice",
        "act: |condem",
        "did you mean 'condemn'?",
    ),
    Case(
        "missing field",
        ARTICLE,
        "    unit: people\n    subject: men\n    reported_by",
        "    subject: men\n    reported_by",
        "missing-field",
        "- |id: died-2",
    ),
    Case(
        "number where text is expected",
        ARTICLE,
        "title: Freedonia condemns detentions in Sylvania",
        "title: 1984",
        "wrong-type",
        "title: |1984",
        "put the value in quotes",
    ),
    Case(
        "quoted number for a count",
        ARTICLE,
        "value: 40",
        'value: "40"',
        "wrong-type",
        'value: |"40"',
    ),
    Case(
        "bad wikidata id",
        ACTORS,
        "kind: media\n",
        "kind: media\n  wikidata: Q-12\n",
        "invalid-format",
        "wikidata: |Q-12",
        "Wikidata item id",
    ),
    Case("bad slug", ARTICLE, "- id: died-2", "- id: Died 2", "invalid-format", "- id: |Died 2"),
    Case(
        "impossible date",
        ARTICLE,
        "published: 2018-03-12",
        "published: 2018-02-30",
        "invalid-date",
        "published: |2018-02-30",
    ),
    Case(
        "date without its basis",
        ARTICLE,
        "    said_basis: relative\n",
        "",
        "invalid-value",
        "- |id: ministry-condemns",
    ),
    Case(
        "formula-like text",
        ARTICLE,
        "subject: men\n    place",
        "subject: =1+1\n    place",
        "formula-text",
        "subject: |=1+1",
    ),
    Case(
        "unknown actor id",
        ARTICLE,
        "speaker: sylvania-government",
        "speaker: sylvania-govt",
        "unknown-actor",
        "speaker: |sylvania-govt",
        "did you mean 'sylvania-government'?",
    ),
    Case(
        "actor not mentioned",
        ARTICLE,
        "  rights-groups: Rights groups\n",
        "",
        "actor-not-mentioned",
        "reported_by: |rights-groups",
        "add to mentions",
    ),
    Case(
        "duplicate actor id",
        ACTORS,
        "- id: sylvania-government",
        "- id: rights-groups\n"
        "  name: Rights groups, again\n  kind: group\n- id: sylvania-government",
        "duplicate-id",
        "- id: |rights-groups\n  name: Rights groups, again",
        "merge the two entries",
    ),
    Case(
        "duplicate statement id",
        ARTICLE,
        "- id: sylvania-denies",
        "- id: diaz-alarmed",
        "duplicate-id",
        "- id: |diaz-alarmed\n    speaker: sylvania",
    ),
    Case(
        "quote not in the seed",
        ARTICLE,
        "quote: The Sylvanian government denied the reports.",
        "quote: The Sylvanian government rejected the reports.",
        "quote-not-found",
        "quote: |The Sylvanian government rejected",
        "closest passage, at seed line 8",
    ),
    Case(
        "quote on no word boundary",
        ARTICLE,
        "quote: The Sylvanian government denied the reports.",
        "quote: Sylvanian governmen",
        "quote-not-found",
        "quote: |Sylvanian governmen",
    ),
    Case(
        "ambiguous quote",
        ARTICLE,
        "quote: The Sylvanian government denied the reports.",
        "quote: in Sylvania",
        "quote-ambiguous",
        "quote: |in Sylvania",
        "add occurrence: N",
    ),
    Case(
        "quote in an excluded region",
        ARTICLE,
        "quote: The Sylvanian government denied the reports.",
        "quote: Freedonia should do more",
        "quote-excluded",
        "quote: |Freedonia should do more",
    ),
    Case(
        "direct quote outside quotation marks",
        ARTICLE,
        "quote: We call on the Sylvanian government to release them.",
        "quote: said Foreign Minister Ana Díaz",
        "quote-not-quoted",
        "quote: |said Foreign Minister Ana Díaz",
        "mode: indirect",
    ),
    Case(
        "seed edited after annotation",
        SEED,
        "the Freedonian Times has learned",
        "the Freedonian Times learned",
        "seed-changed",
        "seed_sha256: |" + SHA,
    ),
    Case(
        "date after publication",
        ARTICLE,
        "said: 2018-03-12",
        "said: 2018-03-13",
        "date-after-publication",
        "said: |2018-03-13",
    ),
    Case(
        "period ends before it starts",
        ARTICLE,
        "start: 2018-01\n      end: 2018-03-12",
        "start: 2018-03\n      end: 2018-02",
        "date-order",
        "end: |2018-02",
    ),
    Case(
        "figure value not in its quote",
        ARTICLE,
        "value: 40",
        "value: 41",
        "figure-value",
        "value: |41",
    ),
    Case(
        "line range past the seed",
        ARTICLE,
        "lines: 14-15",
        "lines: 14-99",
        "line-range",
        "lines: |14-99",
    ),
    Case("seed missing", ARTICLE, "seed_sha256", "seed_sha256", "seed-missing", "|seed_sha256"),
    Case(
        "period written as a date",
        ARTICLE,
        "period:\n      start: 2018-01\n      end: 2018-03-12",
        "period: 2018-01",
        "wrong-type",
        "period: |2018-01",
        "write `period: {start: 2018-01, end: 2018-01}` for all of 2018-01, or give only start",
    ),
    Case(
        "value written as quoted text",
        ARTICLE,
        "value: 40",
        'value: "40"',
        "wrong-type",
        'value: |"40"',
        "write the number without quotes: `value: 40`",
    ),
    Case(
        "language written as an empty string",
        ARTICLE,
        "language: en",
        'language: ""',
        "missing-field",
        'language: |""',
        "write a BCP 47 language tag (en, ru, en-GB)",
    ),
    Case(
        "language left empty",
        ARTICLE,
        "language: en\n",
        "language:\n",
        "missing-field",
        "language:|\n",
        "write a BCP 47 language tag (en, ru, en-GB)",
    ),
    Case(
        "excluded region written as its lines only",
        ARTICLE,
        "  - lines: 14-15\n    reason: reader_comments",
        '  - "14-15"',
        "wrong-type",
        '  - |"14-15"',
        "write `- {lines: …, reason: …}` with the fields lines, reason",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_error_at_the_mistake_and_nothing_written(built: Path, case: Case) -> None:
    text = case.apply(built)
    if case.code == "seed-missing":
        (built / SEED).rename(built / "other.txt")  # out of seeds/: no unused-seed warning
    if case.code == "seed-changed":
        text = (built / ARTICLE).read_text(encoding="utf-8")
    path = ARTICLE if case.file == SEED else case.file
    line, col = position_of(text, case.at)
    before = tree(built)

    result = invoke(built, "validate", "--format", "json")
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)
    assert [(p["code"], p["path"], p["line"], p["col"]) for p in problems] == [
        (case.code, path, line, col)
    ], result.stdout
    if case.hint:
        assert case.hint in (problems[0]["hint"] or ""), problems[0]

    text_result = invoke(built, "validate")
    first = text_result.stdout.splitlines()[0]
    assert first.startswith(f"{path}:{line}:{col}: error[{case.code}] "), first

    build = invoke(built, "build")
    assert build.exit_code == 1
    assert "Nothing was written." in build.stderr
    assert tree(built) == before


def test_every_problem_of_a_file_in_one_run(mini: Path) -> None:
    """An invalid statement is reported and set aside; the rest is still checked."""
    chosen = {
        "wrong enum value, near miss",
        "unknown actor id",
        "figure value not in its quote",
        "period ends before it starts",
    }
    for case in CASES:
        if case.name in chosen:
            case.apply(mini)
    result = invoke(mini, "validate", "--format", "json")
    codes = sorted(p["code"] for p in json.loads(result.stdout))
    assert codes == ["date-order", "figure-value", "unknown-actor", "unknown-choice"], result.stdout


def test_invalid_utf8_points_at_the_byte(built: Path) -> None:
    path = built / ARTICLE
    raw = path.read_bytes().replace(b"Jane Roe", b"Jane R\xf6e")
    path.write_bytes(raw)
    before = tree(built)
    result = invoke(built, "validate")
    assert result.exit_code == 1
    line = raw[: raw.index(b"\xf6")].count(b"\n") + 1
    col = len(raw[: raw.index(b"\xf6")].split(b"\n")[-1]) + 1
    assert result.stdout.splitlines()[0].startswith(f"{ARTICLE}:{line}:{col}: error[invalid-utf8]")
    assert invoke(built, "build").exit_code == 1
    assert tree(built) == before


def test_invalid_utf8_seed_is_reported_on_the_seed(mini: Path) -> None:
    seed = mini / SEED
    seed.write_bytes(seed.read_bytes().replace(b"Jane Roe", b"Jane R\xf6e"))
    result = invoke(mini, "validate", "--format", "json")
    problems = json.loads(result.stdout)
    assert [(p["code"], p["path"], p["line"]) for p in problems] == [("invalid-utf8", SEED, 2)]


def test_country_no_stays_the_text_no(mini: Path) -> None:
    edit(mini, ACTORS, lambda t: t.replace("country: SY", "country: NO"))
    assert invoke(mini, "build").exit_code == 0
    actors = (mini / "build/actors.csv").read_text(encoding="utf-8")
    assert "sylvania-government,Government of Sylvania,government,NO,," in actors


def test_straight_quotes_and_spaces_anchor_to_the_seeds_own_characters(built: Path) -> None:
    document = json.loads((built / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    statements = {s["statement_id"]: s for s in document["articles"][0]["statements"]}
    typed = '"We are deeply alarmed by credible reports of arbitrary detentions,"'
    stored = statements["001_freedonia:diaz-alarmed"]
    assert (
        stored["quote"] == "\u201cWe are deeply alarmed by credible reports of arbitrary "
        "detentions,\u201d"
    )
    assert stored["quote"] != typed
    seed = (built / SEED).read_text(encoding="utf-8")
    assert seed[stored["start"] : stored["end"]] == stored["quote"]
    mentions = {m["actor_id"]: m for m in document["articles"][0]["mentions"]}
    assert mentions["ana-diaz"]["quote"] == "Foreign Minister Ana\u00a0Díaz"


def test_occurrence_picks_one_of_a_repeated_quote(built: Path) -> None:
    edit(
        built,
        ARTICLE,
        lambda t: t.replace(
            "quote: The Sylvanian government denied the reports.",
            "quote: in Sylvania\n    occurrence: 2",
        ),
    )
    assert invoke(built, "build").exit_code == 0
    seed = (built / SEED).read_text(encoding="utf-8")
    rows = (built / "build/statements.csv").read_text(encoding="utf-8")
    start = seed.index("in Sylvania", seed.index("in Sylvania") + 1)
    assert f"in Sylvania,{start},{start + len('in Sylvania')}" in rows


def test_occurrence_past_the_last_is_an_error(mini: Path) -> None:
    edit(
        mini,
        ARTICLE,
        lambda t: t.replace(
            "quote: The Sylvanian government denied the reports.",
            "quote: in Sylvania\n    occurrence: 3",
        ),
    )
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert "error[quote-ambiguous]" in result.stdout
    assert "occurrence 3 asked for, but the quote occurs 2 time(s)" in result.stdout


def test_an_actor_no_article_uses_is_a_warning_not_an_error(built: Path) -> None:
    edit(built, ACTORS, lambda t: t + "- id: nobody-at-all\n  name: Nobody\n  kind: person\n")
    result = invoke(built, "validate")
    assert result.exit_code == 0, result.output
    line = len((built / ACTORS).read_text(encoding="utf-8").splitlines()) - 2
    assert result.stdout.startswith(f"{ACTORS}:{line}:7: warning[actor-unused] ")
    assert invoke(built, "build").exit_code == 0


def test_the_newcomers_mistakes_say_what_to_write(mini: Path) -> None:
    """The whole message and hint, not pydantic's words ("valid dictionary or instance of
    Period", "valid integer")."""
    edit(mini, ARTICLE, lambda t: t.replace("value: 40", 'value: "40"'))
    edit(mini, ARTICLE, lambda t: t.replace("language: en", "language:"))
    edit(
        mini,
        ARTICLE,
        lambda t: t.replace(
            "period:\n      start: 2018-01\n      end: 2018-03-12", "period: 2018-01"
        ),
    )
    result = invoke(mini, "validate")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{ARTICLE}:6:10: error[missing-field] language: required field is empty",
        "  hint: write a BCP 47 language tag (en, ru, en-GB)",
        f"{ARTICLE}:22:12: error[wrong-type] figures[0].value: a number is wanted, and '40' "
        "is text",
        "  hint: write the number without quotes: `value: 40`",
        f"{ARTICLE}:35:13: error[wrong-type] figures[1].period: '2018-01' is not a mapping",
        "  hint: write `period: {start: 2018-01, end: 2018-01}` for all of 2018-01, or give "
        "only start or only end when the article bounds one side (see docs/fields.md)",
    ]
