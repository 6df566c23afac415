"""A large package's primary and foreign keys are compared on disk, not in frictionless's
memory: the problems found are exactly those frictionless's own key checks find, however
the keys are made (text, integers written two ways, two fields, a missing cell, a table
referring to itself), and frictionless keeps the checks of keys of any other kind."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from conftest import invoke

from chechnya_purges import _keys, conform
from chechnya_purges.conform import _keyed, _problems, _validate, _weights
from chechnya_purges.diagnostics import Diagnostic

Table = tuple[list[tuple[str, str]], dict[str, Any], list[str]]


def _package(folder: Path, tables: dict[str, Table]) -> Path:
    """A package of CSV tables: each its fields (name, type), its keys, and its lines."""
    resources = []
    for name, (fields, keys, lines) in tables.items():
        path = folder / f"{name}.csv"
        path.write_text(
            ",".join(f for f, _ in fields) + "\n" + "".join(f"{line}\n" for line in lines)
        )
        schema = {"fields": [{"name": f, "type": t} for f, t in fields], **keys}
        resources.append({"name": name, "type": "table", "path": path.name, "schema": schema})
    descriptor = folder / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "keys", "resources": resources}))
    return descriptor


def _both(descriptor: Path) -> tuple[list[Diagnostic], list[Diagnostic], bool]:
    """What frictionless finds, what the keys on disk find, and whether they were used."""
    weights = _weights(descriptor)
    alone = sorted(_problems(_validate(str(descriptor), None)[0], weights))
    with tempfile.TemporaryDirectory() as scratch:
        validated = _validate(str(descriptor), list(weights), scratch)
        keyed = sorted(_keyed([validated], weights, map))
    return alone, keyed, validated[1] is not None


PEOPLE: Table = (
    [("id", "string"), ("boss", "string")],
    {"primaryKey": ["id"], "foreignKeys": [{"fields": ["boss"], "reference": {"fields": ["id"]}}]},
    ["ann,", "bob,ann", "cat,zed", "ann,bob", ",ann", "dan,ann"],
)


def test_keys_on_disk_find_what_frictionless_finds(tmp_path: Path) -> None:
    descriptor = _package(
        tmp_path,
        {
            "people": PEOPLE,
            "known": (
                [("n", "integer"), ("s", "string")],
                {"primaryKey": ["n", "s"]},
                ["1,x", "2,", "3,y"],
            ),
            "pairs": (
                [("n", "integer"), ("s", "string"), ("who", "string")],
                {
                    "primaryKey": ["n", "s"],
                    "foreignKeys": [
                        {
                            "fields": ["n", "s"],
                            "reference": {"resource": "known", "fields": ["n", "s"]},
                        },
                        {"fields": ["who"], "reference": {"resource": "people", "fields": ["id"]}},
                    ],
                },
                ["01,x,ann", "1,x,bob", "2,,cat", "3,z,", ",,ann", "4,y,nobody", "3,y,eve"],
            ),
            "codes": ([("code", "string")], {"primaryKey": ["code"]}, ["1", "2"]),
            "huge": (  # integers past 64 bits, as Python reads them
                [("n", "integer"), ("of", "integer")],
                {
                    "primaryKey": ["n"],
                    "foreignKeys": [{"fields": ["of"], "reference": {"fields": ["n"]}}],
                },
                [f"{2**70},{2**70}", f"{2**70},1", f"-{2**64},{2**71}", f"{2**63},", "1,"],
            ),
            "uses": (
                [("code", "integer")],
                {
                    "foreignKeys": [
                        {"fields": ["code"], "reference": {"resource": "codes", "fields": ["code"]}}
                    ]
                },
                ["1", "2"],
            ),
        },
    )
    alone, keyed, used = _both(descriptor)
    assert used
    assert keyed == alone
    messages = [problem.message for problem in alone]
    assert sum("primary-key" in m for m in messages) >= 4  # ann twice; all empty; 01 is 1
    # "1" the text is not 1 the number, in frictionless and in SQLite alike
    assert sum('lookup table "codes"' in m for m in messages) == 2
    # a foreign key of two fields with one cell missing matches a row missing the same cell
    assert not any('values "2, None"' in m for m in messages)
    assert any('values "3, z"' in m for m in messages)
    assert any(f'values "{2**71}"' in m for m in messages)
    assert sum("huge" in p.path and "primary-key" in p.message for p in alone) == 1


def test_a_table_past_the_error_limit_lists_what_frictionless_lists(tmp_path: Path) -> None:
    lines = [f"id{n % 600}," for n in range(1800)]
    descriptor = _package(tmp_path, {"people": (PEOPLE[0], PEOPLE[1], lines)})
    alone, keyed, used = _both(descriptor)
    assert used
    assert len(alone) == _keys.LIMIT + 1  # the first thousand, and that it stopped there
    assert keyed == alone


def test_keys_of_another_kind_are_left_to_frictionless(tmp_path: Path) -> None:
    descriptor = _package(
        tmp_path,
        {
            "days": ([("day", "date")], {"primaryKey": ["day"]}, ["2017-04-01", "2017-04-01"]),
            "people": PEOPLE,
        },
    )
    alone, keyed, used = _both(descriptor)
    assert not used
    assert keyed == alone
    assert any("primary-key" in problem.message for problem in keyed)


def test_a_large_package_is_checked_with_its_keys_on_disk(tmp_path: Path, monkeypatch: Any) -> None:
    """Through the worker processes, in the folder given (build gives its staging folder,
    which the next build removes if this one is killed), and nothing is left behind."""
    descriptor = _package(tmp_path, {"people": PEOPLE, "more": PEOPLE})
    monkeypatch.setattr(conform, "PARALLEL_BYTES", 0)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    alone, _, _ = _both(descriptor)
    started = conform._frictionless(tmp_path, scratch)
    assert [path.name[:6] for path in scratch.iterdir()] == [".keys-"]
    assert sorted(started.result()) == alone
    assert list(scratch.iterdir()) == []


def test_key_problems_share_the_error_limit_with_the_other_problems(tmp_path: Path) -> None:
    """frictionless stops a table at a thousand problems of any kind, keys included, and
    then skips its end-of-table checks (here, the bytes the descriptor declares)."""
    lines = [
        f"id{n % 400},{'zz' if n % 3 == 0 else ''},{'q' if n % 7 == 0 else 1}" for n in range(1200)
    ]
    descriptor = _package(tmp_path, {"people": ([*PEOPLE[0], ("n", "integer")], PEOPLE[1], lines)})
    described = json.loads(descriptor.read_text())
    described["resources"][0]["bytes"] = 5
    descriptor.write_text(json.dumps(described))
    alone, keyed, used = _both(descriptor)
    assert used
    assert len(alone) == _keys.LIMIT + 1
    assert not any("byte-count" in problem.message for problem in alone)
    assert keyed == alone


def test_a_key_to_a_table_that_cannot_be_read_is_reported_as_frictionless_does(
    tmp_path: Path,
) -> None:
    referring = (
        PEOPLE[0],
        {
            "foreignKeys": [
                {"fields": ["boss"], "reference": {"resource": "people", "fields": ["id"]}}
            ]
        },
        ["ann,zed", "bob,"],
    )
    descriptor = _package(tmp_path, {"people": PEOPLE, "staff": referring})
    (tmp_path / "people.csv").unlink()
    alone, keyed, used = _both(descriptor)
    assert used
    assert [problem.path for problem in alone] == ["people.csv", "staff.csv"]
    assert keyed == alone


def test_check_says_so_when_the_temporary_folder_cannot_keep_the_keys(
    built: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    """check keeps a large package's keys in its folder of the system's temporary folder:
    one it cannot use is one clear problem and exit 1, not a traceback."""
    monkeypatch.setattr(conform, "PARALLEL_BYTES", 0)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(blocked))
    result = invoke(built, "check")
    assert result.exit_code == 1
    assert (
        f"{blocked}:1:1: error[output-unwritable] cannot write check's copy of the package in "
        "the temporary folder: Not a directory"
    ) in result.output
    assert "Traceback" not in result.output


def test_keys_holding_a_lone_surrogate_are_compared_as_frictionless_compares_them(
    tmp_path: Path,
) -> None:
    """Inline data may hold text SQLite cannot take as text: it is kept, not a traceback."""
    schema = {
        "fields": [{"name": f, "type": "string"} for f, _ in PEOPLE[0]],
        **PEOPLE[1],
    }
    data = [["id", "boss"], ["\ud800", None], ["\ud800", "x"], ["a", "\udc00"], ["b", "\ud800"]]
    resource = {"name": "people", "type": "table", "data": data, "schema": schema}
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "keys", "resources": [resource]}))
    alone, keyed, used = _both(descriptor)
    assert used
    assert len(alone) == 3  # the repeated key, "x" and the other lone surrogate not found
    assert keyed == alone


def test_a_key_to_a_table_read_part_way_is_reported_as_frictionless_does(tmp_path: Path) -> None:
    """A table frictionless stops reading part way (a byte not UTF-8 past the first block)
    has its rows' problems up to there; a table whose foreign key refers to it has only the
    error that stopped the reading, as frictionless's lookup meets it too."""
    referring = (
        PEOPLE[0],
        {
            "foreignKeys": [
                {"fields": ["boss"], "reference": {"resource": "people", "fields": ["id"]}}
            ]
        },
        ["ann,zed", "bob,ann", "cat,"],
    )
    descriptor = _package(tmp_path, {"people": PEOPLE, "staff": referring})
    rows = b"".join(b"p%d,ann\n" % n for n in range(20000))
    (tmp_path / "people.csv").write_bytes(b"id,boss\nann,\nann,zed\n" + rows + b"\xff,\n")
    alone, keyed, used = _both(descriptor)
    assert used
    assert [p.message.split(":")[0] for p in alone if p.path == "staff.csv"] == [
        "frictionless encoding-error"
    ]
    assert keyed == alone
