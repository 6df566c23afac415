"""check against hostile committed outputs and an unlucky machine: every bad input or bad
situation is one diagnostic in the chosen format, exit 1, no traceback, the dataset as it
was, and nothing of check's own left in the temporary folder."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import tree
from hypothesis import given, settings
from hypothesis import strategies as st

from chechnya_purges import conform as conform_module
from chechnya_purges.conform import _first_difference


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


@contextlib.contextmanager
def bound(source: str, target: Path) -> Iterator[None]:
    """``source`` mounted over ``target`` (root, with mount rights, only)."""
    done = subprocess.run(
        ["mount", "--bind", source, str(target)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip("needs the right to mount (root in a private mount namespace)")
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_committed_output_that_opens_but_cannot_be_read_is_one_drift(
    built: Path, tmp: Path, fmt: str
) -> None:
    """Permissions stop no one running as root, but a failing disk does: a file whose reads
    fail (here another process's memory, which reads at offset 0 as an I/O error) is named,
    not taken for a full temporary folder."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        with bound(f"/proc/{sleeper.pid}/mem", built / "build/mentions.csv"):
            result = check(built, tmp, "--format", fmt)
    finally:
        sleeper.kill()
        sleeper.wait()
    problem = one_problem(result, fmt)
    assert problem["path"] == "build/mentions.csv"
    assert problem["code"] == "drift"
    assert problem["message"] == "cannot be read: Input/output error"
    assert os.listdir(tmp) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("file", "build is a file, not a folder; only files inside the dataset"),
        ("missing", "is missing"),
        ("link", "build is a symbolic link; only files inside the dataset"),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_folder_of_outputs_that_is_not_a_folder_is_one_problem(
    built: Path, tmp: Path, change: str, message: str, fmt: str
) -> None:
    """build/ committed as a file, a link, or not at all is one problem on build, not one
    on each of the ten files it should hold (each saying build 'is not a regular file')."""
    shutil.rmtree(built / "build")
    if change == "file":
        (built / "build").write_text("not a folder\n", encoding="utf-8")
    elif change == "link":
        (built / "build").symlink_to(tmp)
    before = tree(built)
    problem = one_problem(check(built, tmp, "--format", fmt), fmt)
    assert problem["path"] == "build"
    assert problem["code"] == "drift"
    assert str(problem["message"]).startswith(message), problem["message"]
    assert tree(built) == before
    assert os.listdir(tmp) == []


# check with Ctrl-C arriving at the worst instants: just as its folder is made, before
# anything knows of it, and just as the removal of that folder begins.
INTERRUPTED = """
import os, shutil, signal, sys, tempfile
from chechnya_purges import cli
where = sys.argv.pop(1)
real = {"making": tempfile.mkdtemp, "removing": shutil.rmtree}[where]
def interrupted(*args, **kwargs):
    if where == "removing":
        os.kill(os.getpid(), signal.SIGINT)
    done = real(*args, **kwargs)
    if where == "making":
        os.kill(os.getpid(), signal.SIGINT)
    return done
setattr(tempfile if where == "making" else shutil, real.__name__, interrupted)
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.parametrize("where", ["making", "removing"])
def test_ctrl_c_as_checks_folder_is_made_or_removed_leaves_nothing(
    built: Path, tmp: Path, where: str
) -> None:
    """Ctrl-C is held while the folder is made and while it is removed, and raised after:
    an interrupted check leaves nothing in the temporary folder. (Only SIGKILL, which
    nothing can catch, can leave a chechnya-purges-check-* folder behind.)"""
    before = tree(built)
    script = INTERRUPTED.replace("sys.argv.pop(1)", repr(where))
    result = check(built, tmp, script=script)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "Aborted!", result.stderr
    assert os.listdir(tmp) == []
    assert tree(built) == before


# check killed outright while its frictionless pass compares the package's keys on disk.
KILLED_IN_KEYS = """
import os, signal, sys
from chechnya_purges import cli, conform
def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
conform.PARALLEL_BYTES = 0
conform._keyed = killed
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


def test_check_killed_outright_leaves_only_its_own_named_folder(built: Path, tmp: Path) -> None:
    """What SIGKILL leaves is one chechnya-purges-check-* folder, which says whose it is:
    the frictionless pass keeps its keys inside it, not in a hidden folder of its own."""
    before = tree(built)
    result = check(built, tmp, script=KILLED_IN_KEYS)
    assert result.returncode == -signal.SIGKILL, result.stderr
    left = os.listdir(tmp)
    assert len(left) == 1 and left[0].startswith("chechnya-purges-check-"), left
    assert tree(built) == before


def line_of_first_byte(old: bytes, new: bytes) -> int | None:
    """The line (a newline counts as the end of its own line) of the first byte at which
    two files differ; where one ends first, the line at which it ends."""
    if old == new:
        return None
    return old.count(b"\n", 0, shared_length(old, new)) + 1


def shared_length(old: bytes, new: bytes) -> int:
    """How many bytes two files share from their start."""
    return next(
        (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
        min(len(old), len(new)),
    )


def first_differing_line(old: bytes, new: bytes) -> int | None:
    """The naive oracle: the first of the lines split at newlines that differ."""
    if old == new:
        return None
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=False), 1):
        if a != b:
            return number
    return min(len(old_lines), len(new_lines)) + 1


_texts = st.lists(st.sampled_from([b"a", b"b", b"\n", b"\r\n", b"\xff"]), max_size=60).map(b"".join)


@given(_texts, _texts, st.integers(0, 60), st.integers(1, 9))
@settings(max_examples=400, deadline=None)
def test_first_difference_names_the_line_of_the_first_differing_byte(
    old: bytes, tail: bytes, keep: int, block: int
) -> None:
    """Block by block (blocks of a few bytes, so that every boundary is crossed) the line is
    the one the first differing byte is on. It agrees with splitting both files at newlines
    but for one case, chosen on purpose: a file that lacks only the newline ending one of
    the other's lines differs at that line (where the newline is missing), not the next."""
    new = old[:keep] + tail
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conform_module, "BLOCK", block)
        difference = _first_difference(io.BytesIO(old), io.BytesIO(new))
        reverse = _first_difference(io.BytesIO(new), io.BytesIO(old))
    found = difference and difference.line
    assert found == (reverse and reverse.line)
    if difference is not None:
        shared = shared_length(old, new)
        assert difference.crlf == (
            old[shared : shared + 1] == b"\r" and new[shared : shared + 1] == b"\n"
        )
    assert found == line_of_first_byte(old, new)
    shorter, longer = sorted((old, new), key=len)
    newline_missing = (
        shorter != longer and longer.startswith(shorter) and longer[len(shorter)] == ord("\n")
    )
    naive = first_differing_line(old, new)
    assert found == (naive - 1 if newline_missing and naive is not None else naive)


MIB = 1 << 20


@pytest.mark.parametrize(
    "change",
    ["flip before 1 MiB", "flip at 1 MiB", "flip at 2 MiB", "cut at 2 MiB", "newline at 1 MiB"],
)
def test_check_names_the_line_of_a_change_at_a_megabyte_boundary(
    built: Path, tmp: Path, change: str
) -> None:
    """A committed file of three megabytes, changed on either side of the block boundaries:
    the diagnostic names the line the naive comparison of lines would."""
    path = built / "build/mentions.csv"
    content = path.read_bytes()
    header, rest = content.split(b"\n", 1)
    row = b"x" * 97 + b"\n"
    padded = header + b"\n" + row * (3 * MIB // len(row)) + rest
    flip = {"flip before 1 MiB": MIB - 1, "flip at 1 MiB": MIB, "flip at 2 MiB": 2 * MIB}
    if change in flip:
        at = flip[change]
        committed = padded[:at] + b"#" + padded[at + 1 :]
    elif change == "cut at 2 MiB":
        committed = padded[: 2 * MIB]
    else:
        committed = padded[:MIB] + b"\n" + padded[MIB + 1 :]
    path.write_bytes(committed)
    problem = one_problem(check(built, tmp, "--format", "json"), "json")
    assert problem["path"] == "build/mentions.csv"
    expected = first_differing_line(committed, content)
    assert problem["line"] == expected
    assert problem["message"] == f"differs from what build writes (first at line {expected})"


@pytest.mark.parametrize("what", ["link to a device", "link to a folder", "FIFO", "folder"])
def test_a_link_or_special_file_among_the_outputs_is_reported_never_read(
    built: Path, tmp: Path, what: str
) -> None:
    """build/ holds what build writes and nothing else: a link a pull request adds there
    (to /dev/zero, to /etc) or a FIFO is not an output, said without opening it."""
    extra = built / "build/extra.csv"
    if what == "link to a device":
        extra.symlink_to("/dev/zero")
    elif what == "link to a folder":
        extra.symlink_to("/etc")
    elif what == "FIFO":
        os.mkfifo(extra)
    else:
        extra.mkdir()
        (extra / "notes.txt").write_text("an extra file in an extra folder\n", encoding="utf-8")
    before = tree(built)
    problem = one_problem(check(built, tmp, "--format", "json"), "json")
    expected = "build/extra.csv/notes.txt" if what == "folder" else "build/extra.csv"
    assert (problem["path"], problem["message"]) == (expected, "is not an output of build")
    assert tree(built) == before


def test_outputs_checked_out_with_crlf_line_ends_are_named_as_such(built: Path, tmp: Path) -> None:
    """Git on Windows (core.autocrlf) or an editor can turn every LF into CRLF: the output
    then differs at its first line, and rebuilding alone would not help, since the next
    checkout converts again. The diagnostic says what happened and how to check out."""
    path = built / "build/mentions.csv"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = tree(built)
    result = check(built, tmp)
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "build/mentions.csv:1:1: error[drift] differs from what build writes (first at line "
        "1, which ends in CRLF where build writes LF)\n"
        "  hint: the line ends were converted (git's core.autocrlf, an editor): check the "
        "outputs out with LF line ends (`git config core.autocrlf input`, then check out "
        "again)\n"
    )
    assert tree(built) == before


# check sent SIGTERM (as `timeout`, a CI runner cancelling a job, or `kill` does) or SIGHUP
# (its terminal closed), to itself alone while it compares the outputs, or to its whole
# process group while frictionless's workers, done with the tables, wait for their next task.
TERMINATED = """
import os, signal, sys
from chechnya_purges import cli, conform
number, where = SIGNAL, WHERE
real = {"comparing": conform.drift, "in frictionless's pass": conform._keyed}[where]
def interrupted(*args, **kwargs):
    if where == "comparing":
        os.kill(os.getpid(), number)
    else:
        os.killpg(os.getpgrp(), number)
    return real(*args, **kwargs)
conform.PARALLEL_BYTES = 0
setattr(conform, real.__name__, interrupted)
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.parametrize("where", ["comparing", "in frictionless's pass"])
@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_check_terminated_leaves_no_folder_and_no_process(
    built: Path, tmp: Path, number: int, where: str
) -> None:
    """Not only Ctrl-C: a check told to end removes its folder first, then ends by that
    signal, as it would have at once; its workers, told too, do not keep it waiting."""
    before = tree(built)
    script = TERMINATED.replace("SIGNAL", str(int(number))).replace("WHERE", repr(where))
    process = subprocess.Popen(
        [sys.executable, "-c", script, "--root", str(built), "check"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == -number, stderr
    assert "Traceback" not in stderr
    assert os.listdir(tmp) == []
    assert tree(built) == before


# Ctrl-C arriving while Python destroys an object (jsonschema's referencing frees such
# objects all the time): Python cannot raise it there, so it prints it and carries on.
INTERRUPTED_IN_A_DESTRUCTOR = """
import os, signal, sys
from chechnya_purges import cli, conform
class Freed:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # the handler runs here, inside the destructor
real = conform.drift
def drift(*args, **kwargs):
    Freed()
    return real(*args, **kwargs)
conform.drift = drift
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


def test_ctrl_c_while_an_object_is_freed_still_stops_check(built: Path, tmp: Path) -> None:
    """Not 'Exception ignored in ...' with a traceback, then a check that runs to its end
    as if no one had pressed Ctrl-C: the interrupt is raised again a moment later."""
    result = check(built, tmp, script=INTERRUPTED_IN_A_DESTRUCTOR)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "Aborted!", result.stderr
    assert os.listdir(tmp) == []
