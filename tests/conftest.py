"""Shared helpers: a fresh copy of the invented fixture dataset, the real CLI, and a way to
prove that a failed command changed nothing on disk."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from chechnya_purges.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "mini"
REPO = Path(__file__).resolve().parents[1]
ARTICLE = "data/articles/001_freedonia.yaml"
SEED = "seeds/001_freedonia.txt"


def invoke(root: Path, *args: str) -> Result:
    """The real command line, run against one dataset root."""
    return CliRunner().invoke(cli, ["--root", str(root), *args], catch_exceptions=False)


def tree(root: Path) -> dict[str, str]:
    """sha256 of every file below root, to prove what a command did or did not change.

    validate's cache (.cache/) is left out: it is not part of the dataset, like __pycache__.
    """
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != ".cache"
    }


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
