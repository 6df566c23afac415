"""Worker processes that follow their parent: Ctrl-C is the parent's to handle, and a parent
killed outright takes its workers with it.

``validate`` and ``build`` check articles in workers, and ``build`` runs frictionless in
workers too. Ctrl-C reaches the whole process group; a worker that took it would print a
traceback of its own, so workers ignore it and end when the parent ends them.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["follow_parent", "forking"]


def follow_parent() -> None:
    """In a worker, first thing: leave Ctrl-C to the parent, and end with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """End the worker when the process that started it is gone.

    A worker waits for its next task on a pipe whose other end it inherited itself, so a
    parent killed outright (SIGKILL, out of memory) would leave it waiting forever. An
    orphan is handed to another parent, which is what this watches for.
    """
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


@contextmanager
def forking() -> Iterator[None]:
    """Hold Ctrl-C while workers are started (a pool starts them at its first task), so
    that none receives it before it ignores it. The parent gets it as soon as they run."""
    hold = hasattr(signal, "pthread_sigmask")
    if hold:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
