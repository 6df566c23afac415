"""Worker processes that follow their parent: Ctrl-C is the parent's to handle, and a parent
killed outright takes its workers with it.

``validate`` and ``build`` check articles in workers, and ``build`` runs frictionless in
workers too. Ctrl-C reaches the whole process group; a worker that took it would print a
traceback of its own, so workers ignore it and end when the parent ends them.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["WorkLost", "apart", "follow_parent", "forking", "held"]

R = TypeVar("R")


def follow_parent() -> None:
    """In a worker, first thing: leave Ctrl-C to the parent, and end with it.

    A worker waits for its next task on a pipe whose other end it inherited itself, so a
    parent killed outright (SIGKILL, out of memory) would leave it waiting forever.

    SIGTERM and SIGHUP end the worker at once, as by default, whatever handler the parent
    had for them: one run in Python waits for the main thread, which a signal taken by
    another thread does not wake from a lock, and a pool ending its workers would wait.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # The parent as multiprocessing noted it before the fork: should it be gone already,
    # os.getppid() would name the process that took the orphan in.
    known = multiprocessing.parent_process()
    parent = known.pid if known is not None and known.pid is not None else os.getppid()
    if not _killed_with(parent):
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


# prctl's option for the signal a process gets when its parent ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1


def _killed_with(parent: int) -> bool:
    """Have Linux kill this process when its parent ends; False where it cannot.

    Done by the kernel rather than by a thread watching: a process apart forks the workers
    that check articles, and a thread running while a process forks may hold a lock (the
    allocator's, an import's) that stays held forever in the child, which Python 3.12 warns
    of. The kernel watches the thread that forked this process: here always the parent's
    main thread (a ``ProcessPoolExecutor`` forks all its workers at its first task, in the
    thread that gives it; none is started later in place of one that ended)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # it ended before the request was made
        os._exit(1)
    return True


def _exit_with_parent(parent: int) -> None:
    """End the worker when the process that started it is gone (where the kernel cannot be
    asked to): an orphan is handed to another parent, which is what this watches for."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


@contextmanager
def forking() -> Iterator[None]:
    """Hold Ctrl-C while workers are started (a pool starts them at its first task), so
    that none receives it before it ignores it. The parent gets it as soon as they run."""
    with held():
        yield


@contextmanager
def held(*numbers: int) -> Iterator[None]:
    """Hold Ctrl-C (or the signals given) for the length of the block, and raise it as the
    block ends: for a step that must not be cut in two (a folder made and not yet known, or
    half removed)."""
    hold = hasattr(signal, "pthread_sigmask")
    signals = set(numbers or [signal.SIGINT])
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, signals)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while many long-lived objects are made or pickled.

    The collector walks every tracked object each time their number has grown by a
    quarter: making, pickling or unpickling 100,000 actors with it on cost two to three
    times as much. The objects made then hold no cycles, and whatever garbage might be
    made in one is collected once it is back on.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class WorkLost(RuntimeError):
    """A process doing part of the work (the one ``apart`` ran it in, a worker checking
    articles) ended (killed, out of memory) before it handed back a result. Not an
    ``OSError``: no file or disk refused anything, and a caller that turns those into
    diagnostics must not take this for one."""


def apart(function: Callable[..., R], *args: Any) -> R:
    """``function(*args)``, run in a forked process of its own, of which only the result
    (or the exception) comes back.

    Memory a process frees is seldom given back to the system: objects that outlive the
    freed ones keep its pages. Work that builds many objects and hands back few (the
    registry's check, build's tabulating and writing) runs apart, so that this process stays
    small for the workers forked from it afterwards, which would copy those pages as they
    reuse them. The process may start workers of its own; it ends with this one, and is
    ended if this one is interrupted.
    """
    readable, writable = os.pipe()
    process = multiprocessing.get_context("fork").Process(
        target=_run, args=(readable, writable, function, args)
    )
    try:
        try:
            with forking():  # Ctrl-C held while it starts is raised as this block ends
                process.start()
        finally:
            os.close(writable)
        # All of it read before any is unpickled: the process ends, and gives its memory
        # back, before this one builds the objects.
        with os.fdopen(readable, "rb", closefd=False) as reader:
            pickled = reader.read()
    except BaseException:  # Ctrl-C, say: the work is not waited for
        if process.pid is not None:
            process.kill()
            process.join()
        raise
    finally:
        os.close(readable)
    process.join()
    try:
        with collector_paused():
            succeeded, value = pickle.loads(pickled)
    except (EOFError, pickle.UnpicklingError):
        raise WorkLost(f"a worker process ended with code {process.exitcode}") from None
    del pickled
    if not succeeded:
        raise value
    result: R = value
    return result


def _run(readable: int, writable: int, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    follow_parent()
    os.close(readable)
    try:
        outcome: tuple[bool, Any] = (True, function(*args))
    except Exception as exc:
        # The exception travels pickled, without its traceback: the text of it goes along.
        exc.add_note("".join(traceback.format_exception(exc)).rstrip())
        outcome = (False, _portable(exc))
    # Streamed, a frame at a time, into memory this process has freed (the work's own
    # objects), rather than pickled whole first: 20 MiB more at 100,000 actors.
    try:
        with os.fdopen(writable, "wb") as writer, collector_paused():
            pickle.dump(outcome, writer, protocol=pickle.HIGHEST_PROTOCOL)
    except BrokenPipeError:
        pass  # the parent is gone (killed, interrupted): no one is left to tell


def _portable(exc: Exception) -> Exception:
    """The exception, if it comes through pickling as itself; else a ``RuntimeError`` with
    its words and notes. An exception holding what cannot be pickled, or whose ``__init__``
    wants other arguments than it keeps, would otherwise be lost, and with it why the work
    failed."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        stand_in = RuntimeError(f"{type(exc).__qualname__}: {exc}")
        for note in getattr(exc, "__notes__", []):
            stand_in.add_note(note)
        return stand_in
    return exc
