"""Concurrent scans of one tree share its cache without ever reading half an entry."""

from __future__ import annotations

import dataclasses
import multiprocessing
import shutil
from pathlib import Path

from exportlint.cache import Entry, ResultCache
from exportlint.config import Config
from exportlint.scan import scan_paths
from exportlint.model import FileResult, Finding, Location

CONFIG = Config(jobs=1)


def _findings(tree: Path) -> list[tuple[str, int, str, str]]:
    results = scan_paths([tree], CONFIG)
    return sorted((Path(f.location.path).name, f.location.line, f.rule, f.severity) for r in results for f in r.findings)


def test_concurrent_scans_agree_with_a_fresh_scan(examples_dir: Path, tmp_path: Path) -> None:
    tree = tmp_path / "sam3_like"
    shutil.copytree(examples_dir / "sam3_like", tree)
    fresh = sorted((Path(f.location.path).name, f.location.line, f.rule, f.severity)
                   for r in scan_paths([tree], dataclasses.replace(CONFIG, cache=False)) for f in r.findings)
    assert {rule for _, _, rule, _ in fresh} >= {"dynamic-branch", "dynamic-loop", "dict-access",
                                                  "variable-length-cat", "list-tensor-input"}
    with multiprocessing.get_context("fork").Pool(3) as pool:
        assert pool.map(_findings, [tree] * 3) == [fresh] * 3
        assert pool.map(_findings, [tree] * 3) == [fresh] * 3  # warm, from what the others wrote


def _result(writer: int, round_: int) -> FileResult:
    where = Location("a.py", round_ + 1, writer)
    return FileResult("a.py", (Finding("EXL101", "dynamic-branch", "x" * 5000, where),), module="a")


def _write(args: tuple[Path, str, int]) -> int:
    directory, key, writer = args
    cache = ResultCache(directory)
    for round_ in range(150):
        entry = Entry((("Net", ("nn.Module",)),), ("Net", "nn"), [])
        cache.store(key, entry, [str(writer)], [], _result(writer, round_))
    return writer


def test_readers_never_see_a_half_written_entry(tmp_path: Path) -> None:
    key = ResultCache.key("a.py", "a", "0" * 40)
    cache = ResultCache(tmp_path)
    written = {(w, r): _result(w, r) for w in range(3) for r in range(150)}
    seen_entry = False
    with multiprocessing.get_context("fork").Pool(3) as pool:
        pending = pool.map_async(_write, [(tmp_path, key, w) for w in range(3)])
        while not pending.ready() or not seen_entry:
            entry = cache.load(key)
            assert entry is not None or not seen_entry, "an entry vanished or was read half-written"
            if entry is not None:
                seen_entry = True
                assert entry.classes == (("Net", ("nn.Module",)),)
                for writer in range(3):
                    result = entry.result([str(writer)], [])
                    assert result is None or result in written.values()
        assert sorted(pending.get()) == [0, 1, 2]
    final = cache.load(key)
    assert final is not None
    assert {final.result([str(w)], []) for w in range(3)} <= set(written.values())
    assert not [p for p in cache.path(key).parent.iterdir() if p.name.startswith(".exportlint-")]
