"""validate at scale: the incremental cache re-checks what an edit can affect and never hides
a problem; the parallel path finds exactly what the sequential one does; the synthetic
benchmark corpus is valid."""

from __future__ import annotations

import gc
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTICLE, REPO, SEED, cached, edit, invoke, plant, run_changed_code

sys.path.insert(0, str(REPO / "benchmarks"))
import generate as generator
from generate import generate

from chechnya_purges.cache import BUCKETS, cache_file
from chechnya_purges.dataset import PARALLEL_FROM, _open_registry, check_file, validate


def _codes(root: Path, *args: str) -> list[str]:
    result = invoke(root, "validate", "--format", "json", *args)
    return [p["code"] for p in json.loads(result.stdout)]


def test_a_cached_run_still_reports_an_edit(mini: Path) -> None:
    assert _codes(mini) == []
    assert cache_file(mini).is_file()
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    assert _codes(mini) == ["unknown-choice"]
    edit(mini, ARTICLE, lambda t: t.replace("act: condem", "act: condemn"))
    assert _codes(mini) == []


def test_a_registry_change_rechecks_the_articles(mini: Path) -> None:
    assert _codes(mini) == []
    edit(mini, "data/actors.yaml", lambda t: t.replace("- id: rights-groups", "- id: rights"))
    assert _codes(mini) == ["unknown-actor", "unknown-actor"]


def test_a_seed_change_rechecks_its_article(mini: Path) -> None:
    assert _codes(mini) == []
    edit(mini, SEED, lambda t: t.replace("has learned", "learned"))
    assert _codes(mini) == ["seed-changed"]


def test_the_cache_is_used_and_a_code_change_discards_it(mini: Path, tmp_path: Path) -> None:
    """Plant a result in the cache, sealed as validate seals it: the same code reports it
    (the cache is used), other code ignores it."""
    assert _codes(mini) == []
    planted = [ARTICLE, 1, 1, "invalid-format", "planted in the cache", None, "error"]
    final = cached(mini, "state")["final"]
    plant(mini, "state", "final", {**final, "problems": [planted]})
    assert _codes(mini) == ["invalid-format"]  # served from the cache
    assert _codes(mini, "--no-cache") == []

    result = run_changed_code(
        tmp_path, "summary.py", lambda t: t + "\n# a change\n", mini, "validate"
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_cache_writes_no_cache(mini: Path) -> None:
    assert _codes(mini, "--no-cache") == []
    assert not cache_file(mini).exists()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    generate(PARALLEL_FROM + 50, root)
    return root


def test_the_synthetic_corpus_is_valid_and_exercises_every_kind_of_record(corpus: Path) -> None:
    result = invoke(corpus, "validate", "--no-cache", "--format", "json")
    assert result.exit_code == 0, result.stdout[:2000]
    assert [p for p in json.loads(result.stdout) if p["severity"] == "error"] == []
    record = (corpus / "data/articles/00000_synthetic.yaml").read_text(encoding="utf-8")
    assert "mode: direct" in record and "mode: indirect" in record
    assert "excluded:" in record and "block_quotes:" in record
    seed = (corpus / "seeds/00000_synthetic.txt").read_text(encoding="utf-8")
    assert "\u00a0" in seed and "\u201c" in seed and "\u2019" in seed
    assert 4000 <= len(seed.encode()) <= 6000


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_generator_writes_the_same_bytes_however_the_work_is_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Benchmarks compare runs of the same N: the corpus must not depend on how many worker
    processes wrote it, nor on the order in which they finished."""
    monkeypatch.setattr(generator, "CHUNK", 3)
    generate(10, tmp_path / "one", workers=1)
    generate(10, tmp_path / "two", workers=2)
    one = _files(tmp_path / "one")
    assert len(one) == 2 * 10 + 1
    assert one == _files(tmp_path / "two")


def test_parallel_and_sequential_checks_find_the_same_problems(
    corpus: Path, tmp_path: Path
) -> None:
    root = tmp_path / "broken"
    shutil.copytree(corpus, root)
    articles = sorted((root / "data/articles").glob("*.yaml"))
    for path in articles[::60]:
        path.write_text(
            path.read_text(encoding="utf-8").replace("act: condemn", "act: condem", 1),
            encoding="utf-8",
        )
    registry = _open_registry(root).registry
    sequential = sorted(p for path in articles for p in check_file(registry, path.name)[0])
    parallel = validate(root, use_cache=False).problems
    assert len(articles) >= PARALLEL_FROM
    assert [p for p in parallel if p.severity == "error"] == sequential
    assert len(sequential) == len(articles[::60])


def test_the_workers_hand_garbage_collection_back_when_they_end(corpus: Path) -> None:
    """validate runs in a library user's long-lived process too: what is left out of
    garbage collection while the workers share it is handed back when they end, so that
    nothing lives on uncollected after the run."""
    assert gc.get_freeze_count() == 0
    result = validate(corpus, use_cache=False)
    assert result.articles >= PARALLEL_FROM
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("broken", [False, True])
def test_the_collector_is_back_on_after_the_registry_however_it_ends(
    mini: Path, broken: bool
) -> None:
    """The cycle collector is off while the registry is read and checked: a library user's
    process gets it back afterwards, after a registry that does not parse too."""
    if broken:
        (mini / "data/actors.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    assert gc.isenabled()
    result = validate(mini, use_cache=False)
    assert gc.isenabled()
    assert any(p.code == "yaml-syntax" for p in result.problems) is broken
    gc.disable()
    try:
        validate(mini, use_cache=False)
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_identical_articles_under_two_names_are_cached_apart(mini: Path) -> None:
    """The article id comes from the file name, so a cached result belongs to one name."""
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    (mini / "seeds/002_copy.txt").write_bytes((mini / SEED).read_bytes())
    (mini / "data/articles/002_copy.yaml").write_bytes((mini / ARTICLE).read_bytes())
    for _ in range(2):  # cold, then from the cache
        result = invoke(mini, "validate", "--format", "json")
        paths = sorted(p["path"] for p in json.loads(result.stdout))
        assert paths == [ARTICLE, "data/articles/002_copy.yaml"]


def _bucket(name: str) -> int:
    return zlib.crc32(name.encode()) % BUCKETS


def test_after_an_edit_the_other_articles_are_not_checked_again(mini: Path) -> None:
    """An unchanged article's result comes from the cache even when another article
    changed: a result planted for it (sealed, as validate writes it) is still reported, next
    to what the edited article now gets wrong."""
    copy = "002_copy.yaml"
    (mini / "seeds/002_copy.txt").write_bytes((mini / SEED).read_bytes())
    (mini / "data/articles" / copy).write_bytes((mini / ARTICLE).read_bytes())
    assert _bucket(copy) != _bucket(Path(ARTICLE).name)
    assert _codes(mini) == []
    planted = [f"data/articles/{copy}", 1, 1, "invalid-format", "planted in the cache", None]
    summary = cached(mini, "state")["aggregate"]
    summary["flagged"][copy] = [[[*planted, "error"]], []]
    plant(mini, "state", "aggregate", summary)
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    assert _codes(mini) == ["unknown-choice", "invalid-format"]
    assert _codes(mini, "--no-cache") == ["unknown-choice"]


def _report(root: Path, *args: str) -> list[dict[str, object]]:
    result = invoke(root, "validate", "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return list(json.loads(result.stdout))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_through_a_series_of_edits_the_cache_answers_as_no_cache(tmp_path: Path) -> None:
    """Every kind of change a contributor makes, one after another, each run through the
    cache: the report is always the one of a run without it."""
    root = tmp_path / "corpus"
    generate(40, root)
    articles = root / "data/articles"
    first, second, third = sorted(articles.glob("*.yaml"))[:3]

    def seed(article: Path) -> Path:
        return root / "seeds" / (article.stem + ".txt")

    def touched_back(path: Path, change: Callable[[str], str]) -> None:
        before = path.stat()
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size

    steps: list[tuple[str, Callable[[], object]]] = [
        ("nothing", lambda: None),
        ("a note", lambda: _append(first, 'note: "Checked again."\n')),
        ("an error", lambda: _append(second, "figures: 7\n")),
        ("the error fixed", lambda: second.write_bytes(third.read_bytes())),
        (
            "an edit under an old time",
            lambda: touched_back(first, lambda t: t.replace("en", "xx", 1)),
        ),
        ("a seed", lambda: _append(seed(third), "More.\n")),
        ("a new article", lambda: shutil.copy(third, articles / "new.yaml")),
        ("its seed", lambda: shutil.copy(seed(third), seed(articles / "new.yaml"))),
        ("an article removed", lambda: first.unlink()),
        ("its seed removed", lambda: seed(first).unlink()),
        ("the registry", lambda: _append(root / "data/actors.yaml", "- id: x\n")),
        (
            "the registry back",
            lambda: edit(root, "data/actors.yaml", lambda t: t[: -len("- id: x\n")]),
        ),
        ("a stray file", lambda: (articles / "notes.txt").write_text("x", encoding="utf-8")),
        ("every article removed", lambda: [p.unlink() for p in articles.glob("*.yaml")]),
    ]
    reports = set()
    for step, change in steps:
        change()
        expected = _report(root, "--no-cache")
        assert _report(root) == expected, step
        assert _report(root) == expected, f"{step}, again"
        reports.add(json.dumps(expected))
    assert len(reports) >= 8  # the steps changed what is reported


def test_rows_missing_from_the_cache_are_noticed(mini: Path) -> None:
    """Rows lost from the database (damage SQLite itself does not notice) make the whole
    cache count as empty, never a report built on what is left: here, the error of an
    article since corrected would otherwise stay."""
    for table, name in (("article", "001_freedonia.yaml"), ("state", "aggregate")):
        edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
        assert _codes(mini) == ["unknown-choice"]
        with closing(sqlite3.connect(cache_file(mini))) as db, db:
            db.execute(f"DELETE FROM {table} WHERE name = ?", (name,))
        edit(mini, ARTICLE, lambda t: t.replace("act: condem", "act: condemn"))
        assert _codes(mini) == [], table


@pytest.mark.parametrize("kind", ["garbage", "empty", "half", "folder", "link", "other format"])
def test_a_damaged_or_foreign_database_is_replaced(mini: Path, tmp_path: Path, kind: str) -> None:
    """Whatever is found where the cache should be: the report of a run without the cache,
    no traceback, and (where a file can be written) a working cache again; a link is replaced,
    never followed."""
    _codes(mini)
    path = cache_file(mini)
    original = path.read_bytes()
    outside = tmp_path / "elsewhere"
    outside.write_bytes(b"not a database")
    path.unlink()
    if kind == "garbage":
        path.write_bytes(b"\x00garbage" * 1000)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "half":
        path.write_bytes(original[: len(original) // 2])
    elif kind == "folder":
        path.mkdir()
    elif kind == "link":
        path.symlink_to(outside)
    else:
        with closing(sqlite3.connect(path)) as db, db:
            db.execute("CREATE TABLE meta(id INTEGER PRIMARY KEY, format TEXT, fingerprint TEXT)")
            db.execute("INSERT INTO meta VALUES (0, 'another program', 'x')")
    _break_article = lambda t: t.replace("act: condemn", "act: condem")  # noqa: E731
    edit(mini, ARTICLE, _break_article)
    expected = _report(mini, "--no-cache")
    for _ in range(2):
        result = invoke(mini, "validate", "--format", "json")
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert json.loads(result.stdout) == expected
    assert outside.read_bytes() == b"not a database"
    if kind == "folder":
        assert path.is_dir()
    else:
        assert not path.is_symlink()
        assert cached(mini, "state")["final"]["problems"]


def test_a_database_another_run_holds_gives_the_same_report(mini: Path) -> None:
    """While another process holds the cache locked, validate waits a moment, then checks
    everything itself: the same report, and no traceback."""
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    expected = _report(mini, "--no-cache")
    assert _report(mini) == expected
    with closing(sqlite3.connect(cache_file(mini), isolation_level=None)) as db:
        db.execute("BEGIN EXCLUSIVE")
        result = invoke(mini, "validate", "--format", "json")
        db.execute("ROLLBACK")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert json.loads(result.stdout) == expected
    assert _report(mini) == expected


def test_the_cache_answers_as_no_cache_when_workers_check_the_articles(
    corpus: Path, tmp_path: Path
) -> None:
    """Past PARALLEL_FROM articles the checks run in worker processes: filled that way, and
    filled again after a registry change, the cache still gives the report of no cache."""
    root = tmp_path / "corpus"
    shutil.copytree(corpus, root)
    expected = _report(root, "--no-cache")
    assert _report(root) == expected  # every article checked by the workers
    assert _report(root) == expected  # from the cache
    _append(root / "data/actors.yaml", "- id: x\n")
    expected = _report(root, "--no-cache")
    assert _report(root) == expected


# The scan is shared with a child process only by a process running one thread (fork is not
# safe otherwise), which the test process may not be by then: these run in a fresh process.
# On a few files either process could stamp every bucket before the other starts: each
# waits at its first bucket for the other to stamp one (unless ``waited`` is set: there will
# be no child), then this one takes its time, so that the child's answers count. Each
# stamping process logs which it is and the first article of the bucket.
_SHARED = """
import json, os, sys, time
from chechnya_purges import cache

cache.SPLIT_FROM = 1
stamps = cache._stamps
parent = os.getpid()
waited = False

def stampers():
    with open(os.environ["STAMPERS"], encoding="utf-8") as handle:
        return {line.split(" ")[0] for line in handle}

def role():
    return "parent" if os.getpid() == parent else "child"

def logged(*args):
    global waited
    with open(os.environ["STAMPERS"], "a", encoding="utf-8") as handle:
        handle.write(f"{role()} {args[0][0]}\\n")
    deadline = time.monotonic() + 60
    while not waited and len(stampers()) < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    waited = True
    if role() == "parent":
        time.sleep(0.001)
    return stamps(*args)

cache._stamps = logged
"""


def _fresh(code: str, *args: str, stampers: Path) -> subprocess.CompletedProcess[str]:
    """``code`` run after ``_SHARED`` in a fresh Python process, with ``args`` as its own."""
    return subprocess.run(
        [sys.executable, "-c", _SHARED + code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "STAMPERS": str(stampers)},
        check=False,
    )


def _stampers(log: Path) -> tuple[set[str], int]:
    """Which processes stamped ("parent", "child"), and how many buckets were stamped more
    than once."""
    lines = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    buckets = [name for _, name in lines]
    return {pid for pid, _ in lines}, len(buckets) - len(set(buckets))


def _sharing() -> bool:
    from chechnya_purges import cache

    return len(os.sched_getaffinity(0)) > 1 and hasattr(os, "fork") and cache.SPLIT_FROM > 0


_SCAN = "print(json.dumps(cache.scan(sys.argv[1], sys.argv[2], sorted(os.listdir(sys.argv[1])))))"


def _scanned(output: str) -> tuple[dict[int, Any], dict[int, Any]]:
    """A scan printed as JSON by another process, with its bucket numbers as integers again."""
    members, digests = json.loads(output)
    return {int(n): v for n, v in members.items()}, {int(n): v for n, v in digests.items()}


def _validated_apart(
    root: Path, stampers: Path, before: str = ""
) -> subprocess.CompletedProcess[str]:
    """validate's JSON report from a fresh process, with ``before`` run first there."""
    code = before + "from chechnya_purges.cli import main; main()"
    return _fresh(code, "--root", str(root), "validate", "--format", "json", stampers=stampers)


def test_a_scan_shared_with_a_child_process_finds_what_one_process_finds(tmp_path: Path) -> None:
    """Past SPLIT_FROM articles a forked child stamps half of the buckets: the buckets and
    their digests are those of a scan done alone, over present, absent and special files,
    and the work was really shared between two processes."""
    from chechnya_purges import cache

    if not _sharing():
        pytest.skip("one core, or no fork: the scan is never shared here")
    root = tmp_path / "corpus"
    generate(60, root)
    articles, seeds = root / "data/articles", root / "seeds"
    sorted(seeds.glob("*.txt"))[0].unlink()  # an article without its seed
    (articles / "folder.yaml").mkdir()  # neither is a file
    (seeds / "folder.txt").symlink_to(tmp_path)
    names = sorted(os.listdir(articles))
    alone = cache.scan(str(articles), str(seeds), names)
    stampers = tmp_path / "stampers"
    shared = _fresh(_SCAN, str(articles), str(seeds), stampers=stampers)
    assert shared.returncode == 0, shared.stderr
    assert _scanned(shared.stdout) == alone
    processes, twice = _stampers(stampers)
    assert processes == {"parent", "child"}
    assert twice <= 1  # the child's answers are used: at most the bucket they met at twice


def test_without_a_child_process_the_scan_does_all_the_work_itself(tmp_path: Path) -> None:
    """A fork that fails (no process left to start) or a child that fails to answer leaves
    the whole scan to this process: the same buckets and digests, and the same report."""
    from chechnya_purges import cache

    if not _sharing():
        pytest.skip("one core, or no fork: the scan is never shared here")
    root = tmp_path / "corpus"
    generate(30, root)
    articles, seeds = str(root / "data/articles"), str(root / "seeds")
    for number, failure in enumerate(
        (
            "def no_fork(): raise OSError('Resource temporarily unavailable')\n"
            "os.fork = no_fork\nwaited = True\n",
            "cache._answer = lambda *_: os._exit(3)\nwaited = True\n",
        )
    ):
        stampers = tmp_path / f"stampers-{number}"
        alone = cache.scan(articles, seeds, sorted(os.listdir(articles)))
        shared = _fresh(failure + _SCAN, articles, seeds, stampers=stampers)
        assert shared.returncode == 0, shared.stderr
        assert _scanned(shared.stdout) == alone
        assert _stampers(stampers) == ({"parent"}, 0)
        _append(root / "data/articles" / sorted(os.listdir(articles))[0], "figures: 7\n")
        expected = _report(root, "--no-cache")
        for _ in range(2):
            run = _validated_apart(root, stampers, failure)
            assert run.returncode == 1, run.stderr
            assert json.loads(run.stdout) == expected
        edit(
            root,
            f"data/articles/{sorted(os.listdir(articles))[0]}",
            lambda t: t[: -len("figures: 7\n")],
        )


def test_validate_through_a_shared_scan_answers_as_no_cache(tmp_path: Path) -> None:
    """With every scan shared with a child process: a cold run, an edit, a file replaced by
    another of the same size and time, a seed changed and an article removed each give the
    report of a run without the cache."""
    if not _sharing():
        pytest.skip("one core, or no fork: the scan is never shared here")
    root = tmp_path / "corpus"
    generate(40, root)
    first, second, third = sorted((root / "data/articles").glob("*.yaml"))[:3]

    def replaced(path: Path, change: Callable[[str], str]) -> None:
        """``path`` renamed over by a file of the same size and modification time."""
        before = path.stat()
        other = path.with_suffix(".new")
        other.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
        other.replace(path)
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (
            before.st_size,
            before.st_mtime_ns,
        )

    steps: list[Callable[[], object]] = [
        lambda: None,
        lambda: _append(first, "figures: 7\n"),
        lambda: replaced(third, lambda t: t.replace("act: ", "act:_", 1)),
        lambda: _append(root / "seeds" / f"{second.stem}.txt", "More.\n"),
        lambda: second.unlink(),
    ]
    reports = []
    for number, change in enumerate(steps):
        change()
        expected = _report(root, "--no-cache")
        for again in range(2):
            stampers = tmp_path / f"stampers-{number}-{again}"
            run = _validated_apart(root, stampers)
            assert run.returncode in (0, 1), run.stderr
            assert json.loads(run.stdout) == expected
            assert _stampers(stampers)[0] == {"parent", "child"}
        reports.append(json.dumps(expected))
    assert len(set(reports)) == len(steps)  # every step changed what is reported


def test_edits_that_change_which_actors_are_used_are_reported_as_no_cache(mini: Path) -> None:
    """The actors used across articles are kept as one summary, brought up to date from the
    edited articles and written back only when it changed: an actor that an edit starts or
    stops using gains or loses its actor-unused warning, a note changes nothing, and a
    second article using the same actor keeps it used when the first lets it go."""
    _append(mini / "data/actors.yaml", "- id: other-groups\n  name: Other groups\n  kind: group\n")
    (mini / "seeds/002_copy.txt").write_bytes((mini / SEED).read_bytes())
    copy = "data/articles/002_copy.yaml"
    (mini / copy).write_bytes((mini / ARTICLE).read_bytes())
    mention = "  rights-groups: Rights groups\n"
    both = mention + "  other-groups: Rights groups\n"
    steps: list[tuple[str, Callable[[], object]]] = [
        ("unused", lambda: None),
        ("used", lambda: edit(mini, ARTICLE, lambda t: t.replace(mention, both))),
        ("a note", lambda: _append(mini / ARTICLE, 'note: "Checked again."\n')),
        ("used twice", lambda: edit(mini, copy, lambda t: t.replace(mention, both))),
        ("used once", lambda: edit(mini, ARTICLE, lambda t: t.replace(both, mention))),
        ("unused again", lambda: edit(mini, copy, lambda t: t.replace(both, mention))),
    ]
    unused = []
    for step, change in steps:
        change()
        expected = _report(mini, "--no-cache")
        assert _report(mini) == expected, step
        assert _report(mini) == expected, f"{step}, again"
        unused.append([p["message"] for p in expected if p["code"] == "actor-unused"])
    assert unused == [["[5].id: no article mentions 'other-groups'"], [], [], [], [], unused[0]]
