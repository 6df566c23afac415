"""check against hostile committed outputs and an unlucky machine: every bad input or bad
situation is one diagnostic in the chosen format, exit 1, no traceback, the dataset as it
was, and nothing of check's own left in the temporary folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tree


def check(
    root: Path, tmp: Path, *args: str, script: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command line in a process of its own, with its own temporary folder (the
    module caches the system's, so TMPDIR must be set before Python starts)."""
    head = [sys.executable, "-c", script] if script else [sys.executable, "-m", "chechnya_purges"]
    return subprocess.run(
        [*head, "--root", str(root), "check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """An empty temporary folder for one run of check."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    return folder


def one_problem(result: subprocess.CompletedProcess[str], fmt: str) -> dict[str, object]:
    """The one problem a failed run printed, parsed from its format, with no traceback."""
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    if fmt == "json":
        problems = json.loads(result.stdout)
        assert len(problems) == 1, problems
        found: dict[str, object] = problems[0]
        return found
    if fmt == "github":
        lines = result.stdout.splitlines()
        assert len(lines) == 1, result.stdout
        match = re.fullmatch(
            r"::error file=([^,]+),line=(\d+),col=1,title=([\w-]+)::(.*)", lines[0]
        )
        assert match, lines[0]
        return {"path": match[1], "line": int(match[2]), "code": match[3], "message": match[4]}
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("  hint: "), result.stdout
    match = re.fullmatch(r"(\S+):(\d+):1: error\[([\w-]+)\] (.*)", lines[0])
    assert match, lines[0]
    return {"path": match[1], "line": int(match[2]), "code": match[3], "message": match[4]}


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_temporary_folder_inside_the_dataset_is_refused(built: Path, fmt: str) -> None:
    """What check writes there would be read back as the dataset's own files (extra outputs
    under build/, folders among the articles): refused, before anything is written."""
    before = tree(built)
    inside = built / "build"
    result = check(built, inside, "--format", fmt)
    problem = one_problem(result, fmt)
    assert problem["path"] == "build"
    assert problem["code"] == "output-unwritable"
    assert "temporary folder" in str(problem["message"])
    assert "inside the dataset" in str(problem["message"])
    assert tree(built) == before
