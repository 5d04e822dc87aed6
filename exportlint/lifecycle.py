"""Processes that die with their parent, and signals that unwind instead of killing.

The command-line process turns SIGTERM and SIGHUP into `Terminated` (SIGINT already gives
`KeyboardInterrupt`) so `finally` blocks run: temporary files go, children are stopped. Worker
and child processes ask the kernel for a signal when their parent dies (Linux's
`PR_SET_PDEATHSIG`) and also watch for it themselves, in case the kernel's signal does not come
(it follows the parent *thread* that started them) or the platform has none.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL = 0.2  # seconds between two looks at the parent pid

class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; raised in the main thread so cleanup runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """In the main thread: SIGTERM/SIGHUP raise `Terminated`, SIGINT `KeyboardInterrupt`; the
    previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = {signal.SIGTERM: _raise_terminated, signal.SIGHUP: _raise_terminated,
              signal.SIGINT: signal.default_int_handler}
    previous = {signum: signal.signal(signum, handler) for signum, handler in wanted.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send `signum` to this process when the thread that started it ends."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0)


def watch_parent(parent: int, on_death: Callable[[], None]) -> None:
    """Call `on_death` from a daemon thread once `parent` is gone (its pid is polled)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_INTERVAL)
        on_death()

    threading.Thread(target=watch, name="exportlint-parent-watch", daemon=True).start()


def die_with_parent(parent: int) -> None:
    """For a worker process: SIGKILL when `parent` dies (kernel signal plus a polling watchdog)."""
    set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
    watch_parent(parent, lambda: os._exit(1))


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Hold SIGINT back while processes are forked, so none is hit before it can ignore it.

    A SIGINT that arrives meanwhile is delivered when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_signals() -> None:
    """In a forked worker: the parent handles Ctrl-C; SIGTERM/SIGHUP end the worker at once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def exit_code(error: BaseException) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number."""
    if isinstance(error, Terminated):
        return 128 + error.signum
    return 128 + signal.SIGINT
