"""build streams its outputs to disk a piece at a time: what it writes is byte for byte what
the same code makes in memory (which check compares the committed outputs with), on the
real data and on a generated corpus; frictionless spread over processes finds exactly what
it finds in one."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, copy_of_repository, edit, invoke

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

from chechnya_purges import conform
from chechnya_purges.cli import _in_memory
from chechnya_purges.conform import _frictionless, _shares, _validate, _weights
from chechnya_purges.dataset import PARALLEL_FROM, load
from chechnya_purges.outputs import json_blocks
from chechnya_purges.tables import REGISTRY_TABLES, TABLES, tabulate
from chechnya_purges.write import OUTPUT_ROOTS


def _written(root: Path) -> dict[str, bytes]:
    """Every file build owns, as it is on disk."""
    found = {}
    for name in OUTPUT_ROOTS:
        path = root / name
        if path.is_file():
            found[name] = path.read_bytes()
        for inner in sorted(path.rglob("*")) if path.is_dir() else []:
            if inner.is_file():
                found[inner.relative_to(root).as_posix()] = inner.read_bytes()
    return found


def _in_memory_outputs(root: Path) -> dict[str, bytes]:
    _, files, state, problems = _in_memory(root)
    assert state is not None, problems
    return {path: files[path] for path in files if path != "LICENSE-DATA"}


def _assert_same(root: Path) -> None:
    streamed, held = _written(root), _in_memory_outputs(root)
    assert sorted(streamed) == sorted(held)
    different = [path for path in held if streamed[path] != held[path]]
    assert different == []
    # The spool copies each article's bytes out in key order: the same as joining the
    # articles' own rows and records, held whole, in that order.
    dataset, problems = load(root, tabulate)
    assert not [p for p in problems if p.severity == "error"]
    for table in TABLES:
        if table.name in REGISTRY_TABLES:
            continue
        first = table.primary_key[0] == "article_id"
        ordered = sorted(dataset.articles, key=lambda a: a.id if first else f"{a.id}:")
        body = b"".join(article.csv[table.name] for article in ordered)
        assert streamed[table.path].split(b"\n", 1)[1] == body, table.name
    records = [a.record for a in sorted(dataset.articles, key=lambda a: a.id)]
    text = streamed["build/chechnya-purges.json"]
    assert text.endswith(b'"articles": [\n' + b",\n".join(records) + b"\n]}\n")
    # docs/articles.md counts each article's rows as build wrote them; summary counts them
    # in the tables it reads back.
    counted = invoke(root, "summary")
    assert counted.exit_code == 0, counted.output
    assert streamed["docs/articles.md"].decode("utf-8").endswith("\n\n" + counted.stdout)


def test_a_streamed_build_of_the_real_data_is_what_check_makes_in_memory(tmp_path: Path) -> None:
    """With an edit since the last release (so build restamps the version it first wrote)
    and an article whose id begins another's (so the spool is copied out of its order)."""
    root = copy_of_repository(tmp_path)
    article = sorted((root / "data" / "articles").glob("*.yaml"))[0]
    edit(
        root,
        article.relative_to(root).as_posix(),
        lambda t: t.replace("note: ", "note: Again. ", 1),
    )
    stem = article.stem
    for folder, ext in (("data/articles", "yaml"), ("seeds", "txt")):
        source = root / folder / f"{stem}.{ext}"
        (root / folder / f"{stem}-2.{ext}").write_bytes(source.read_bytes())
    result = invoke(root, "build")
    assert result.exit_code == 0, result.output
    assert "-dev" in result.stderr  # the version moved on from the release: restamped
    _assert_same(root)
    ids = [line.split(",")[0] for line in _written(root)["build/articles.csv"].decode().split()]
    assert stem in ids and f"{stem}-2" in ids


def test_a_streamed_build_of_a_generated_corpus_is_what_check_makes_in_memory(
    tmp_path: Path,
) -> None:
    """Enough articles for the worker processes: they deliver the articles to the spool."""
    root = tmp_path / "corpus"
    generate(PARALLEL_FROM + 20, root)
    result = invoke(root, "build", "--no-frictionless")
    assert result.exit_code == 0, result.output
    _assert_same(root)
    assert invoke(root, "check").exit_code == 0


def _rewrite(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(change(lines)), encoding="utf-8")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built package whose tables were then edited: a vocabulary value and foreign keys
    broken (one a table's own key, read by another), primary keys repeated (of text, of two
    fields, of text and an integer) and left empty, and files no longer matching their
    hashes."""
    root = copy_of_repository(tmp_path_factory.mktemp("broken"))
    assert invoke(root, "build", "--no-frictionless").exit_code == 0
    build = root / "build"
    _rewrite(build / "statements.csv", lambda ls: [ls[0].replace(",condemn,", ",condem,"), *ls])
    _rewrite(build / "statements.csv", lambda ls: [*ls, ls[3], "," + ls[4].split(",", 1)[1]])
    _rewrite(
        build / "statement_addressees.csv",
        lambda ls: [ls[0], "no-such-statement,nobody\n", *ls[1:]],
    )
    _rewrite(build / "mentions.csv", lambda ls: [*ls[:3], ls[2], *ls[3:]])
    _rewrite(build / "lineage.csv", lambda ls: [*ls, ls[1]])
    _rewrite(build / "figures.csv", lambda ls: [ls[0], ls[1].replace(",", ",nowhere_", 1), *ls[2:]])
    return root


def test_frictionless_over_processes_finds_what_it_finds_in_one(
    broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = broken / "datapackage.json"
    one = {found for _, report in _validate(str(path), None)[0] for found in report}
    assert {message.split(":")[0] for _, _, _, message in one} >= {
        "frictionless constraint-error",
        "frictionless foreign-key",
        "frictionless primary-key",
        "frictionless hash-count",
    }
    keyed = {(place, message.split(":")[0]) for place, _, _, message in one if "-key" in message}
    assert {place.split("/")[1] for place, _ in keyed} == {
        "statements.csv",
        "statement_addressees.csv",
        "mentions.csv",
        "lineage.csv",
        "figures.csv",
    }
    weights = _weights(path)
    assert len(weights) > 10  # every file of the package, tables and others
    for shares in (_shares(weights, 2), _shares(weights, len(weights))):
        assert sorted(name for share in shares for name in share) == sorted(weights)
        split = {f for share in shares for _, r in _validate(str(path), share)[0] for f in r}
        assert split == one
    in_one = _frictionless(broken).result()
    monkeypatch.setattr(conform, "PARALLEL_BYTES", 0)  # the worker processes, at any size
    # The key checks made on disk find what frictionless's own find (output is sorted).
    assert sorted(_frictionless(broken).result()) == sorted(in_one)
    assert len(in_one) == len(one)


def test_json_written_in_pieces_is_the_json_written_whole() -> None:
    """The descriptor and the Croissant file of a large package are written a piece at a
    time: the pieces, cut wherever a megabyte fills, must join to exactly the bytes of the
    whole, multi-byte characters and all."""
    value = {
        "sources": [
            {"title": f"Statement {n} — «Чечня» 🏳️‍🌈", "path": f"seeds/{n:06}.txt", "n": n}
            for n in range(40_000)
        ],
        "empty": [],
        "nested": {"list": [1, 2.5, None, True, '"quoted"\n']},
    }
    pieces = list(json_blocks(value))
    assert len(pieces) > 2
    whole = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    assert b"".join(pieces) == whole
