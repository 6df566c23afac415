"""`chechnya-purges sqlite`: the built package as a SQLite database that keeps every key,
type and vocabulary, and the Datasette metadata beside it, opened with Datasette itself."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, invoke, tree

from chechnya_purges.compat import read_package
from chechnya_purges.release import archive

DESCRIPTOR = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
TABLES = [r for r in DESCRIPTOR["resources"] if r.get("type") == "table"]


def _csv(name: str) -> list[dict[str, str]]:
    with (REPO / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real build written by the real command, once for the read-only tests."""
    out = tmp_path_factory.mktemp("db") / "chechnya-purges.db"
    result = invoke(REPO, "sqlite", str(out))
    assert result.exit_code == 0, result.output
    return out


def _query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as db:
        return db.execute(sql, params).fetchall()


def test_the_command_says_what_it_wrote_and_how_to_browse_it(database: Path) -> None:
    meta = database.with_name("chechnya-purges.metadata.json")
    assert meta.is_file()
    again = invoke(REPO, "sqlite", str(database))
    counts = ", ".join(f"{len(_csv(t['name']))} {t['name']}" for t in TABLES)
    assert again.stdout == (
        f"Wrote {database} ({counts}) and {meta}.\n"
        f"Browse it: datasette {database} --metadata {meta}\n"
    )


def test_every_table_keeps_its_types_keys_and_rows(database: Path) -> None:
    types = {"integer": "INTEGER", "string": "TEXT", "date": "TEXT"}
    for resource in TABLES:
        name, schema = resource["name"], resource["schema"]
        info = _query(database, f'PRAGMA table_info("{name}")')
        assert [(c[1], c[2]) for c in info] == [
            (f["name"], types[f["type"]]) for f in schema["fields"]
        ]
        required = {f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")}
        assert {c[1] for c in info if c[3]} == required
        assert [c[1] for c in sorted(info, key=lambda c: c[5]) if c[5]] == schema["primaryKey"]
        foreign = {
            (row[3], row[2], row[4])
            for row in _query(database, f'PRAGMA foreign_key_list("{name}")')
        }
        assert foreign == {
            (fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
            for fk in schema.get("foreignKeys", [])
        }
        assert _query(database, f'SELECT count(*) FROM "{name}"')[0][0] == len(_csv(name))
    assert _query(database, "PRAGMA foreign_key_check") == []
    assert _query(database, "PRAGMA integrity_check") == [("ok",)]


def test_empty_cells_are_null_and_integers_are_integers(database: Path) -> None:
    for resource in TABLES:
        rows = _csv(resource["name"])
        for field in resource["schema"]["fields"]:
            column = field["name"]
            empty = sum(1 for row in rows if row[column] == "")
            sql = f'SELECT count(*) FROM "{resource["name"]}" WHERE "{column}" IS NULL'
            assert _query(database, sql)[0][0] == empty, column
            kinds = _query(
                database, f'SELECT DISTINCT typeof("{column}") FROM "{resource["name"]}"'
            )
            expected = "integer" if field["type"] == "integer" else "text"
            assert {k for (k,) in kinds} <= {expected, "null"}
    said = sum(1 for row in _csv("statements") if row["said"] == "")
    assert said > 0
    assert _query(database, "SELECT count(*) FROM statements WHERE said IS NULL")[0][0] == said


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE statements SET act = 'praise' WHERE rowid = 1", "CHECK constraint failed"),
        ("UPDATE figures SET qualifier = NULL WHERE rowid = 1", "NOT NULL constraint failed"),
        ("UPDATE figures SET period_start = '2017-02-30' WHERE rowid = 1", "CHECK"),
        ("UPDATE statements SET said_precision = 'week' WHERE rowid = 1", "CHECK"),
    ],
)
def test_constraints_refuse_values_outside_the_schema(
    database: Path, tmp_path: Path, sql: str, message: str
) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as db, pytest.raises(sqlite3.IntegrityError, match=message):
        db.execute(sql)


def test_a_foreign_key_is_enforced_when_sqlite_is_asked_to(database: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)
    with sqlite3.connect(copy) as db:
        db.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            db.execute("UPDATE statements SET speaker_id = 'nobody' WHERE rowid = 1")


def test_full_text_search_finds_a_quote_in_every_quoted_table(database: Path) -> None:
    quoted = [r["name"] for r in TABLES if any(f["name"] == "quote" for f in r["schema"]["fields"])]
    assert {"statements", "figures", "mentions"} <= set(quoted)
    for table in quoted:
        total = _query(database, f'SELECT count(*) FROM "{table}_fts"')[0][0]
        assert total == len(_csv(table))
    found = _query(
        database,
        "SELECT s.statement_id, s.quote FROM statements_fts JOIN statements AS s "
        "ON s.rowid = statements_fts.rowid WHERE statements_fts MATCH ?",
        "detain harass",
    )
    denial = next(r for r in _csv("statements") if "harass" in r["quote"])
    assert (denial["statement_id"], denial["quote"]) in found
    # Stemming: the search word "killing" finds a figure quote saying "killed".
    hits = _query(
        database,
        "SELECT f.figure_id FROM figures_fts JOIN figures AS f ON f.rowid = figures_fts.rowid "
        "WHERE figures_fts MATCH 'killing'",
    )
    assert any("killed" in r["quote"] and (r["figure_id"],) in hits for r in _csv("figures"))


def test_views_give_names_and_the_articles_publication_date(database: Path) -> None:
    actors = {r["actor_id"]: r["name"] for r in _csv("actors")}
    articles = {r["article_id"]: r for r in _csv("articles")}
    statements = _query(
        database,
        "SELECT statement_id, speaker_id, speaker_name, article_id, article_title "
        "FROM statements_with_names",
    )
    assert len(statements) == len(_csv("statements"))
    for _, speaker, speaker_name, article, title in statements:
        assert speaker_name == actors[speaker]
        assert title == articles[article]["title"]
    figures = _query(
        database,
        "SELECT article_id, article_published, article_published_earliest, "
        "article_published_latest, reported_by, reported_by_name FROM figures_with_names",
    )
    assert len(figures) == len(_csv("figures"))
    for article, published, earliest, latest, reported_by, name in figures:
        row = articles[article]
        assert (published, earliest, latest) == (
            row["published"],
            row["published_earliest"],
            row["published_latest"],
        )
        assert name == (actors[reported_by] if reported_by else None)


def test_the_vocabulary_table_holds_every_definition(database: Path) -> None:
    expected = {
        (r["name"], f["name"], c["value"], c["label"])
        for r in TABLES
        for f in r["schema"]["fields"]
        for c in f.get("categories", [])
    }
    assert set(_query(database, "SELECT * FROM vocabulary")) == expected


def test_the_same_package_gives_the_same_bytes(database: Path, tmp_path: Path) -> None:
    again = tmp_path / "chechnya-purges.db"
    assert invoke(REPO, "sqlite", str(again)).exit_code == 0
    digest = hashlib.sha256(database.read_bytes()).hexdigest()
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest


def test_metadata_comes_from_the_descriptor(database: Path) -> None:
    meta = json.loads(database.with_name("chechnya-purges.metadata.json").read_text("utf-8"))
    assert meta["title"] == DESCRIPTOR["title"]
    assert meta["license"] == "CC-BY-4.0"
    assert meta["source"] == f"chechnya-purges {DESCRIPTOR['version']} (datapackage.json)"
    tables = meta["databases"]["chechnya-purges"]["tables"]
    for resource in TABLES:
        entry = tables[resource["name"]]
        assert entry["description"] == resource["description"]
        assert entry["columns"] == {
            f["name"]: f["description"] for f in resource["schema"]["fields"]
        }
    assert tables["statements"]["facets"][:3] == ["act", "mode", "medium"]
    assert tables["actors"]["label_column"] == "name"
    assert tables["statements"]["fts_table"] == "statements_fts"


def _datasette(database: Path, *requests: str) -> list[Any]:
    """Datasette's own Python API, in process: no server, no network."""
    from datasette.app import Datasette

    async def run() -> list[Any]:
        meta = json.loads(database.with_name("chechnya-purges.metadata.json").read_text("utf-8"))
        ds = Datasette([str(database)], metadata=meta)
        await ds.invoke_startup()
        answers = []
        for request in requests:
            if request.startswith("/"):
                response = await ds.client.get(request)
                assert response.status_code == 200, (request, response.text[:500])
                answers.append(response.json() if ".json" in request else response.text)
            else:
                answers.append([dict(r) for r in (await ds.execute("chechnya-purges", request))])
        return answers

    return asyncio.run(run())


def _readme_queries() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[
        text.index("<!-- sql-examples:start -->") : text.index("<!-- sql-examples:end -->")
    ]
    return [block.split("```", 1)[0].strip() for block in section.split("```sql\n")[1:]]


def test_datasette_runs_the_readmes_example_queries(database: Path) -> None:
    queries = _readme_queries()
    assert len(queries) >= 4
    answers = _datasette(database, *queries)
    with sqlite3.connect(database) as db:
        for sql, rows in zip(queries, answers, strict=True):
            assert rows, sql
            assert [tuple(r.values()) for r in rows] == db.execute(sql).fetchall()


def test_datasette_pages_show_descriptions_facets_and_search(database: Path) -> None:
    page, facets, search = _datasette(
        database,
        "/chechnya-purges/statements",
        "/chechnya-purges/statements.json?_size=0",
        "/chechnya-purges/statements.json?_search=harass&_shape=objects",
    )
    assert "Speech acts the articles report" in page
    counts = {f["value"]: f["count"] for f in facets["facet_results"]["act"]["results"]}
    assert counts["urge_action"] == sum(1 for r in _csv("statements") if r["act"] == "urge_action")
    assert [r["statement_id"] for r in search["rows"]] == [
        r["statement_id"] for r in _csv("statements") if "harass" in r["quote"]
    ]


def test_a_release_zip_can_be_the_source(database: Path, tmp_path: Path) -> None:
    files = read_package(REPO)
    zipped = tmp_path / "release.zip"
    zipped.write_bytes(archive(files, DESCRIPTOR["version"]))
    out = tmp_path / "from-zip.db"
    result = invoke(REPO, "sqlite", str(out), "--package", str(zipped))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == database.read_bytes()


# --- bad inputs: one clear error, the exit code, nothing written --------------------------


def test_an_unbuilt_dataset_is_refused(mini: Path, tmp_path: Path) -> None:
    before = tree(tmp_path)
    result = invoke(mini, "sqlite", str(tmp_path / "out.db"))
    assert result.exit_code == 1
    assert "error[package-unreadable]" in result.stdout
    assert "no datapackage.json in the folder" in result.stdout
    assert "Nothing was written: run `chechnya-purges build` first." in result.stderr
    assert tree(tmp_path) == before


def test_an_altered_build_is_refused_and_the_previous_database_kept(
    built: Path, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "out.db"
    assert invoke(built, "sqlite", str(out)).exit_code == 0
    previous = tree(tmp_path / "out")
    path = built / "build" / "figures.csv"
    path.write_bytes(path.read_bytes().replace(b",more_than,", b",at_least,", 1))
    result = invoke(built, "sqlite", str(out))
    assert result.exit_code == 1
    assert result.stdout.startswith("build/figures.csv:1:1: error[package-file-altered]")
    assert tree(tmp_path / "out") == previous


def test_a_missing_output_folder_is_a_usage_error(built: Path, tmp_path: Path) -> None:
    result = invoke(built, "sqlite", str(tmp_path / "nowhere" / "out.db"))
    assert result.exit_code == 2
    assert "no folder" in result.output and "nowhere" in result.output
    assert not (tmp_path / "nowhere").exists()


def _hostile(built: Path, tmp_path: Path, change: Any) -> Path:
    """A zip whose descriptor hashes match its altered files, as a stranger could make."""
    files = read_package(built)
    descriptor = json.loads(files["datapackage.json"])
    change(files, descriptor)
    for resource in descriptor["resources"]:
        content = files[resource["path"]]
        resource["bytes"] = len(content)
        resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
    files["datapackage.json"] = json.dumps(descriptor).encode()
    out = tmp_path / "hostile.zip"
    out.write_bytes(archive(files, descriptor["version"]))
    return out


def test_a_package_whose_foreign_keys_break_is_refused(built: Path, tmp_path: Path) -> None:
    def orphan(files: dict[str, bytes], descriptor: dict[str, Any]) -> None:
        text = files["build/statements.csv"].decode()
        header, first, rest = text.split("\n", 2)
        speaker = first.split(",")[2]
        files["build/statements.csv"] = "\n".join(
            [header, first.replace(f",{speaker},", ",nobody-at-all,", 1), rest]
        ).encode()

    hostile = _hostile(built, tmp_path, orphan)
    out = tmp_path / "out.db"
    result = invoke(built, "sqlite", str(out), "--package", str(hostile))
    assert result.exit_code == 1
    assert "Error: 1 rows break a foreign key (first: statements → actors)" in result.output
    assert not out.exists() and not list(tmp_path.glob(".out.db.*"))


def test_a_hostile_table_name_or_value_cannot_run_sql(built: Path, tmp_path: Path) -> None:
    def inject(files: dict[str, bytes], descriptor: dict[str, Any]) -> None:
        actors = next(r for r in descriptor["resources"] if r["name"] == "actors")
        actors["description"] = 'x\n); DROP TABLE "articles"; --'
        kind = next(f for f in actors["schema"]["fields"] if f["name"] == "kind")
        kind["constraints"]["enum"].append("it's')) OR 1=1 --")

    hostile = _hostile(built, tmp_path, inject)
    out = tmp_path / "out.db"
    assert invoke(built, "sqlite", str(out), "--package", str(hostile)).exit_code == 0
    assert _query(out, "SELECT count(*) FROM articles")[0][0] == len(
        list(csv.DictReader((built / "build/articles.csv").open(encoding="utf-8")))
    )
    with sqlite3.connect(out) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE actors SET kind = 'anything' WHERE rowid = 1")


def test_a_descriptor_cannot_make_it_read_outside_the_package(built: Path, tmp_path: Path) -> None:
    secret = built.parent / "secret.csv"
    secret.write_text("actor_id\nstolen\n", encoding="utf-8")
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "../secret.csv"
    (built / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    out = tmp_path / "out.db"
    result = invoke(built, "sqlite", str(out))
    assert result.exit_code == 1
    assert "'../secret.csv' is not a path inside the package" in result.stdout
    assert not out.exists()


def test_a_broken_zip_is_one_error_not_a_traceback(built: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("x/datapackage.json", "{not json")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "chechnya_purges",
            "--root",
            str(built),
            "sqlite",
            str(tmp_path / "out.db"),
            "--package",
            str(junk),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "error[package-unreadable] datapackage.json:1:2: not valid JSON" in result.stdout


@pytest.mark.parametrize("target", ["out.db", "out.metadata.json"])
def test_it_will_not_replace_a_file_it_did_not_write(
    built: Path, tmp_path: Path, target: str
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / target).write_text("My notes, not a database.\n", encoding="utf-8")
    before = tree(tmp_path / "out")
    result = invoke(built, "sqlite", str(tmp_path / "out" / "out.db"))
    assert result.exit_code == 2
    assert "not replacing it" in result.output and target in result.output
    assert tree(tmp_path / "out") == before


def test_a_new_table_flows_into_the_database_without_code_changes(tmp_path: Path) -> None:
    from test_codebook import _with_new_table

    from chechnya_purges.sqlite import metadata, write_database

    files = _with_new_table()
    out = tmp_path / "new.db"
    counts = write_database(files, out)
    assert counts["rumours"] == 1
    found = "SELECT r.spread FROM rumours_fts JOIN rumours AS r ON r.rowid = rumours_fts.rowid"
    assert _query(out, found + " WHERE rumours_fts MATCH 'spreads'") == [("wide",)]
    assert _query(out, "SELECT article_title FROM rumours_with_names") == [
        (_csv("articles")[0]["title"],)
    ]
    assert ("rumours", "spread", "wide", "Repeated by many outlets.") in _query(
        out, "SELECT * FROM vocabulary"
    )
    with sqlite3.connect(out) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE rumours SET spread = 'everywhere'")
    tables = metadata(json.loads(files["datapackage.json"]), "new")["databases"]["new"]["tables"]
    assert tables["rumours"]["facets"] == ["spread", "article_id"]


@pytest.mark.parametrize("which", ["database", "metadata"])
def test_a_link_or_fifo_where_it_writes_is_never_written_through(
    built: Path, tmp_path: Path, which: str
) -> None:
    """A repository can commit a symbolic link named like the outputs: never follow it."""
    outside = tmp_path / "outside.json"
    outside.write_text("{}\n", encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    if which == "database":
        os.mkfifo(folder / "data.db")  # opening it would block forever
    else:
        (folder / "data.metadata.json").symlink_to(outside)
    before = tree(tmp_path)
    result = invoke(built, "sqlite", str(folder / "data.db"))
    assert result.exit_code == 2
    assert "is not a regular file (a link, folder, FIFO or device): not replacing it" in (
        result.output
    )
    assert tree(tmp_path) == before
    assert outside.read_text(encoding="utf-8") == "{}\n"
