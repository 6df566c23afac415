"""A new contributor's pull request, as CONTRIBUTING.md's worked example makes it, in a copy
of the real repository (with its releases): it must pass everything CI runs on the
repository's own data and documents, with no edit outside seeds/, data/ and one line of
CHANGELOG.md."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import copy_of_repository, invoke
from test_contributing import PLACEHOLDER, example

from chechnya_purges.compat import Level, latest_snapshot, required_version

# What build writes: a contributor commits these, but never edits them.
GENERATED = ("build/", "schema/", "docs/", "datapackage.json", "CITATION.cff", "croissant.json")
HAND_EDITED = ("seeds/", "data/", "CHANGELOG.md")


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Contributor", "-c", "user.email=c@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.removesuffix("-dev").split("."))


def test_the_worked_example_passes_ci_in_a_clone_of_the_real_repository(tmp_path: Path) -> None:
    root = copy_of_repository(tmp_path / "clone")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the repository as cloned")
    last = latest_snapshot(root)
    assert last is not None, "the real repository keeps its releases"

    # The guide's invented article, under a name still free (a clone may hold it already).
    stem = next(
        name
        for name in ("900_example", *(f"900_example_{n}" for n in range(2, 100)))
        if not (root / "seeds" / f"{name}.txt").exists()
    )

    def guide(name: str) -> str:
        return example(name).replace("900_example", stem)

    # 1. The article's text, saved outside the repository.
    seed = tmp_path / f"{stem}.txt"
    seed.write_text(guide("seed"), encoding="utf-8")
    # 2. Start the record.
    started = invoke(root, "new", str(seed))
    assert started.exit_code == 0, started.output
    digest = hashlib.sha256(seed.read_bytes()).hexdigest()
    record = root / f"data/articles/{stem}.yaml"
    assert f'seed_sha256: "{digest}"' in record.read_text(encoding="utf-8")
    # 3. The actors, appended to the registry.
    registry = root / "data/actors.yaml"
    known = registry.read_text(encoding="utf-8")
    if guide("actors").split("\n")[0] not in known:  # absent unless the guide's article is
        registry.write_text(known + guide("actors"), encoding="utf-8")
    # 4-5. The first attempt, and what validate says about it, exactly as the guide shows.
    assert PLACEHOLDER
    record.write_text(
        guide("first-attempt").replace(PLACEHOLDER.group(1), digest), encoding="utf-8"
    )
    first = invoke(root, "validate")
    assert first.exit_code == 1
    assert first.stdout == guide("validate")
    # The finished record validates.
    record.write_text(guide("final").replace(PLACEHOLDER.group(1), digest), encoding="utf-8")
    clean = invoke(root, "validate")
    assert clean.exit_code == 0, clean.output
    assert clean.stdout == ""
    # 6. One line under ## Unreleased.
    changelog = root / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text(encoding="utf-8").replace(
            "## Unreleased\n\n", f"## Unreleased\n\n{guide('changelog')}", 1
        ),
        encoding="utf-8",
    )
    # 7. Build and check.
    built = invoke(root, "build")
    assert built.exit_code == 0, built.output
    checked = invoke(root, "check")
    assert checked.exit_code == 0, checked.output
    # Done by the guide's own standard: coverage has nothing left.
    covered = invoke(root, "coverage", stem, "--strict")
    assert covered.exit_code == 0, covered.output
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    version = descriptor["version"]
    assert version.endswith("-dev"), "the outputs must not claim a released version"
    assert _semver(version) >= _semver(required_version(last.stem, Level.MINOR))
    assert f"the outputs carry {version}" in checked.stderr

    # Nothing edited by hand outside seeds/, data/ and one added line of CHANGELOG.md.
    changed = [line[3:] for line in git(root, "status", "--porcelain", "-uall").splitlines()]
    assert changed
    assert [p for p in changed if not p.startswith(GENERATED + HAND_EDITED)] == []
    numstat = git(root, "diff", "--numstat", "--", "CHANGELOG.md").split()
    assert numstat[:2] == ["1", "0"]

    # 8. The pull request: the repository's own contract tests, run on the clone, with the
    # package imported from the clone (as its own `pip install -e .` would).
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Add article 900_example")
    contract = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "repository", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        check=False,
    )
    assert contract.returncode == 0, contract.stdout[-4000:]
    assert " passed" in contract.stdout
