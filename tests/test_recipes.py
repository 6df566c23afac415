"""Every recipe of the README's "For researchers" section runs, as written, against the real
build: the code blocks are read from README.md, not copied here."""

from __future__ import annotations

import asyncio
import csv
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, invoke, shown_matches

README = (REPO / "README.md").read_text(encoding="utf-8")
RECIPES = dict(re.findall(r"<!-- recipe: ([a-z-]+) -->\n```[a-z]+\n(.*?)```", README, re.DOTALL))


def _rows(name: str) -> list[dict[str, str]]:
    with (REPO / "build" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A researcher's folder: the released files, and the database the console recipe makes."""
    folder = tmp_path_factory.mktemp("researcher")
    shutil.copytree(REPO / "build", folder / "build")
    shutil.copyfile(REPO / "datapackage.json", folder / "datapackage.json")
    for line in RECIPES["sqlite-console"].splitlines():
        args = shlex.split(line)
        if args[0] == "chechnya-purges":
            out = folder / args[2]
            result = invoke(REPO, *args[1:2], str(out), *args[3:])
            assert result.exit_code == 0, result.output
    return folder


def _python(recipe: str, folder: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", RECIPES[recipe]],
        cwd=folder,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_readme_has_every_recipe_the_researchers_need() -> None:
    assert set(RECIPES) >= {
        "json-pandas",
        "json-python",
        "sqlite-console",
        "sqlite-python",
        "sqlite-shell",
        "excel-copies",
    }


def test_nested_json_with_pandas(workdir: Path) -> None:
    out = _python("json-pandas", workdir)
    counts: dict[str, int] = {}
    for row in _rows("statements"):
        counts[row["act"]] = counts.get(row["act"], 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[0]
    assert re.search(rf"^{top[0]}\s+{top[1]}$", out, re.MULTILINE), out


def test_nested_json_in_plain_python(workdir: Path) -> None:
    out = _python("json-python", workdir).splitlines()
    statements = {r["statement_id"] for r in _rows("statements") if r["act"] == "urge_action"}
    addressed = {r["statement_id"] for r in _rows("statement_addressees")} & statements
    assert len(out) == len(addressed) > 0
    names = {r["actor_id"]: r["name"] for r in _rows("actors")}
    assert any(names["rex-tillerson"] in line for line in out)


def test_the_console_recipe_prints_what_the_readme_says(tmp_path: Path) -> None:
    """The README shows the sqlite command's output: run it as written, from a folder."""
    line = RECIPES["sqlite-console"].splitlines()[0]
    args = shlex.split(line)
    assert args[0] == "chechnya-purges"
    result = subprocess.run(
        [sys.executable, "-m", "chechnya_purges", "--root", str(REPO), *args[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    shown = README.split("<!-- recipe: sqlite-console -->", 1)[1].split("```text\n", 1)[1]
    assert shown_matches(shown.split("```", 1)[0], result.stdout), result.stdout


def test_the_console_recipe_serves_the_database_with_its_metadata(workdir: Path) -> None:
    """The datasette line's own arguments, opened with Datasette's Python API (no server)."""
    from datasette.app import Datasette

    line = next(
        shlex.split(line)
        for line in RECIPES["sqlite-console"].splitlines()
        if line.startswith("datasette ")
    )
    database, metadata = workdir / line[1], workdir / line[line.index("--metadata") + 1]
    assert database.is_file() and metadata.is_file()

    async def page() -> tuple[int, str]:
        import json

        ds = Datasette([str(database)], metadata=json.loads(metadata.read_text("utf-8")))
        await ds.invoke_startup()
        response = await ds.client.get("/chechnya-purges")
        return response.status_code, response.text

    status, text = asyncio.run(page())
    assert status == 200
    assert "Chechnya purges: press reports and responses" in text
    assert "statements_with_names" in text


def test_sqlite_from_python(workdir: Path) -> None:
    out = _python("sqlite-python", workdir).splitlines()
    expected = [
        r for r in _rows("statements") if r["said_latest"] and r["said_latest"] <= "2017-04-30"
    ]
    assert len(out) == len(expected) > 0
    assert all(line.split()[0] <= "2017-04-30" for line in out)


def test_sqlite_shell(workdir: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 shell is not installed here")
    result = subprocess.run(
        shlex.split(RECIPES["sqlite-shell"]),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    header, first, *_ = result.stdout.splitlines()
    counts: dict[str, int] = {}
    for row in _rows("statements"):
        counts[row["act"]] = counts.get(row["act"], 0) + 1
    assert header == "act,n"
    act, n = first.split(",")
    assert int(n) == max(counts.values()) == counts[act]


def test_excel_copies_keep_curly_quotes(workdir: Path) -> None:
    out = _python("excel-copies", workdir).split()
    originals = sorted((workdir / "build").glob("*.csv"))
    assert out == [f"excel/{p.name}" for p in originals]
    for path in originals:
        copy = workdir / "excel" / path.name
        assert copy.read_bytes() == b"\xef\xbb\xbf" + path.read_bytes()
        assert copy.read_text(encoding="utf-8-sig") == path.read_text(encoding="utf-8")
    statements = (workdir / "build" / "statements.csv").read_bytes()
    # What the recipe prevents: the same bytes read as Windows-1252, as Excel does without
    # the mark, garble the curly apostrophe.
    assert "\u2019" in statements.decode("utf-8")
    assert "\u00e2\u20ac\u2122" in statements.decode("cp1252", errors="replace")
