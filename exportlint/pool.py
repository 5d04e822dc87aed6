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

from exportlint.config import Config
from exportlint.model import FileResult
from exportlint.prepass import identifiers


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
    result = scan_file(job.path, config, used, job.display, job.roots, data=job.data)
    return Done(job.index, result, tuple(sorted(names)), tuple(sorted(used)))


def worker_count(jobs: int) -> int:
    """`--jobs` as a process count: 0 means every core this process may use."""
    if jobs > 0:
        return jobs
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_jobs(
    jobs: Sequence[Job], config: Config, known: frozenset[str], workers: int, on_done: Callable[[Done], None]
) -> None:
    """Analyse every job, calling `on_done` in this process as each finishes.

    One worker (or one job) runs here, without a pool. A pool whose worker dies (the parser
    crashed, the kernel killed it) is replaced; the jobs still open then run one at a time so
    the file that kills a worker is found and reported, and the others are analysed.
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            on_done(analyse(job, config, known))
        return
    workers = min(workers, len(jobs))
    ordered = sorted(jobs, key=lambda j: len(j.data), reverse=True)  # big files first: even finish
    suspects, pending = _run_pool(ordered, config, known, workers, on_done, batch=None)
    pending = suspects + pending
    if pending:
        _preload()  # forks of this process then start with the parser loaded
    while pending:
        suspects, pending = _run_pool(pending, config, known, workers, on_done, batch=workers)
        for job in suspects:
            alone, _ = _run_pool([job], config, known, 1, on_done, batch=1)
            if alone:
                on_done(_crashed(job))


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
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start_worker, initargs=(config, known)) as pool:
        try:
            while queue:
                chunk, queue = (queue, []) if batch is None else (queue[:batch], queue[batch:])
                broken = _collect(pool, chunk, on_done)
                if broken:
                    return broken, queue
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return [], []


def _collect(pool: ProcessPoolExecutor, chunk: Sequence[Job], on_done: Callable[[Done], None]) -> list[Job]:
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


def _start_worker(config: Config, known: frozenset[str]) -> None:
    global _worker_config, _worker_known
    _worker_config, _worker_known = config, known


def _work(job: Job) -> Done:
    assert _worker_config is not None
    return analyse(job, _worker_config, _worker_known)


def _failed(job: Job, why: str) -> FileResult:
    return FileResult(job.display, error=f"{job.display}: internal error while analysing ({why}); please report it")


def _crashed(job: Job) -> Done:
    why = "the analysing process died (crash or out of memory)"
    return Done(job.index, _failed(job, why), (), (), analysed=False)
