"""Faults: a build killed at any instant, interrupted, starved of disk or run twice at once
leaves the outputs old or new and complete, no staging folder survives the next build, no
worker outlives its parent, and a release never leaves a partial archive."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ARTICLE, REPO, edit, invoke, tree

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate

from chechnya_purges._swap import OUTPUT_ROOTS
from chechnya_purges.compat import FIRST
from chechnya_purges.dataset import PARALLEL_FROM

OUTPUTS = OUTPUT_ROOTS
TITLE = "title: Freedonia condemns detentions in Sylvania"

# Runs the command line with every os.replace counted, and kills the process outright
# (SIGKILL, as the out-of-memory killer or `kill -9` would) just before the N-th: the swap
# is made of renames, so this reaches every instant between two of its steps.
KILL_AT_RENAME = """
import os, signal, sys
wanted, count, real = int(sys.argv[1]), 0, os.replace
def replace(*args, **kwargs):
    global count
    count += 1
    if count == wanted:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
os.replace = replace
sys.argv = ["chechnya-purges", *sys.argv[2:]]
from chechnya_purges.cli import main
main()
"""


def outputs(root: Path) -> dict[str, str]:
    """sha256 of every file build owns."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for name in OUTPUTS
        for p in sorted([root / name, *(root / name).rglob("*")])
        if p.is_file()
    }


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith((".build-", "..build-")))


def command(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "chechnya_purges", "--root", str(root), *args]


def _living(field: int, value: int) -> list[int]:
    """Living processes (Linux /proc) whose ``field`` of /proc/PID/stat, counted after the
    command's name (1: the parent, 2: the process group), is ``value``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat[0] != "Z" and int(stat[field]) == value:
            found.append(int(entry))
    return found


def group_alive(group: int) -> list[int]:
    """Processes still in a process group: a killed build's workers."""
    return _living(2, group)


def wait_group_gone(group: int, seconds: float = 10.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while (alive := group_alive(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def retitle(root: Path, relative: str, old: str, new: str) -> None:
    edit(root, relative, lambda t: t.replace(old, new, 1))


@pytest.fixture
def old_and_new(built: Path, tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A built dataset whose data has since changed: the outputs a kill may leave (the old
    set, the new set) and the root with the changed data."""
    before = outputs(built)
    retitle(built, ARTICLE, TITLE, TITLE + " again")
    reference = tmp_path / "reference"
    shutil.copytree(built, reference)
    assert invoke(reference, "build", "--no-frictionless").exit_code == 0
    after = outputs(reference)
    assert before != after
    return built, before, after


RENAMES = 1 + 2 * len(OUTPUTS)  # the journal, then each output moved out and the new one in


@pytest.mark.parametrize("rename", range(1, RENAMES + 1))
def test_a_build_killed_between_any_two_renames_leaves_old_or_new_outputs(
    old_and_new: tuple[Path, dict[str, str], dict[str, str]], rename: int
) -> None:
    root, before, after = old_and_new
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, str(rename), "--root", str(root), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # Killed before the journal was in place: the old set stands. After: the next command
    # (any command) finishes the swap before it reads anything.
    verified = invoke(root, "verify")
    assert verified.exit_code == 0, verified.output
    assert outputs(root) == (before if rename == 1 else after)
    # The old set is stale (check says so); the new one is what check expects.
    assert invoke(root, "check").exit_code == (1 if rename == 1 else 0)
    rebuilt = invoke(root, "build", "--no-frictionless")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert leftovers(root) == []
    assert outputs(root) == after


def test_verify_of_the_folder_finishes_an_interrupted_swap_too(
    old_and_new: tuple[Path, dict[str, str], dict[str, str]],
) -> None:
    root, _, after = old_and_new
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, "4", "--root", str(root), "build"],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    verified = subprocess.run(
        command(root, "verify", str(root)), capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert outputs(root) == after


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated dataset large enough for worker processes and a build of a second or so."""
    root = tmp_path_factory.mktemp("corpus") / "data"
    generate(PARALLEL_FROM + 100, root)
    return root


def test_builds_killed_at_random_instants_leave_old_or_new_outputs_and_no_worker(
    corpus: Path,
) -> None:
    """SIGKILL of the build process alone (or Ctrl-C, to the whole process group as a
    terminal sends it) at seeded random instants of real builds, the data changing between
    attempts."""
    articles = sorted((corpus / "data/articles").iterdir())
    first = articles[0].relative_to(corpus).as_posix()
    started = time.monotonic()
    subprocess.run(command(corpus, "build"), capture_output=True, check=True)
    duration = time.monotonic() - started
    sets = {0: outputs(corpus)}
    retitle(corpus, first, "(report 0)", "(report 0, revised)")
    subprocess.run(command(corpus, "build"), capture_output=True, check=True)
    sets[1] = outputs(corpus)
    assert sets[0] != sets[1]
    state = 1
    chance = random.Random(20170401)
    for attempt in range(8):
        target = 1 - state
        if target == 0:
            retitle(corpus, first, "(report 0, revised)", "(report 0)")
        else:
            retitle(corpus, first, "(report 0)", "(report 0, revised)")
        how = signal.SIGINT if attempt % 4 == 3 else signal.SIGKILL
        log = corpus.parent / "stderr.txt"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                command(corpus, "build"),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        try:
            time.sleep(chance.uniform(0.05, duration * 1.1))
            with contextlib.suppress(ProcessLookupError):  # it may have finished first
                if how == signal.SIGKILL:
                    os.kill(process.pid, how)  # the build alone: its workers must notice
                else:
                    os.killpg(process.pid, how)
            process.wait(timeout=120)
            assert wait_group_gone(process.pid) == [], f"workers outlived build ({attempt})"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        assert "Traceback" not in log.read_text(), log.read_text()
        verified = invoke(corpus, "verify")
        assert verified.exit_code == 0, verified.output
        found = outputs(corpus)
        assert found in (sets[state], sets[target]), f"a mixed set after attempt {attempt}"
        state = state if found == sets[state] else target
    final = subprocess.run(command(corpus, "build"), capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert leftovers(corpus) == []
    assert outputs(corpus) == sets[target]


# validate with its registry checked in a process apart, however small the registry.
VALIDATE_APART = """
import sys
from chechnya_purges import cli, dataset
dataset.REGISTRY_APART_FROM = 0
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


def test_validate_interrupted_at_random_instants_leaves_no_process_and_no_traceback(
    corpus: Path,
) -> None:
    """Ctrl-C to the process group, or SIGKILL of validate alone, while the registry is
    checked apart or the articles in workers."""
    args = [sys.executable, "-c", VALIDATE_APART, "--root", str(corpus), "validate", "--no-cache"]
    started = time.monotonic()
    subprocess.run(args, capture_output=True, check=True)
    duration = time.monotonic() - started
    chance = random.Random(20170402)
    for attempt in range(6):
        how = signal.SIGINT if attempt % 2 else signal.SIGKILL
        stderr = _interrupted(args, how, chance.uniform(0, duration * 0.8))
        assert b"Traceback" not in stderr, stderr.decode()


def _interrupted(
    args: list[str], how: signal.Signals, delay: float, env: dict[str, str] | None = None
) -> bytes:
    """A command's stderr, sent ``how`` ``delay`` seconds after a process apart or a worker
    is there (Python's own start-up, interrupted, prints a traceback of its imports):
    SIGKILL to the command alone, another signal to its whole group, as a terminal sends
    Ctrl-C. Asserts that no process of the group outlives it."""
    process = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, env=env
    )
    try:
        deadline = time.monotonic() + 30
        while len(group_alive(process.pid)) < 2 and process.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            if how == signal.SIGKILL:
                os.kill(process.pid, how)
            else:
                os.killpg(process.pid, how)
        _, stderr = process.communicate(timeout=60)
        assert wait_group_gone(process.pid) == [], f"workers outlived {args[-1]} ({how.name})"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    return stderr


def test_check_interrupted_at_random_instants_leaves_no_folder_and_no_process(
    corpus: Path, tmp_path: Path
) -> None:
    """Ctrl-C to the process group at seeded random instants of check (its package written
    apart, compared, or checked by frictionless's workers): no traceback, no process, and
    nothing left in the temporary folder. SIGKILL of check alone leaves no process either;
    it may leave check's one named folder, which nothing can remove at that instant."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    subprocess.run(command(corpus, "build"), capture_output=True, check=True)
    started = time.monotonic()
    subprocess.run(command(corpus, "check"), capture_output=True, check=True, env=env)
    duration = time.monotonic() - started
    chance = random.Random(20170403)
    for attempt in range(4):
        how = signal.SIGKILL if attempt == 3 else signal.SIGINT
        stderr = _interrupted(
            command(corpus, "check"), how, chance.uniform(0, duration * 0.8), env=env
        )
        assert b"Traceback" not in stderr, stderr.decode()
        left = os.listdir(scratch)
        if how == signal.SIGINT:
            assert left == [], (attempt, left)
        else:
            assert all(name.startswith("chechnya-purges-check-") for name in left), left


def test_a_second_build_waits_for_the_first(built: Path) -> None:
    before = tree(built)
    holder = os.open(built, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # as a running build holds it
    try:
        process = subprocess.Popen(
            command(built, "build", "--no-frictionless"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stderr is not None
        line = process.stderr.readline()
        assert line == "Another build of this dataset is running: waiting for it to end.\n"
        time.sleep(0.3)
        assert process.poll() is None
        assert tree(built) == before
    finally:
        os.close(holder)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert re.match(r"Built \d+ files from 1 articles", rest), rest


def _file_size_limit(limit: int) -> None:
    """A disk that takes no more than ``limit`` bytes per file (EFBIG, as a full one would
    refuse with ENOSPC), set in the child before it runs."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _build_on_a_small_disk(root: Path, limit: int) -> subprocess.CompletedProcess[str]:
    """build without frictionless, on a disk that takes no more than ``limit`` bytes a file."""
    return subprocess.run(
        command(root, "build", "--no-frictionless"),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: _file_size_limit(limit),
    )


def test_a_full_disk_during_build_is_one_diagnostic_and_changes_nothing(built: Path) -> None:
    retitle(built, ARTICLE, TITLE, TITLE + " again")
    before = tree(built)
    result = _build_on_a_small_disk(built, 100)
    assert result.returncode == 1, result.stderr
    assert result.stdout == (
        "build/chechnya-purges.json:1:1: error[output-unwritable] cannot write the outputs: "
        "File too large\n"
        "  hint: free disk space or make the dataset folder writable, then build again; "
        "the previous outputs are as they were\n"
    )
    assert result.stderr.endswith("Nothing was written.\n")
    assert tree(built) == before


def test_a_disk_filling_while_the_articles_are_spooled_is_reported_on_the_nested_json(
    tmp_path: Path,
) -> None:
    """The spool reaches the disk a block at a time: a disk that refuses a block, while the
    workers are still delivering articles, is one diagnostic on the output that block is
    for, as when every record was written as it arrived."""
    root = tmp_path / "corpus"
    generate(PARALLEL_FROM + 20, root)  # records of about 15 KB each: several blocks
    before = tree(root)
    result = _build_on_a_small_disk(root, 3 << 20)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(
        "build/chechnya-purges.json:1:1: error[output-unwritable] cannot write the outputs: "
        "File too large\n"
    ), result.stdout
    assert result.stderr.endswith("Nothing was written.\n")
    assert tree(root) == before


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_full_temporary_folder_during_check_is_one_diagnostic_and_changes_nothing(
    built: Path, tmp_path: Path, fmt: str
) -> None:
    """check writes the package it compares into the system's temporary folder: one that
    refuses is one diagnostic on that folder, in the format asked for (a tool reading
    --format json gets a document), that names the way out; the dataset is untouched."""
    before = tree(built)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = subprocess.run(
        [*command(built, "check"), "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: _file_size_limit(100),
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    message = "cannot write check's copy of the package in the temporary folder: File too large"
    hint = "free space in the temporary folder, or name another in TMPDIR; the dataset is unchanged"
    if fmt == "json":
        assert json.loads(result.stdout) == [
            {
                "path": str(scratch),
                "line": 1,
                "col": 1,
                "code": "output-unwritable",
                "message": message,
                "hint": hint,
                "severity": "error",
            }
        ]
    elif fmt == "github":
        assert result.stdout == (
            f"::error file={scratch},line=1,col=1,title=output-unwritable::{message} "
            f"(hint: {hint})\n"
        )
    else:
        assert result.stdout == (
            f"{scratch}:1:1: error[output-unwritable] {message}\n  hint: {hint}\n"
        )
    assert os.listdir(scratch) == []
    assert tree(built) == before


def test_a_full_disk_while_workers_check_articles_is_one_diagnostic_not_a_hang(
    corpus: Path,
) -> None:
    """The disk fills while articles are still being checked in worker processes: the
    workers are stopped, and the build ends with the one diagnostic instead of waiting."""
    before = outputs(corpus)
    process = subprocess.Popen(
        command(corpus, "build", "--no-frictionless"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: _file_size_limit(100_000),
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 1, stderr
    assert stdout == (
        "build/chechnya-purges.json:1:1: error[output-unwritable] cannot write the outputs: "
        "File too large\n"
        "  hint: free disk space or make the dataset folder writable, then build again; "
        "the previous outputs are as they were\n"
    )
    assert stderr.endswith("Nothing was written.\n")
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert wait_group_gone(process.pid) == []
    assert outputs(corpus) == before
    assert leftovers(corpus) == []


# Runs the command line with the work done in a process apart (build's loading and writing,
# validate's registry check) killed outright there, as the out-of-memory killer would.
KILL_APART = """
import os, signal, sys
from chechnya_purges import cli, dataset
def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)
cli._stage = dataset._checked_registry = killed
dataset.REGISTRY_APART_FROM = 0
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.parametrize("args", [["build"], ["validate", "--no-cache"], ["check"]])
def test_work_apart_killed_is_said_plainly(built: Path, args: list[str]) -> None:
    """Not a disk that refuses, not a traceback: the process was killed, nothing changed."""
    retitle(built, ARTICLE, TITLE, TITLE + " again")
    before = tree(built)
    result = subprocess.run(
        [sys.executable, "-c", KILL_APART, "--root", str(built), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Error: a worker process ended with code -9 before its work was done (killed, or out "
        "of memory); nothing was written\n"
        "  hint: run the command again; if it is killed again, close other programs to give "
        "it more memory\n"
    )
    assert tree(built) == before


def children(parent: int) -> list[int]:
    """The living child processes of a process."""
    return _living(1, parent)


@pytest.mark.parametrize(
    ("args", "depth"),
    # validate's workers are its own children; build's are those of the process it loads
    # and writes in (the frictionless workers, its own children, come later).
    [(["validate", "--no-cache"], 1), (["build", "--no-frictionless"], 2)],
)
def test_an_article_worker_killed_is_said_plainly(
    corpus: Path, args: list[str], depth: int
) -> None:
    """One of the workers checking articles killed outright, as the out-of-memory killer
    would: one plain error, no traceback, no process left, nothing in the dataset changed."""
    before = tree(corpus)
    process = subprocess.Popen(
        command(corpus, *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers:
            assert process.poll() is None, "ended before its workers were found"
            assert time.monotonic() < deadline
            workers = [process.pid]
            for _ in range(depth):
                workers = [child for worker in workers for child in children(worker)]
            time.sleep(0.005)
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=60)
        assert wait_group_gone(process.pid) == [], "a worker outlived the command"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 1, stderr
    assert stdout == ""
    assert stderr == (
        "Error: a worker process checking the articles ended before its work was done "
        "(killed, or out of memory); nothing was written\n"
        "  hint: run the command again; if it is killed again, close other programs to give "
        "it more memory\n"
    )
    assert tree(corpus) == before
    assert leftovers(corpus) == []


# Runs the command line with frictionless's pass in worker processes however small the
# package, and the first of them to start on a share of the tables killed outright.
KILL_FRICTIONLESS_WORKER = """
import os, signal, sys
from chechnya_purges import cli, conform
conform.PARALLEL_BYTES = 0
def killed(*args):
    os.kill(os.getpid(), signal.SIGKILL)
conform._validate = killed
sys.argv = ["chechnya-purges", *sys.argv[1:]]
cli.main()
"""


@pytest.mark.parametrize("args", [["build"], ["check"]])
def test_a_frictionless_worker_killed_is_said_plainly_not_a_hang(
    corpus: Path, args: list[str]
) -> None:
    """multiprocessing's pool starts a new worker in place of a killed one, and would wait
    forever for the share of the tables the killed one held."""
    subprocess.run(command(corpus, "build"), capture_output=True, check=True)
    before = tree(corpus)
    process = subprocess.Popen(
        [sys.executable, "-c", KILL_FRICTIONLESS_WORKER, "--root", str(corpus), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=60)
        assert wait_group_gone(process.pid) == [], "a worker outlived the command"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 1, stderr
    assert "error[" not in stdout  # the data's warnings only
    assert stderr == (
        "Error: a worker process checking the package with frictionless ended "
        "before its work was done (killed, or out of memory); nothing was written\n"
        "  hint: run the command again; if it is killed again, close other programs to give "
        "it more memory\n"
    )
    assert tree(corpus) == before
    assert leftovers(corpus) == []


def test_workers_are_forked_from_processes_without_threads(corpus: Path) -> None:
    """Python 3.12 warns when a process with threads forks (a lock a thread held at the fork
    stays held in the child: a worker that hangs). build forks the article workers from the
    process it loads and writes in, itself a worker, and validate forks them too: each is
    run with that warning shown (on Python 3.11 it is never given). Shown, not made an
    error: Python drops the error silently, and forks all the same."""
    for args in (["build", "--no-frictionless"], ["validate", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-W", "always::DeprecationWarning", *command(corpus, *args)[1:]],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr


@contextlib.contextmanager
def unmovable(folder: Path) -> Iterator[None]:
    """A folder the system refuses to move: read-only for a user, immutable for root (who
    may move read-only folders)."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None:
        pytest.skip("root, and no chattr to make a folder immutable")
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("root, and the file system or container does not allow chattr +i")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_an_output_that_cannot_be_moved_rolls_the_swap_back(built: Path) -> None:
    """build/ is replaced, then schema/ refuses to move: build/ is put back, nothing else
    changes, and the error names schema."""
    retitle(built, ARTICLE, TITLE, TITLE + " again")
    before = tree(built)
    with unmovable(built / "schema"):
        result = invoke(built, "build", "--no-frictionless")
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(
        "schema:1:1: error[output-unwritable] cannot write the outputs: "
    )
    assert result.stderr.endswith("Nothing was written.\n")
    assert tree(built) == before
    assert leftovers(built) == []


def test_a_full_disk_during_release_leaves_no_partial_archive(built: Path) -> None:
    (built / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- First.\n")
    before = tree(built)
    result = subprocess.run(
        command(built, "release"),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: _file_size_limit(4096),
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        "Error: cannot write the release to dist: File too large; no partial file was left\n"
    )
    assert "Traceback" not in result.stderr
    assert tree(built) == before
    assert not (built / "dist").exists() or list((built / "dist").iterdir()) == []


def test_a_release_killed_while_writing_leaves_no_partial_archive(built: Path) -> None:
    (built / "CHANGELOG.md").write_text("# Changelog\n\n## Unreleased\n\n- First.\n")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_RENAME, "1", "--root", str(built), "release"],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not (built / "dist" / f"chechnya-purges-{FIRST}.zip").exists()
    assert not (built / "releases").exists()
    released = invoke(built, "release")
    assert released.exit_code == 0, released.output
    assert sorted(p.name for p in (built / "dist").iterdir()) == [f"chechnya-purges-{FIRST}.zip"]
    verified = invoke(built, "verify", str(built / "dist" / f"chechnya-purges-{FIRST}.zip"))
    assert verified.exit_code == 0, verified.output


def test_a_full_disk_during_new_changes_nothing(mini: Path, tmp_path: Path) -> None:
    seed = tmp_path / "002_new.txt"
    seed.write_text("A new article about Freedonia.\n" * 200, encoding="utf-8")
    before = tree(mini)
    result = subprocess.run(
        command(mini, "new", str(seed)),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: _file_size_limit(1000),
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        "Error: cannot write the record or its seed: File too large; nothing was changed\n"
    )
    assert tree(mini) == before


@pytest.mark.parametrize("staged", ["data", ".build-gone", "../elsewhere"])
def test_a_journal_that_names_no_staging_folder_commits_nothing(built: Path, staged: str) -> None:
    """A journal can arrive in a pull request: it never moves anything but a staging folder."""
    before = tree(built)
    (built / ".build-journal").write_text(json.dumps({"staged": staged}), encoding="utf-8")
    result = invoke(built, "verify")
    assert result.exit_code == 0, result.output
    assert not (built / ".build-journal").exists()
    assert tree(built) == before


@pytest.mark.parametrize("command", ["build", "validate"])
def test_a_committed_journal_cannot_reach_outside_the_root(
    built: Path, tmp_path: Path, command: str
) -> None:
    """A pull request can commit a journal and the folder it names; a link in that folder
    must not make the swap delete or move anything outside the dataset."""
    victim = tmp_path / "victim"
    (victim / "schema").mkdir(parents=True)
    (victim / "schema" / "keep.txt").write_text("keep", encoding="utf-8")
    (victim / "datapackage.json").write_text("{}", encoding="utf-8")
    staged = built / ".build-evil"
    (staged / "schema").mkdir(parents=True)
    (staged / ".retired").symlink_to(victim)
    (built / ".build-journal").write_text('{"staged": ".build-evil"}', encoding="utf-8")
    before = tree(victim)
    invoke(built, command)
    assert tree(victim) == before
    assert (victim / "schema" / "keep.txt").read_text(encoding="utf-8") == "keep"
    assert invoke(built, "verify").exit_code == 0
