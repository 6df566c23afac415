"""The contributor's walk, run exactly as CONTRIBUTING.md shows it, and the tools it uses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ARTICLE, REPO, edit, invoke, tree

from chechnya_purges.diagnostics import codes_markdown

GUIDE = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
PLACEHOLDER = re.search(r"seed_sha256: ([0-9a-f]{64})", GUIDE)


def example(name: str) -> str:
    """The fenced block that follows ``<!-- example:NAME -->`` in CONTRIBUTING.md."""
    match = re.search(rf"<!-- example:{name} -->\n```\w+\n(.*?)```", GUIDE, flags=re.S)
    assert match, name
    return match.group(1)


@pytest.fixture
def empty(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    (root / "data" / "articles").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "data" / "actors.yaml").write_text(example("actors"), encoding="utf-8")
    return root


def test_the_documented_walk_from_new_article_to_clean_check(empty: Path, tmp_path: Path) -> None:
    seed = tmp_path / "900_example.txt"
    seed.write_text(example("seed"), encoding="utf-8")
    record = empty / "data/articles/900_example.yaml"

    started = invoke(empty, "new", str(seed))
    assert started.exit_code == 0, started.output
    assert (empty / "seeds/900_example.txt").read_bytes() == seed.read_bytes()
    skeleton = record.read_text(encoding="utf-8")
    assert skeleton.startswith("# yaml-language-server: $schema=../../schema/article.schema")
    assert 'title: "Freedonia grants asylum to Sylvanian activists"' in skeleton
    assert 'published: "2018-06-04"' in skeleton
    assert 'authors: ["Lee Park"]' in skeleton
    digest = hashlib.sha256(seed.read_bytes()).hexdigest()
    assert f'seed_sha256: "{digest}"' in skeleton

    assert PLACEHOLDER
    record.write_text(
        example("first-attempt").replace(PLACEHOLDER.group(1), digest), encoding="utf-8"
    )
    first = invoke(empty, "validate")
    assert first.exit_code == 1
    assert first.stdout == example("validate")
    assert invoke(empty, "build").exit_code == 1
    assert not (empty / "build").exists()

    record.write_text(example("final").replace(PLACEHOLDER.group(1), digest), encoding="utf-8")
    for command in ("validate", "build", "check"):
        result = invoke(empty, command)
        assert result.exit_code == 0, (command, result.output)


def test_new_refuses_to_overwrite_a_record(mini: Path) -> None:
    before = tree(mini)
    result = invoke(mini, "new", str(mini / "seeds/001_freedonia.txt"))
    assert result.exit_code == 1
    assert "data/articles/001_freedonia.yaml already exists" in result.stderr
    assert tree(mini) == before


def test_new_refuses_a_seed_that_is_not_utf8(mini: Path, tmp_path: Path) -> None:
    seed = tmp_path / "002_latin1.txt"
    seed.write_bytes("Caf\u00e9 raid\n".encode("latin-1"))
    before = tree(mini)
    result = invoke(mini, "new", str(seed))
    assert result.exit_code == 1
    assert f"{seed}:1:4: byte 0xe9 at offset 3 is not valid UTF-8" in result.stderr
    assert tree(mini) == before


def test_new_refuses_a_different_seed_of_the_same_name(mini: Path, tmp_path: Path) -> None:
    seed = tmp_path / "001_freedonia.txt"
    seed.write_text("Another text\n", encoding="utf-8")
    (mini / ARTICLE).unlink()
    before = tree(mini)
    result = invoke(mini, "new", str(seed))
    assert result.exit_code == 1
    assert "seeds/001_freedonia.txt already exists with other content" in result.stderr
    assert tree(mini) == before


def test_locate_shows_the_place_and_the_offsets(mini: Path) -> None:
    result = invoke(mini, "locate", "001", "Sylvanian government denied")
    assert result.exit_code == 0, result.output
    seed = (mini / "seeds/001_freedonia.txt").read_text(encoding="utf-8")
    start = seed.index("Sylvanian government denied")
    assert result.stdout.splitlines()[0] == (
        f"seeds/001_freedonia.txt:8:5: occurrence 1, offsets [{start}, {start + 27})"
    )


def test_locate_lists_every_place_of_a_repeated_quote(mini: Path) -> None:
    result = invoke(mini, "locate", "001_freedonia", "in Sylvania", "--format", "json")
    places = json.loads(result.stdout)
    assert [(p["occurrence"], p["line"]) for p in places] == [(1, 1), (2, 4)]
    assert "needs `occurrence: N`" in result.stderr


def test_locate_marks_places_in_excluded_regions(mini: Path) -> None:
    result = invoke(mini, "locate", "001", "Freedonia should do more")
    assert "(in an excluded region: reader_comments)" in result.stdout


def test_locate_shows_the_closest_passage_when_not_found(mini: Path) -> None:
    result = invoke(mini, "locate", "001", "The Sylvanian government rejected the reports")
    assert result.exit_code == 1
    assert "not found; closest passage, at seed line 8: 'The Sylvanian government " in (
        result.stderr
    )


def test_the_closest_passage_is_whole_words_to_copy(mini: Path) -> None:
    """Cut at the quote's length it would end inside "release" ("…to relea")."""
    result = invoke(mini, "locate", "001", "We call on the Sylvanian government to let go")
    assert result.exit_code == 1
    assert result.stderr == (
        "seeds/001_freedonia.txt: not found; closest passage, at seed line 6: "
        "'We call on the Sylvanian government to release'\n"
    )
    # Matched by its end, the passage starts on a whole word too ("…rnment" → "government").
    tail = invoke(mini, "locate", "001", "xx rnment to release them.")
    assert "at seed line 6: 'government to release them.'\n" in tail.stderr


def test_actors_finds_by_name_alias_and_near_spelling(mini: Path) -> None:
    assert invoke(mini, "actors", "diaz").stdout.startswith("ana-diaz  person  Ana Díaz")
    assert invoke(mini, "actors", "the ministry").stdout.startswith(
        "freedonia-ministry-of-foreign-affairs"
    )
    assert invoke(mini, "actors", "Sylvana").stdout.startswith("sylvania-government")
    missing = invoke(mini, "actors", "nobody")
    assert missing.exit_code == 1
    assert "add one to data/actors.yaml" in missing.stderr


def test_a_close_new_actor_name_is_a_warning(built: Path) -> None:
    registry = built / "data/actors.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "- id: ana-diaz-lopez\n  name: Ana Díaz López\n  kind: person\n",
        encoding="utf-8",
    )
    result = invoke(built, "validate")
    lines = [line for line in result.stdout.splitlines() if "near-duplicate" in line]
    assert lines == [
        "data/actors.yaml:27:9: warning[actor-near-duplicate] [5]: 'Ana Díaz López' is close to "
        "'Ana Díaz' (ana-diaz, line 2)"
    ]


def test_the_near_duplicate_named_is_the_same_in_every_run(mini: Path) -> None:
    """A name close to two earlier ones names the same one whatever Python's string hashing
    (which orders sets) does in this run."""
    registry = mini / "data/actors.yaml"
    registry.write_text(
        registry.read_text(encoding="utf-8")
        + "".join(
            f"- id: {slug}\n  name: {name}\n  kind: person\n"
            for slug, name in [
                ("rosa-lind", "Rosa Lind"),
                ("mara-lind", "Mara Lind"),
                ("rosa-mara-lind", "Rosa Mara Lind"),
            ]
        ),
        encoding="utf-8",
    )
    outputs = {
        subprocess.run(
            [
                sys.executable,
                "-m",
                "chechnya_purges",
                "--root",
                str(mini),
                "validate",
                "--no-cache",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            check=False,
        ).stdout
        for seed in range(8)
    }
    assert len(outputs) == 1
    assert "'Rosa Mara Lind' is close to 'Rosa Lind' (rosa-lind" in outputs.pop()


@pytest.mark.repository
def test_the_guide_lists_every_error_code_as_the_tool_does() -> None:
    block = GUIDE.split("<!-- codes:start -->\n")[1].split("<!-- codes:end -->")[0]
    assert block == codes_markdown()
    assert invoke(REPO, "codes").stdout == codes_markdown()


def test_codes_explains_one_code_and_suggests_a_near_miss(tmp_path: Path) -> None:
    explained = invoke(REPO, "codes", "quote-excluded")
    assert explained.stdout.startswith("quote-excluded: Evidence lies in a region")
    wrong = invoke(REPO, "codes", "quote-exclude")
    assert wrong.exit_code == 2
    assert "did you mean 'quote-excluded'?" in wrong.stderr


def test_a_month_without_its_leading_zero_says_how_to_write_a_date(mini: Path) -> None:
    edit(mini, ARTICLE, lambda text: text.replace("published: 2018-03-12", "published: 2018-3", 1))
    before = tree(mini)
    result = invoke(mini, "validate", "--format", "json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)
    assert (problem["path"], problem["line"], problem["col"], problem["code"]) == (
        ARTICLE,
        7,
        12,
        "invalid-date",
    )
    assert "'2018-3'" in problem["message"]
    assert "2018-01" in problem["hint"]
    assert tree(mini) == before


def test_a_misspelled_required_field_is_one_mistake(mini: Path) -> None:
    edit(mini, ARTICLE, lambda text: text.replace("    category: ", "    catgory: ", 1))
    result = invoke(mini, "validate", "--format", "json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.stdout)
    assert problem["code"] == "unknown-field"
    assert problem["hint"] == "did you mean 'category'?"
