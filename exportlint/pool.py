"""Analyse files in parallel worker processes; a worker that dies costs one file, not the scan.

Files are independent: each job carries the file's bytes (so what is analysed is exactly what
was hashed for the cache) and comes back as a small picklable `Done`. Workers get the config and
the known module classes once, when they start.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from exportlint import lifecycle, timelimit
from exportlint.config import Config
from exportlint.model import FileResult
from exportlint.prepass import identifiers
from exportlint.timelimit import FileTooSlow, time_limit

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass(frozen=True)
class Job:
    """One file to analyse."""

    index: int
    path: Path
    display: str
    data: bytes
    roots: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Done:
    """A job's result, the identifiers of its file and the known module classes it was given.

    `analysed` is False when the analysis itself could not run (a crashed worker): such a result
    is reported but never cached.
    """

    index: int
    result: FileResult
    names: tuple[str, ...]
    known: tuple[str, ...]
    analysed: bool = True


def analyse(job: Job, config: Config, known: frozenset[str]) -> Done:
    """Analyse one file, in whichever process runs it.

    The file's analysis only ever asks whether names written in it are known module classes, so
    it is given exactly those: the cache key then holds everything the result depends on.
    """
    from exportlint.engine import scan_file

    names = identifiers(job.data.decode("utf-8-sig", errors="replace"))
    used = known & names
    try:
        with time_limit(timelimit.FILE_TIME_LIMIT):
            result = scan_file(job.path, config, used, job.display, job.roots, data=job.data)
    except FileTooSlow as e:
        # Not cached: how long a file takes depends on the machine.
        return Done(job.index, FileResult(job.display, error=f"{job.display}: {e}; the file is skipped (too slow "
                                          "to analyse, please report it)"), (), (), analysed=False)
    return Done(job.index, result, tuple(sorted(names)), tuple(sorted(used)))


def worker_count(jobs: int) -> int:
    """`--jobs` as a process count: 0 means every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Workers:
    """Worker processes kept for a whole scan: the first pass and the call-graph rounds after it
    reuse them, parser already loaded. Use as a context manager; `run` may be called many times."""

    def __init__(self, config: Config, known: frozenset[str], workers: int) -> None:
        self.config, self.known, self.workers = config, known, workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            if exc[0] is None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            else:
                _stop_pool(self._pool)
            self._pool = None

    def run(self, jobs: Sequence[Job], on_done: Callable[[Done], None]) -> None:
        """Analyse every job, calling `on_done` in this process as each finishes.

        One worker, or one job while no pool runs yet, runs here. A pool whose worker dies (the
        parser crashed, the kernel killed it) is replaced; the jobs still open then run one at a
        time so the file that kills a worker is found and reported, and the others are analysed.
        """
        if self.workers <= 1 or (len(jobs) <= 1 and self._pool is None):
            for job in jobs:
                on_done(analyse(job, self.config, self.known))
            return
        if self._pool is None:
            self._pool = _new_pool(self.config, self.known, min(self.workers, len(jobs)))
        ordered = sorted(jobs, key=lambda j: len(j.data), reverse=True)  # big files first: even finish
        finished: set[int] = set()

        def done(outcome: Done) -> None:
            finished.add(outcome.index)
            on_done(outcome)

        try:
            pending = _collect(self._pool, ordered, done)
        except BrokenProcessPool:  # a worker died while the pool sat idle
            pending = [job for job in ordered if job.index not in finished]
        if pending:
            self.__exit__(None)
            _recover(pending, self.config, self.known, self.workers, on_done)


def run_jobs(
    jobs: Sequence[Job], config: Config, known: frozenset[str], workers: int, on_done: Callable[[Done], None]
) -> None:
    """`Workers.run` once, with processes that end when it returns."""
    with Workers(config, known, workers) as pool:
        pool.run(jobs, on_done)


def _recover(
    pending: list[Job], config: Config, known: frozenset[str], workers: int, on_done: Callable[[Done], None]
) -> None:
    """Run the jobs a dead worker left open: in fresh pools, a batch at a time, suspects alone."""
    _preload()  # forks of this process then start with the parser loaded
    while pending:
        suspects, pending = _run_pool(pending, config, known, workers, on_done, batch=workers)
        for job in suspects:
            alone, _ = _run_pool([job], config, known, 1, on_done, batch=1)
            if alone:
                on_done(_crashed(job))


def _new_pool(config: Config, known: frozenset[str], workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker,
                               initargs=(config, known, os.getpid()))


def _run_pool(
    jobs: Sequence[Job],
    config: Config,
    known: frozenset[str],
    workers: int,
    on_done: Callable[[Done], None],
    batch: int | None,
) -> tuple[list[Job], list[Job]]:
    """Run jobs in a fresh pool, all at once or `batch` at a time.

    Returns:
        The jobs in flight when a worker died, and the jobs not submitted yet.
    """
    queue = list(jobs)
    with _new_pool(config, known, workers) as pool:
        try:
            while queue:
                chunk, queue = (queue, []) if batch is None else (queue[:batch], queue[batch:])
                broken = _collect(pool, chunk, on_done)
                if broken:
                    return broken, queue
        except BaseException:
            _stop_pool(pool)
            raise
    return [], []


def _collect(pool: ProcessPoolExecutor, chunk: Sequence[Job], on_done: Callable[[Done], None]) -> list[Job]:
    with lifecycle.sigint_blocked():  # the first submit forks the workers
        futures: dict[Future[Done], Job] = {pool.submit(_work, job): job for job in chunk}
    broken: list[Job] = []
    for future in as_completed(futures):
        job = futures[future]
        try:
            outcome = future.result()
        except BrokenProcessPool:
            broken.append(job)
            continue
        except Exception as e:  # noqa: BLE001 - e.g. a result that does not pickle
            outcome = Done(job.index, _failed(job, f"{type(e).__name__}: {e}"), (), (), analysed=False)
        on_done(outcome)
    return broken


def _preload() -> None:
    """Load the parser, the analysis and the rules (what a worker needs) into this process."""
    import exportlint.analysis
    import exportlint.engine
    import exportlint.source
    import exportlint.suppress

    del exportlint.analysis, exportlint.source, exportlint.suppress
    exportlint.engine.selected_rules(Config())


def _context() -> multiprocessing.context.BaseContext:
    # NOTE: fork starts workers in milliseconds with exportlint already imported; elsewhere
    # (macOS, Windows) the platform default is the safe choice.
    return multiprocessing.get_context("fork" if sys.platform == "linux" else None)


_worker_config: Config | None = None
_worker_known: frozenset[str] = frozenset()


def _start_worker(config: Config, known: frozenset[str], parent: int) -> None:
    global _worker_config, _worker_known
    lifecycle.worker_signals()
    lifecycle.die_with_parent(parent)
    _worker_config, _worker_known = config, known


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool at once (an interrupt, an error): kill its workers, drop the queued jobs."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(1.0)


def _work(job: Job) -> Done:
    assert _worker_config is not None
    return analyse(job, _worker_config, _worker_known)


def _failed(job: Job, why: str) -> FileResult:
    return FileResult(job.display, error=f"{job.display}: internal error while analysing ({why}); please report it")


def _crashed(job: Job) -> Done:
    why = "the analysing process died (crash or out of memory)"
    return Done(job.index, _failed(job, why), (), (), analysed=False)
