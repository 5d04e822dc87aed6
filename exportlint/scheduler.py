"""Scan a list of files: read and hash them, reuse cached results, analyse the rest in parallel.

A warm scan (nothing changed) reads each file, hashes it and reads its cache entry; it never
imports libcst. Files are analysed only when their bytes, the known nn.Module classes they
mention or the functions other files' forward code reaches in them have changed.
"""

from __future__ import annotations

import dataclasses

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exportlint.cache import Entry, ResultCache, file_digest
from exportlint.callgraph import follow_calls
from exportlint.config import Config
from exportlint.entrypoints import name_entry_points
from exportlint.injected import link_injected, resolve_injected_links
from exportlint.model import FileResult
from exportlint.modname import module_names
from exportlint.pool import Done, Job, Workers, worker_count
from exportlint.prepass import class_index, known_from_index
from exportlint.progress import NO_PROGRESS, Progress


@dataclass
class _File:
    """One scanned file: its bytes as read once, and what the cache holds for them."""

    path: Path
    display: str
    data: bytes | None = None
    error: str | None = None
    key: str = ""
    entry: Entry | None = None
    names: tuple[str, ...] | None = None

    @property
    def classes(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if self.entry is not None:
            return self.entry.classes
        return class_index(self.data.decode("utf-8-sig", errors="replace")) if self.data is not None else ()


@dataclass
class _Scan:
    """The state of one scan: files, known module classes, cache and results."""

    files: list[_File]
    config: Config
    cache: ResultCache | None
    progress: Progress
    known: frozenset[str] = frozenset()
    results: list[FileResult | None] = field(default_factory=list)
    workers: Workers | None = None


def scan_files(files: Sequence[Path], config: Config, cache_dir: Path | None, progress: Progress = NO_PROGRESS) -> list[FileResult]:
    """Results for `files`, in order.

    Args:
        files: the files to scan (already discovered and filtered).
        config: the effective configuration.
        cache_dir: the `.exportlint_cache` directory, or None to neither read nor write one.
        progress: told how many files need analysing and when each is done.
    """
    cache = ResultCache.open(cache_dir, config) if cache_dir is not None else None
    scan = _Scan([_read(p) for p in files], config, cache, progress)
    _load_entries(scan)
    scan.known = known_from_index(f.classes for f in scan.files)
    with Workers(config, scan.known, worker_count(config.jobs)) as workers:
        scan.workers = workers
        _first_pass(scan)
        results = _follow_calls(scan)
    every_rule = not (config.select or config.ignore or config.per_file_ignores)
    paths, texts = [f.path for f in scan.files], [f.data for f in scan.files]
    results = link_injected(results, paths, texts, count=every_rule)
    return name_entry_points(_resolved_links(scan, results, paths, texts), config.entry_points)


def _resolved_links(scan: _Scan, results: list[FileResult], paths: list[Path], texts: list[bytes | None]
                    ) -> list[FileResult]:
    """The results with their links resolved across files, from the cache when this exact state
    of the tree was resolved before (resolving reads other files, so a warm scan would pay it)."""
    key = _plan_key(scan)
    cached = scan.cache.load_links(key) if scan.cache is not None and key else None
    if cached is not None and all(0 <= i < len(results) for i in cached):
        return [dataclasses.replace(r, links=cached.get(i, ())) if r.links or i in cached else r
                for i, r in enumerate(results)]
    resolved = resolve_injected_links(results, paths, texts)
    if scan.cache is not None and key:
        scan.cache.store_links(key, {i: r.links for i, r in enumerate(resolved) if r.links})
    return resolved


def _read(path: Path) -> _File:
    display = str(path)
    try:
        return _File(path, display, data=path.read_bytes())
    except OSError as e:
        return _File(path, display, error=f"{display}: cannot read file ({e.strerror or e})")


def _load_entries(scan: _Scan) -> None:
    if scan.cache is None:
        return
    for f, module in zip(scan.files, module_names([f.path for f in scan.files])):
        if f.data is None:
            continue
        f.key = ResultCache.key(f.display, module, file_digest(f.data))
        f.entry = scan.cache.load(f.key)
        if f.entry is not None:
            f.names = f.entry.names


def _first_pass(scan: _Scan) -> None:
    scan.results = [None] * len(scan.files)
    jobs: list[Job] = []
    for i, f in enumerate(scan.files):
        if f.data is None:
            scan.results[i] = FileResult(f.display, error=f.error)
            continue
        cached = _cached(scan, f, frozenset())
        if cached is not None:
            scan.results[i] = cached
        else:
            jobs.append(Job(i, f.path, f.display, f.data))
    scan.progress.start(len(scan.files), len(jobs))
    try:
        assert scan.workers is not None
        scan.workers.run(jobs, lambda done: _done(scan, done))
    finally:
        scan.progress.finish()


def _cached(scan: _Scan, f: _File, roots: frozenset[str]) -> FileResult | None:
    if f.entry is None or f.names is None:
        return None
    return f.entry.result(sorted(scan.known.intersection(f.names)), sorted(roots))


def _done(scan: _Scan, done: Done, roots: frozenset[str] = frozenset()) -> None:
    f = scan.files[done.index]
    scan.results[done.index] = done.result
    scan.progress.advance(f.display)
    if scan.cache is None or not done.analysed or f.data is None:
        return
    if f.entry is None:
        f.entry = Entry(f.classes, done.names, [])
        f.names = done.names
    scan.cache.store(f.key, f.entry, done.known, sorted(roots), done.result)


def _follow_calls(scan: _Scan) -> list[FileResult]:
    """Re-analyse the functions forward code in other files reaches, as the call graph says.

    The roots each file ended up with are recorded for this exact state of the tree (every
    file's cache key and the known module classes), so a warm scan replays them from the cache
    without building the graph.
    """
    results = [r or FileResult(f.display, error=f"{f.display}: not analysed") for r, f in zip(scan.results, scan.files)]
    key = _plan_key(scan)
    plan = scan.cache.load_plan(key) if scan.cache is not None and key else None
    if plan is not None:
        replayed = [_cached(scan, scan.files[i], frozenset(roots)) for i, roots in plan.items()]
        if all(r is not None for r in replayed):
            for i, result in zip(plan, replayed):
                results[i] = result  # type: ignore[assignment]
            return results
    asked: dict[int, list[str]] = {}
    by_path = {f.path: i for i, f in enumerate(scan.files)}

    def rescan(path: Path, roots: frozenset[str]) -> FileResult:
        asked[by_path[path]] = sorted(roots)
        return _rescan(scan, by_path[path], roots)

    results = follow_calls(results, [f.path for f in scan.files], rescan)
    if scan.cache is not None and key:
        scan.cache.store_plan(key, asked)
    return results


def _plan_key(scan: _Scan) -> str | None:
    if any(not f.key for f in scan.files):
        return None
    text = "\n".join([*(f.key for f in scan.files), *sorted(scan.known)])
    return file_digest(text.encode())


def _rescan(scan: _Scan, index: int, roots: frozenset[str]) -> FileResult:
    """Analyse a file again with extra root functions (reached from forward code elsewhere)."""
    f = scan.files[index]
    cached = _cached(scan, f, roots)
    if cached is not None or f.data is None:
        return cached or FileResult(f.display, error=f.error)
    finished: list[Done] = []
    assert scan.workers is not None
    scan.workers.run([Job(index, f.path, f.display, f.data, roots)], finished.append)
    _done(scan, finished[0], roots)
    return finished[0].result


def cache_directory(paths: Sequence[Path], config: Config) -> Path | None:
    """Where the cache of a scan of `paths` lives; None when the config turns it off.

    A relative `cache-dir` is taken from the project root (the config file's directory), or
    else from the deepest directory holding every scanned path.
    """
    if not config.cache:
        return None
    directory = Path(config.cache_dir)
    if directory.is_absolute():
        return directory
    if config.root:
        return Path(config.root) / directory
    folders = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths] or [os.getcwd()]
    return Path(os.path.commonpath(folders)) / directory
