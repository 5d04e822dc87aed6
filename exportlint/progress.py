"""A one-line progress display for long scans on a terminal; silent everywhere else.

Plain text with carriage returns (no rich, no thread): it appears only once a scan has run for a
moment, redraws a few times a second at most, and erases itself before the report is printed.
"""

from __future__ import annotations

import shutil
import time
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
