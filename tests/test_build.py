"""build writes a conformant, byte-reproducible Data Package with DESIGN's tables and columns;
check catches every kind of drift, naming the file and the command that fixes it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import frictionless
import jsonschema
import pytest
from conftest import ARTICLE, REPO, edit, invoke, run_changed_code, tree

from chechnya_purges.tables import JSON_PATH

# DESIGN.md's output tables: the public contract, typed out here on purpose so that a change
# to the code's column lists fails this test instead of silently changing the contract.
CONTRACT = {
    "actors": "actor_id, name, kind, country, wikidata_id, description",
    "affiliations": "actor_id, organization_id, role, start, end",
    "articles": "article_id, publisher_id, kind, title, authors, language, url, published, "
    "published_precision, published_earliest, published_latest, published_basis, seed_path, "
    "seed_sha256",
    "mentions": "article_id, actor_id, quote, start, end",
    "figures": "figure_id, article_id, category, value, qualifier, low, high, unit, subject, "
    "place, period_start, period_end, reported_by, via, quote, start, end, note, claim_id",
    "statements": "statement_id, article_id, speaker_id, speaker_label, on_behalf_of, via, act, "
    "mode, medium, said, said_precision, said_earliest, said_latest, said_basis, quote, start, "
    "end, note, claim_id",
    "statement_addressees": "statement_id, actor_id",
    "claims": "claim_id, kind, summary, origin_id, note, records, articles, first_article_id, "
    "first_published_earliest",
    "lineage": "claim_id, position, figure_id, statement_id, article_id, published, "
    "published_precision, published_earliest, published_latest, credited_to, via, value, "
    "qualifier, low, high, quote, changes",
}


def _table(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_tables_have_the_contracted_columns(built: Path) -> None:
    for name, columns in CONTRACT.items():
        header = (built / "build" / f"{name}.csv").read_text(encoding="utf-8").split("\n")[0]
        assert header == columns.replace(", ", ","), name


def test_build_twice_changes_no_byte(built: Path) -> None:
    first = tree(built)
    assert invoke(built, "build").exit_code == 0
    assert tree(built) == first


def test_frictionless_finds_the_package_valid_without_warnings(built: Path) -> None:
    report = frictionless.Package(str(built / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])
    assert report.warnings == []
    assert all(task.warnings == [] for task in report.tasks)
    assert {task.name for task in report.tasks} >= set(CONTRACT)


def test_frictionless_catches_a_broken_foreign_key_in_the_built_tables(built: Path) -> None:
    """The descriptor's foreign keys are real constraints, not decoration."""
    path = built / "build/mentions.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",ana-diaz,", ",nobody,"), "utf-8")
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        resource.pop("hash", None)
        resource.pop("bytes", None)
    (built / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = frictionless.Package(str(built / "datapackage.json")).validate()
    assert not report.valid
    assert "foreign-key" in {error.type for task in report.tasks for error in task.errors}


def test_csv_conventions(built: Path) -> None:
    for name in CONTRACT:
        raw = (built / "build" / f"{name}.csv").read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf"), name
        assert b"\r\n" not in raw, name
        assert raw.endswith(b"\n"), name


def test_rows_are_sorted_by_primary_key_and_bounds_follow_the_qualifier(built: Path) -> None:
    figures = _table(built, "figures")
    assert [f["figure_id"] for f in figures] == sorted(f["figure_id"] for f in figures)
    detained = next(f for f in figures if f["figure_id"].endswith(":detained-40"))
    assert (detained["qualifier"], detained["low"], detained["high"]) == ("more_than", "41", "")
    died = next(f for f in figures if f["figure_id"].endswith(":died-2"))
    assert (died["low"], died["high"]) == ("2", "")
    assert (died["period_start"], died["period_end"]) == ("2018-01-01", "2018-03-12")


def test_every_table_is_sorted_by_its_key_when_one_article_id_begins_another(
    mini: Path,
) -> None:
    """Article ids "x", "x-2" and "x0": "x-2:..." and "x0:..." sort before "x:...", so an
    article's composite ids (figures, statements) do not follow the order of article ids."""
    for suffix in ("-2", "0"):
        for folder, ext in (("data/articles", "yaml"), ("seeds", "txt")):
            source = mini / folder / f"001_freedonia.{ext}"
            (mini / folder / f"001_freedonia{suffix}.{ext}").write_bytes(source.read_bytes())
    assert invoke(mini, "build").exit_code == 0
    keys = {
        "articles": ("article_id",),
        "mentions": ("article_id", "actor_id"),
        "figures": ("figure_id",),
        "statements": ("statement_id",),
        "statement_addressees": ("statement_id", "actor_id"),
    }
    for name, key in keys.items():
        table = [tuple(row[k] for k in key) for row in _table(mini, name)]
        assert table == sorted(table), name
        assert len({row[0].split(":")[0] for row in table}) == 3, name
    assert _table(mini, "articles")[0]["article_id"] == "001_freedonia"
    assert _table(mini, "figures")[0]["figure_id"].startswith("001_freedonia-2:")


def test_dates_carry_precision_and_bounds(built: Path) -> None:
    edit(built, ARTICLE, lambda t: t.replace("published: 2018-03-12", "published: 2018-03"))
    edit(
        built,
        ARTICLE,
        lambda t: t.replace(
            "published_basis: stated", "published_basis: inferred\npublished_note: From the byline."
        ),
    )
    edit(built, ARTICLE, lambda t: t.replace("said: 2018-03-12", "said: 2018-03"))
    assert invoke(built, "build").exit_code == 0
    article = _table(built, "articles")[0]
    assert (article["published"], article["published_precision"]) == ("2018-03", "month")
    assert (article["published_earliest"], article["published_latest"]) == (
        "2018-03-01",
        "2018-03-31",
    )


def test_evidence_offsets_point_at_the_quote_in_the_seed(built: Path) -> None:
    for name in ("mentions", "figures", "statements"):
        for row in _table(built, name):
            article = _table(built, "articles")[0]
            seed = (built / article["seed_path"]).read_text(encoding="utf-8")
            assert seed[int(row["start"]) : int(row["end"])] == row["quote"], row


def test_json_output_is_valid_against_its_published_schema(built: Path) -> None:
    schema = json.loads((built / "schema/dataset.schema.json").read_text(encoding="utf-8"))
    document = json.loads((built / "build/chechnya-purges.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    assert list(validator.iter_errors(document)) == []
    document["articles"][0]["figures"][0]["qualifier"] = "roughly"
    assert list(validator.iter_errors(document)) != []


def test_descriptor_hashes_match_the_files(built: Path) -> None:
    import hashlib

    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["version"]
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    for resource in descriptor["resources"]:
        content = (built / resource["path"]).read_bytes()
        assert resource["bytes"] == len(content)
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()


def test_check_passes_on_a_fresh_build(built: Path) -> None:
    result = invoke(built, "check")
    assert result.exit_code == 0, result.output


def test_check_names_each_hand_edited_output(built: Path) -> None:
    edits = {
        "schema/article.schema.json": lambda t: t.replace('"title"', '"Title"', 1),
        "datapackage.json": lambda t: t.replace('"CC-BY-4.0"', '"CC0-1.0"'),
        "build/actors.csv": lambda t: t.replace("Ana Díaz", "Ana Diaz"),
    }
    for path, change in edits.items():
        edit(built, path, change)
    result = invoke(built, "check")
    assert result.exit_code == 1
    drifted = [line.split(":")[0] for line in result.stdout.splitlines() if "[drift]" in line]
    assert drifted == sorted(edits)
    assert "run `chechnya-purges build`" in result.stdout


def test_check_reports_a_missing_and_a_stray_output(built: Path) -> None:
    (built / "build/figures.csv").unlink()
    (built / "build/notes.txt").write_text("scratch", encoding="utf-8")
    result = invoke(built, "check")
    assert result.exit_code == 1
    assert "build/figures.csv:1:1: error[drift] is missing" in result.stdout
    assert "build/notes.txt:1:1: error[drift] is not an output of build" in result.stdout


def test_check_points_at_the_line_of_the_first_change_past_the_first_megabyte(
    built: Path,
) -> None:
    # The nested JSON is compared a megabyte at a time; a change far into a long file must
    # still be named at its own line, not at the start of the block it fell in.
    path = built / JSON_PATH
    lines = path.read_bytes().split(b"\n")
    padding = [b'  "pad": "%s",' % (b"x" * 80)] * 20_000  # about 2 MB of lines before it
    changed = [*lines[:2], *padding, *lines[2:]]
    path.write_bytes(b"\n".join(changed))
    result = invoke(built, "check")
    assert result.exit_code == 1
    assert f"{JSON_PATH}:3:1: error[drift] differs from what build writes (first at line 3)" in (
        result.stdout
    )
    path.write_bytes(b"\n".join([*lines[:-3], lines[-3] + b" ", *lines[-2:]]))
    result = invoke(built, "check")
    line = len(lines) - 2
    assert f"{JSON_PATH}:{line}:1: error[drift] differs from what build writes" in result.stdout


def test_check_does_not_hold_a_huge_committed_output_in_memory(built: Path) -> None:
    # A pull request can commit an output of any size; check compares it a block at a time.
    # Its process's peak grows by far less than the file (reading it whole would add it).
    size = 256 << 20
    baseline = _peak_of_check(built)
    with (built / "build/claims.csv").open("ab") as handle:
        handle.truncate(size)  # a sparse file: 256 MiB of zero bytes after the table
    peak = _peak_of_check(built, expect="build/claims.csv:")
    assert peak - baseline < 64 << 20, (baseline, peak)


def _peak_of_check(root: Path, expect: str | None = None) -> int:
    """The largest resident size, in bytes, of a `check` run in a process of its own."""
    script = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'chechnya_purges', '--root', sys.argv[1],"
        " 'check'], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True
    )
    status, peak = done.stdout.split("\n", 1)[0].split()
    if expect is None:
        assert status == "0", done.stdout
    else:
        assert status == "1" and expect in done.stdout, done.stdout
    return int(peak) * 1024


def test_check_fails_when_a_model_field_changes(built: Path, tmp_path: Path) -> None:
    """A changed field description alters the published schemas: check must notice."""
    result = run_changed_code(
        tmp_path,
        "models.py",
        lambda t: t.replace('description="Display name in English."', 'description="Name."'),
        built,
        "check",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    drifted = {line.split(":")[0] for line in result.stdout.splitlines() if "[drift]" in line}
    assert {"schema/actors.schema.json", "datapackage.json"} <= drifted


def test_build_replaces_its_outputs_whole_and_leaves_no_staging_folder(built: Path) -> None:
    (built / "build/notes.txt").write_text("scratch", encoding="utf-8")
    assert invoke(built, "build").exit_code == 0
    assert not (built / "build/notes.txt").exists()
    assert not [p for p in built.iterdir() if p.name.startswith(".build-")]


def test_validate_reports_json_for_tools_and_exit_codes(mini: Path, tmp_path: Path) -> None:
    clean = invoke(mini, "validate", "--format", "json")
    assert clean.exit_code == 0
    assert json.loads(clean.stdout) == []
    usage = invoke(tmp_path, "validate")
    assert usage.exit_code == 2
    assert "no data/actors.yaml" in usage.stderr


def test_github_format_annotates_the_line(mini: Path) -> None:
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    result = invoke(mini, "validate", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"::error file={ARTICLE},line=")
    assert ",title=unknown-choice::" in result.stdout


def test_the_cli_runs_as_a_module(mini: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chechnya_purges", "--root", str(mini), "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Valid: 1 articles" in result.stderr


@pytest.mark.repository
def test_the_repository_is_built_and_up_to_date() -> None:
    """The committed dataset validates and its outputs match the code (what CI relies on)."""
    result = invoke(REPO, "check")
    assert result.exit_code == 0, result.output


PROFILE = REPO / "tests/data/datapackage-2.0.schema.json"


def _profile_errors(descriptor: dict[str, object]) -> list[str]:
    """The official Data Package v2.0 profile (https://datapackage.org/profiles/2.0/
    datapackage.json, kept in tests/data), applied with jsonschema: frictionless-py does not
    apply all of it (an empty foreignKeys list passes there)."""
    schema = json.loads(PROFILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(descriptor)]


@pytest.mark.repository
def test_the_descriptor_passes_the_official_data_package_v2_profile() -> None:
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert _profile_errors(descriptor) == []


def test_a_table_without_foreign_keys_states_none(built: Path) -> None:
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert _profile_errors(descriptor) == []
    actors = next(r for r in descriptor["resources"] if r["name"] == "actors")
    assert "foreignKeys" not in actors["schema"]
    # What build wrote before: the profile's minItems refuses it, frictionless lets it pass.
    actors["schema"]["foreignKeys"] = []
    assert _profile_errors(descriptor) == [
        "['resources', 0, 'schema', 'foreignKeys']: [] should be non-empty"
    ]
