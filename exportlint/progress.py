"""One-line progress displays on a terminal; silent everywhere else.

`LineProgress`: files analysed by a long scan. `StepLine`: the current step of each probed
target, which the child process reports with `step()`. Plain text with carriage returns (no
rich): it erases itself before the report is printed.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Protocol


class Progress(Protocol):
    """What the scan tells a progress display."""

    def start(self, total: int, to_analyse: int) -> None:
        """`total` files are scanned; `to_analyse` of them are not in the cache."""

    def advance(self, path: str) -> None:
        """One more file has been analysed."""

    def finish(self) -> None:
        """Analysis is over: erase the display."""


class _NoProgress:
    def start(self, total: int, to_analyse: int) -> None:
        pass

    def advance(self, path: str) -> None:
        pass

    def finish(self) -> None:
        pass


NO_PROGRESS: Progress = _NoProgress()


class LineProgress:
    """`exportlint: analysed 57/120 files (18 cached)  torch/nn/modules/rnn.py`, redrawn in place."""

    def __init__(self, stream: IO[str], delay: float = 0.5, interval: float = 0.1) -> None:
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.total = self.to_analyse = self.done = 0
        self.started = self.drawn_at = 0.0
        self.shown = False
        self.active = False

    def start(self, total: int, to_analyse: int) -> None:
        self.total, self.to_analyse, self.done = total, to_analyse, 0
        self.started = time.monotonic()
        self.active = to_analyse > 0

    def advance(self, path: str) -> None:
        if not self.active:
            return
        self.done += 1
        now = time.monotonic()
        if now - self.started < self.delay or now - self.drawn_at < self.interval:
            return
        self.drawn_at = now
        cached = self.total - self.to_analyse
        text = f"exportlint: analysed {self.done}/{self.to_analyse} files"
        text += f" ({cached} cached)  " if cached else "  "
        width = shutil.get_terminal_size((80, 24)).columns - 1
        room = width - len(text)
        shown = path if len(path) <= room else "..." + path[-(room - 3):] if room > 10 else ""
        self._write("\r" + (text + shown)[:width] + "\x1b[K")
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self._write("\r\x1b[K")
        self.shown = self.active = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.active = False


# -- the current step of a child process (probe, fix) --------------------------------------------

STEP_FILE_ENV = "EXPORTLINT_STEP_FILE"
_scope: list[str] = []


def step(text: str) -> None:
    """Tell the parent process what this child is doing now (a no-op unless it asked).

    The parent (`verify.isolate.run_in_child(..., on_step=...)`) names a file in the
    environment; each step is one appended line, read while the child runs.
    """
    path = os.environ.get(STEP_FILE_ENV)
    if not path:
        return
    line = ": ".join([*_scope, text]).replace("\n", " ")
    try:
        with open(path, "a", encoding="utf-8") as sink:
            sink.write(line + "\n")
    except OSError:
        pass  # progress is a courtesy; the probe goes on


@contextmanager
def step_scope(label: str) -> Iterator[None]:
    """Prefix the steps reported inside the block with `label` (`submodule encoder: ...`)."""
    _scope.append(label)
    try:
        yield
    finally:
        _scope.pop()


class StepLine:
    """`exportlint: probing m.py:make: exporting with dynamo (12s)  [1/3 done]`, redrawn in place."""

    def __init__(self, stream: IO[str], verb: str = "probing", total: int = 1) -> None:
        self.stream = stream
        self.verb = verb
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.shown = False
        self._lock = threading.Lock()

    def show(self, target: str, text: str) -> None:
        """Draw the step a target has reached."""
        seconds = time.monotonic() - self.started
        count = f"  [{self.done}/{self.total} done]" if self.total > 1 else ""
        rest = f": {text} ({seconds:.0f}s){count}"
        width = shutil.get_terminal_size((80, 24)).columns - 1
        # A long target path gives way first: the step is what the line is for.
        room = width - len(f"exportlint: {self.verb} ") - len(rest)
        if len(target) > room:
            target = "..." + target[-(room - 3):] if room > 12 else ""
        line = f"exportlint: {self.verb} {target}{rest}" if target else f"exportlint: {self.verb}{rest}"
        with self._lock:
            self._write("\r" + line[:width] + "\x1b[K")
            self.shown = True

    def target_done(self, target: str) -> None:
        """One more target has finished."""
        self.done += 1
        self.show(target, "done")

    def finish(self) -> None:
        """Erase the line before the report is printed."""
        with self._lock:
            if self.shown:
                self._write("\r\x1b[K")
            self.shown = False

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass
