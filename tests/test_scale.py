"""validate at scale: the incremental cache re-checks what an edit can affect and never hides
a problem; the parallel path finds exactly what the sequential one does; the synthetic
benchmark corpus is valid."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import ARTICLE, REPO, SEED, edit, invoke, run_changed_code

sys.path.insert(0, str(REPO / "benchmarks"))
import generate as generator
from generate import generate

from chechnya_purges.cache import cache_file
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
    path = cache_file(mini)
    cache = json.loads(path.read_bytes().partition(b"\n")[2])
    (key,) = cache["results"]
    planted = [ARTICLE, 1, 1, "invalid-format", "planted in the cache", None, "error"]
    cache["results"][key][0] = [planted]
    body = json.dumps(cache).encode()
    path.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
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
    sequential = sorted(p for path in articles for p in check_file(registry, path)[0])
    parallel = validate(root, use_cache=False).problems
    assert len(articles) >= PARALLEL_FROM
    assert [p for p in parallel if p.severity == "error"] == sequential
    assert len(sequential) == len(articles[::60])


def test_identical_articles_under_two_names_are_cached_apart(mini: Path) -> None:
    """The article id comes from the file name, so a cached result belongs to one name."""
    edit(mini, ARTICLE, lambda t: t.replace("act: condemn", "act: condem"))
    (mini / "seeds/002_copy.txt").write_bytes((mini / SEED).read_bytes())
    (mini / "data/articles/002_copy.yaml").write_bytes((mini / ARTICLE).read_bytes())
    for _ in range(2):  # cold, then from the cache
        result = invoke(mini, "validate", "--format", "json")
        paths = sorted(p["path"] for p in json.loads(result.stdout))
        assert paths == [ARTICLE, "data/articles/002_copy.yaml"]
