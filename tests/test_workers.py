"""Work run apart, in a forked process of its own: what comes back, and what stays there."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest

from chechnya_purges._workers import WorkLost, apart


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def test_the_result_comes_back_from_another_process() -> None:
    pid, doubled = apart(_pid_and, 21)
    assert pid != os.getpid()
    assert doubled == 42


def _refuse(path: str) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", path)


def test_an_error_comes_back_as_itself_with_where_it_was_raised() -> None:
    """build turns a full disk, met while writing apart, into one diagnostic on the file."""
    with pytest.raises(OSError) as caught:
        apart(_refuse, "build/figures.csv")
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == "build/figures.csv"
    assert "_refuse" in "\n".join(caught.value.__notes__)


def test_a_process_that_dies_is_an_error_not_a_wait() -> None:
    with pytest.raises(WorkLost, match="code 3"):
        apart(os._exit, 3)


def test_the_memory_of_the_work_stays_apart() -> None:
    """Two million strings (well over 100 MiB) made and dropped apart leave the peak of the
    process that asked where it was: the workers build forks afterwards start small."""
    script = (
        "import resource\n"
        "from chechnya_purges._workers import WorkLost, apart\n"
        "def many(count):\n"
        "    return len([str(number) for number in range(count)])\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "assert apart(many, 2_000_000) == 2_000_000\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(after - before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    grown, child = map(int, done.stdout.split())  # KiB
    assert grown < 20 * 1024
    assert child > 100 * 1024


# Ctrl-C arrives while the process apart is being started (the parent holds it until the
# start is done): the work, whose result fills more than a pipe's buffer, must not be left
# running unread, nor the parent waiting for it at exit.
INTERRUPTED_AT_START = """
import os, signal, time
from chechnya_purges._workers import WorkLost, apart
real = os.fork
def fork():
    pid = real()
    if pid:
        os.kill(os.getpid(), signal.SIGINT)
    return pid
os.fork = fork
def slow_and_large():
    time.sleep(1)
    return b"x" * (1 << 20)
try:
    apart(slow_and_large)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_while_the_process_is_started_ends_it() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_AT_START],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=20)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, stderr
    assert stdout == "interrupted\n"
    assert stderr == ""


# The process that asked is killed outright (SIGKILL, out of memory) just as the result
# starts on its way to it.
ASKER_KILLED = """
import os, signal
from chechnya_purges._workers import WorkLost, apart
def orphaned():
    os.kill(os.getppid(), signal.SIGKILL)
    return [str(number) for number in range(1_000_000)]
apart(orphaned)
"""


def test_a_result_with_no_one_to_take_it_is_dropped_quietly() -> None:
    """The terminal shows no traceback of the process apart when its parent is gone."""
    done = subprocess.run(
        [sys.executable, "-c", ASKER_KILLED],
        capture_output=True,
        text=True,
        check=False,
        timeout=20,
    )
    assert done.returncode == -signal.SIGKILL
    assert done.stderr == ""


# Work apart that prints its process id and waits; with "thread", watched for its parent's
# end as it is where the kernel cannot be asked (not Linux).
ORPHANED = """
import os, sys, time
from chechnya_purges import _workers
if sys.argv[1] == "thread":
    _workers._killed_with = lambda parent: False
def wait():
    print(os.getpid(), flush=True)
    time.sleep(60)
_workers.apart(wait)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's new parent may be slow to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc")
@pytest.mark.parametrize("watch", ["kernel", "thread"])
def test_work_apart_ends_when_its_parent_is_killed(watch: str) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", ORPHANED, watch],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        child = int(process.stdout.readline())
        assert _running(child)
        process.kill()
        process.wait(timeout=20)
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), "the work outlived its parent"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


class _TwoPart(Exception):
    """An exception that pickles, but whose unpickling calls it with one argument."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(what)
        self.where = where


def _raise_two_part() -> None:
    raise _TwoPart("the table is malformed", "figures.csv")


def _raise_with_a_hook() -> None:
    error = ValueError("the table is malformed")
    error.hook = lambda: None  # type: ignore[attr-defined]  # a lambda does not pickle
    raise error


@pytest.mark.parametrize("function", [_raise_two_part, _raise_with_a_hook])
def test_an_error_that_does_not_travel_still_says_what_it_was(function: Any) -> None:
    """Not a pickling error, nor a process said to be killed: the error's own words, and
    where it was raised."""
    with pytest.raises(RuntimeError, match="the table is malformed") as caught:
        apart(function)
    assert type(caught.value) is RuntimeError
    assert function.__name__ in "\n".join(caught.value.__notes__)


# A parent that starts a worker and ends before the worker has begun to follow it, as a
# pool's parent told to end does while the pool replaces workers that the same signal ended.
ORPHANED_EARLY = """
import multiprocessing, os, sys, time
from chechnya_purges._workers import follow_parent
def work(path):
    with open(path, "w") as handle:
        handle.write(str(os.getpid()))
    while os.getppid() != 1 and os.getppid() == multiprocessing.parent_process().pid:
        time.sleep(0.01)  # until the parent has ended
    follow_parent()
    time.sleep(60)
multiprocessing.get_context("fork").Process(target=work, args=(sys.argv[1],)).start()
while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
    time.sleep(0.01)
os._exit(0)
"""


def test_a_worker_whose_parent_ended_before_it_began_to_follow_it_ends(tmp_path: Any) -> None:
    """The worker watches the parent that started it, not the one it has when it begins to
    watch: that is already its new parent, and it would outlive the command forever."""
    pid_file = tmp_path / "pid"
    subprocess.run(
        [sys.executable, "-c", ORPHANED_EARLY, str(pid_file)],
        check=True,
        timeout=60,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # the worker keeps them: no waiting for their end
    )
    worker = int(pid_file.read_text())
    try:
        deadline = time.monotonic() + 10
        while _running(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(worker), "the orphaned worker is still running"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)


class _SeesTheCollector:
    """A result that records, as it is pickled (in the process apart) and as it is
    unpickled (here), whether the cycle collector was on."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _collector_on_both_sides, (gc.isenabled(),)


def _collector_on_both_sides(when_pickled: bool) -> tuple[bool, bool]:
    return when_pickled, gc.isenabled()


def test_the_result_of_work_apart_travels_with_the_collector_paused() -> None:
    """Pickled and unpickled with the collector on, 100,000 actors handed back to build
    cost two to three times as much; afterwards it is on again, however the work ended,
    and stays off for a caller who had it off."""
    assert gc.isenabled()
    assert apart(_SeesTheCollector) == (False, False)
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        apart(divmod, 1, 0)
    assert gc.isenabled()
    gc.disable()
    try:
        assert apart(_SeesTheCollector) == (False, False)
        assert not gc.isenabled()
    finally:
        gc.enable()
