"""Timing and peak memory of a command and all the processes it starts (for scan_speed.py)."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


@dataclass
class Run:
    """One command's repetitions: wall times (s) and peak memory (MB)."""

    label: str
    seconds: list[float] = field(default_factory=list)
    tree_mb: list[float] = field(default_factory=list)  # all processes of the command, summed
    largest_mb: list[float] = field(default_factory=list)  # the largest single process
    failed: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def peak_mb(self) -> float:
        return max(self.tree_mb or self.largest_mb or [float("nan")])


def measure(
    label: str,
    command: Sequence[str],
    reps: int,
    env: dict[str, str] | None = None,
    before: Callable[[int], None] | None = None,
    ok_codes: tuple[int, ...] = (0, 1),
) -> Run:
    """Run `command` `reps` times (calling `before(i)` first), stdout to /dev/null.

    Memory is sampled during the first repetition only: the sampling thread takes CPU time, which
    a command that keeps every core busy would otherwise lose (the median is of all repetitions).
    """
    run = Run(label)
    for i in range(reps):
        if before is not None:
            before(i)
        seconds, tree_mb, largest_mb, code, err = _once(command, env, sample=i == 0)
        if code not in ok_codes:
            run.failed = f"exit {code}: {err.strip().splitlines()[-1] if err.strip() else ''}"
            return run
        run.seconds.append(seconds)
        if i == 0:
            run.tree_mb.append(tree_mb)
        run.largest_mb.append(largest_mb)
    return run


def _once(command: Sequence[str], env: dict[str, str] | None, sample: bool) -> tuple[float, float, float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    sampler = _TreeSampler(proc.pid)
    if sample:
        sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    if sample:
        sampler.stop()
    # ru_maxrss is the largest process ever waited for: only a lower bound when it grows.
    largest = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return seconds, sampler.peak_kb / 1024, max(largest, sampler.largest_kb / 1024), proc.returncode, err


class _TreeSampler(threading.Thread):
    """Sums the resident memory of a process and its descendants every 20 ms (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.largest_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            sizes = [_rss_kb(p) for p in _descendants(self.pid)]
            self.peak_kb = max(self.peak_kb, sum(sizes))
            self.largest_kb = max([self.largest_kb, *sizes])
            self._stop_event.wait(0.02)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except OSError:
                pass
    return found


def _rss_kb(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * _PAGE_KB
