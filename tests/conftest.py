"""Shared helpers: a fresh copy of the invented fixture dataset, the real CLI, and a way to
prove that a failed command changed nothing on disk."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from chechnya_purges.cli import cli

# Property tests stay quick on a small shared machine by default; HYPOTHESIS_PROFILE=thorough
# throws a hundred times more examples at the same properties. No deadline: a shared
# machine's pauses are not the code's.
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=2500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The tests that press Ctrl-C send SIGINT to the processes they start. A runner started with
# SIGINT ignored (nohup, a job put in the background by a script) passes that on to every
# process it starts, and the Ctrl-C would never arrive: the default is restored here, and a
# process started from here gets the system's default at exec, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

FIXTURE = Path(__file__).parent / "fixtures" / "mini"
REPO = Path(__file__).resolve().parents[1]
ARTICLE = "data/articles/001_freedonia.yaml"
SEED = "seeds/001_freedonia.txt"


def invoke(root: Path, *args: str) -> Result:
    """The real command line, run against one dataset root."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file below root, to prove what a command did or did not change.

    Links and special files are listed by what they are, never opened (a FIFO would block).
    """
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[relative] = "link:" + os.readlink(path)
        elif path.is_file() and stat.S_ISREG(path.lstat().st_mode):
            found[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif not path.is_dir():
            found[relative] = f"special:{stat.S_IFMT(path.lstat().st_mode)}"
    return found


@pytest.fixture(autouse=True)
def user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own user cache folder: validate's cache lives there, never in the root."""
    folder = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


def copy_of_repository(target: Path) -> Path:
    """The repository's files as a fresh clone has them (with releases/), plus the files a
    contributor has added but not committed yet (git's ignored files left out)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / name, target / name)
    return target


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A private copy of the fixture dataset, not yet built."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURE, root)
    return root


@pytest.fixture
def built(mini: Path) -> Path:
    """The fixture dataset after a successful build."""
    result = invoke(mini, "build")
    assert result.exit_code == 0, result.output
    return mini


Edit = Callable[[str], str]


def edit(root: Path, relative: str, change: Edit) -> str:
    """Apply a text change to one file of a dataset and return the new text."""
    path = root / relative
    text = change(path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return text


def run_changed_code(
    tmp_path: Path, module: str, change: Edit, root: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The CLI run from a copy of the source in which one module's text was changed."""
    source = tmp_path / "src"
    shutil.copytree(REPO / "src", source)
    path = source / "chechnya_purges" / module
    text = path.read_text(encoding="utf-8")
    assert change(text) != text, "the change changed nothing"
    path.write_text(change(text), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "chechnya_purges", "--root", str(root), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(source)},
        check=False,
    )


def shown_matches(expected: str, actual: str) -> bool:
    """The shown output, where ``…`` stands for any text (on its own line: any lines)."""
    pattern = ".*?".join(re.escape(part) for part in expected.rstrip("\n").split("…"))
    return re.fullmatch(pattern, actual.rstrip("\n"), flags=re.S) is not None


def position_of(text: str, at: str) -> tuple[int, int]:
    """Line and column of the character that follows '|' in ``at``."""
    index = text.index(at.replace("|", "")) + at.index("|")
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def cached(root: Path, table: str) -> dict[str, Any]:
    """What validate's cache database holds in one of its tables of JSON rows (``article``
    or ``state``), decoded."""
    from chechnya_purges.cache import cache_file

    with closing(sqlite3.connect(cache_file(root))) as db:
        rows = db.execute(f"SELECT name, value FROM {table}").fetchall()
    return {name: json.loads(value) for name, value in rows}


def plant(root: Path, table: str, name: str, value: Any, *, sealed: bool = True) -> None:
    """Write a row into validate's cache, with the digest validate gives it (as the user's
    own cache could hold it) or with its old digest (as damage or a careless edit would)."""
    from chechnya_purges.cache import _seal, cache_file

    text = json.dumps(value)
    with closing(sqlite3.connect(cache_file(root))) as db, db:
        if sealed:
            db.execute(
                f"UPDATE {table} SET value = ?, seal = ? WHERE name = ?",
                (text, _seal(table, name, text), name),
            )
        else:
            db.execute(f"UPDATE {table} SET value = ? WHERE name = ?", (text, name))
