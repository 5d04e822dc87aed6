"""A time limit for one file's analysis, so one pathological file cannot hold a scan forever.

On POSIX, in a process's main thread (every worker, and the scanning process with `--jobs 1`), a
real-time interval timer raises `FileTooSlow` inside the analysis when the limit passes; the
analysis unwinds (it never catches BaseException) and the file is reported as skipped. Elsewhere
no limit applies.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

FILE_TIME_LIMIT = 120.0  # seconds; the slowest file of the whole torch/ tree takes about 5


class FileTooSlow(BaseException):
    """The analysis of one file went past its time limit (a BaseException: no rule swallows it)."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise FileTooSlow in the block after `seconds` (no-op where timers are unavailable)."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise FileTooSlow(f"analysis stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        # None: the handler was installed outside Python; the default is the closest we can restore.
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
