"""The result cache: warm scans reuse results, and nothing stale or damaged is ever reported."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

import exportlint.cache
import exportlint.engine
from exportlint.cache import ResultCache, cacheable, decode, encode, parse_document
from exportlint.config import Config
from exportlint.scan import scan_paths
from exportlint.model import FileResult, Finding, Location

CONFIG = Config(jobs=1)

BASE = """\
from torch import nn


class Block(nn.Module):
    def forward(self, x):
        return x
"""

LAYER = """\
from .base import Block


class Layer(Block):
    def forward(self, x):
        if x.sum() > 0:
            return x
        return -x
"""

OPS = """\
def gate(x):
    if x.max() > 0:
        return x
    return -x


def other(x):
    while x.sum() > 0:
        x = x - 1
    return x
"""

MODEL = """\
from torch import nn
from .ops import gate


class Net(nn.Module):
    def forward(self, x):
        return gate(x)
"""


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """A package: a module class, a subclass in another file, a forward calling into a helper file."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name, text in {"__init__.py": "", "base.py": BASE, "layer.py": LAYER, "ops.py": OPS, "model.py": MODEL}.items():
        (pkg / name).write_text(text)
    return pkg


@pytest.fixture()
def analysed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files analysed (not taken from the cache), in order."""
    seen: list[str] = []
    real = exportlint.engine.scan_file

    def spy(path: Path, *args: object, **kwargs: object) -> FileResult:
        seen.append(path.name)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exportlint.engine, "scan_file", spy)
    return seen


def findings(results: list[FileResult]) -> list[tuple[str, int, str, str]]:
    return sorted((Path(f.location.path).name, f.location.line, f.rule, f.severity) for r in results for f in r.findings)


def fresh(tree: Path, config: Config = CONFIG) -> list[tuple[str, int, str, str]]:
    return findings(scan_paths([tree], dataclasses.replace(config, cache=False)))


def entries(tree: Path) -> list[Path]:
    return [p for p in (tree / ".exportlint_cache").rglob("*") if p.is_file() and p.parent.name != "plans"
            and len(p.parent.name) == 2]


def test_warm_scan_analyses_nothing_and_reports_the_same(tree: Path, analysed: list[str]) -> None:
    cold = findings(scan_paths([tree], CONFIG))
    assert sorted(analysed) == ["__init__.py", "base.py", "layer.py", "model.py", "ops.py", "ops.py"]
    assert ("ops.py", 2, "dynamic-branch", "error") in cold and ("layer.py", 6, "dynamic-branch", "error") in cold
    analysed.clear()
    warm = findings(scan_paths([tree], CONFIG))
    assert analysed == []
    assert warm == cold == fresh(tree)
    assert (tree / ".exportlint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_touching_a_file_without_changing_it_reanalyses_nothing(tree: Path, analysed: list[str]) -> None:
    scan_paths([tree], CONFIG)
    analysed.clear()
    (tree / "ops.py").touch()
    scan_paths([tree], CONFIG)
    assert analysed == []


def test_an_edited_file_is_the_only_one_analysed_again(tree: Path, analysed: list[str]) -> None:
    scan_paths([tree], CONFIG)
    analysed.clear()
    (tree / "layer.py").write_text(LAYER + "\n# edited\n")
    results = findings(scan_paths([tree], CONFIG))
    assert analysed == ["layer.py"]
    assert results == fresh(tree)


def test_a_module_class_change_reanalyses_the_files_that_name_it(tree: Path, analysed: list[str]) -> None:
    scan_paths([tree], CONFIG)
    analysed.clear()
    (tree / "base.py").write_text(BASE.replace("(nn.Module)", "(object)"))
    results = findings(scan_paths([tree], CONFIG))
    assert sorted(analysed) == ["base.py", "layer.py"]  # Block is no module now, so Layer is not either
    assert results == fresh(tree)
    assert not any(name == "layer.py" for name, *_ in results)


def test_a_changed_call_reanalyses_the_callee_file(tree: Path, analysed: list[str]) -> None:
    scan_paths([tree], CONFIG)
    analysed.clear()
    (tree / "model.py").write_text(MODEL.replace("gate", "other"))
    results = findings(scan_paths([tree], CONFIG))
    assert analysed == ["model.py", "ops.py"]
    assert results == fresh(tree)
    assert [(n, line) for n, line, *_ in results if n == "ops.py"] == [("ops.py", 8)]


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "garbage", "other-key"])
def test_damaged_entries_are_misses_never_wrong_findings(tree: Path, analysed: list[str], damage: str) -> None:
    expected = findings(scan_paths([tree], CONFIG))
    files = entries(tree)
    assert len(files) == 5
    for i, path in enumerate(files):
        raw = path.read_bytes()
        if damage == "flip":  # edits that still parse as JSON: only the checksum can tell
            raw = raw.replace(b'"severity":"error"', b'"severity":"info"').replace(b'"names":"', b'"names":"Net ')
        elif damage == "truncate":
            raw = raw[: len(raw) // 2]
        elif damage == "empty":
            raw = b""
        elif damage == "garbage":
            raw = bytes(range(256)) * 4
        else:
            raw = files[(i + 1) % len(files)].read_bytes()
        path.write_bytes(raw)
    analysed.clear()
    assert findings(scan_paths([tree], CONFIG)) == expected
    assert len(analysed) == 6


def test_another_exportlint_version_does_not_read_these_entries(
    tree: Path, analysed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scan_paths([tree], CONFIG)
    monkeypatch.setattr(exportlint.cache, "_code_fingerprint", "another exportlint build")
    analysed.clear()
    results = findings(scan_paths([tree], CONFIG))
    assert len(analysed) == 6
    assert results == fresh(tree)


def test_another_config_does_not_read_these_entries(tree: Path, analysed: list[str]) -> None:
    both = findings(scan_paths([tree], CONFIG))
    analysed.clear()
    dynamo = dataclasses.replace(CONFIG, exporter="dynamo", severity={"dynamic-branch": "warning"})
    changed = findings(scan_paths([tree], dynamo))
    assert len(analysed) == 6
    analysed.clear()
    assert findings(scan_paths([tree], CONFIG)) == both  # the first config's entries are still there
    assert analysed == []
    assert changed == fresh(tree, dynamo) != both
    assert {sev for *_, sev in changed} == {"warning"}


def test_no_cache_neither_reads_nor_writes(tree: Path, analysed: list[str]) -> None:
    scan_paths([tree], dataclasses.replace(CONFIG, cache=False))
    assert not (tree / ".exportlint_cache").exists()


def test_an_unwritable_cache_still_scans(tree: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = dataclasses.replace(CONFIG, cache_dir=str(blocker / "cache"))
    assert findings(scan_paths([tree], config)) == fresh(tree)


def test_cache_dir_setting_is_used(tree: Path, tmp_path: Path) -> None:
    config = dataclasses.replace(CONFIG, cache_dir=str(tmp_path / "elsewhere"))
    scan_paths([tree], config)
    assert (tmp_path / "elsewhere" / ".gitignore").exists() and not (tree / ".exportlint_cache").exists()


def test_results_round_trip_through_json(examples_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(examples_dir, tmp_path / "examples")
    results = scan_paths([tmp_path / "examples"], dataclasses.replace(CONFIG, cache=False))
    from exportlint.rules import ALL_RULES

    assert {f.rule for r in results for f in r.findings} == {r.name for r in ALL_RULES}  # every kind of finding
    for result in results:
        assert decode(encode(result)) == result
        assert cacheable(result)


def test_out_of_memory_and_unknown_types_are_not_cached() -> None:
    where = Location("a.py", 1)
    assert cacheable(FileResult("a.py", (Finding("EXL000", "internal-error", "in rule x: KeyError: 1", where),)))
    oom = "internal error while building facts: MemoryError: "
    assert not cacheable(FileResult("a.py", (Finding("EXL000", "internal-error", oom, where),)))
    with pytest.raises(TypeError):
        encode(FileResult("a.py", calls=((object(),),)))  # type: ignore[arg-type]


def test_entries_are_checked_against_their_key_and_checksum(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    key = ResultCache.key("a.py", "a", "digest")
    cache._write(cache.path(key), {"key": key, "classes": [], "names": "", "variants": []})
    raw = cache.path(key).read_bytes()
    assert parse_document(raw, key) is not None
    assert parse_document(raw, "another key") is None
    assert parse_document(raw.replace(b'"names"', b'"nameZ"'), key) is None
    assert not [p for p in cache.path(key).parent.iterdir() if p.name.startswith(".exportlint-")]


def _resign(raw: bytes, body: bytes) -> bytes:
    """An entry with a new body and a checksum that matches it (as someone editing the cache would)."""
    header = raw.partition(b"\n")[0]
    magic = header[: len(header) - len(exportlint.cache._hash(b""))]
    return magic + exportlint.cache._hash(body).encode() + b"\n" + body


@pytest.mark.parametrize("shape", ["deep", "variants", "result-type", "location-type", "severity"])
def test_well_signed_entries_of_an_unexpected_shape_are_misses(tree: Path, analysed: list[str], shape: str) -> None:
    import json

    expected = findings(scan_paths([tree], CONFIG))
    for path in entries(tree):
        raw = path.read_bytes()
        doc = json.loads(raw.partition(b"\n")[2])
        if shape == "deep":
            body = b'{"key": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        else:
            if shape == "variants":
                doc["variants"] = [1]
            for variant in doc["variants"] if shape != "variants" else []:
                result = variant["result"]
                if shape == "result-type":
                    variant["result"] = {"$": "Location", "path": 3}
                for finding in result["findings"]:
                    if shape == "location-type":
                        finding["location"]["line"] = "7"
                    elif shape == "severity":
                        finding["severity"] = {"$": "Outcomes"}
            body = json.dumps(doc).encode()
        path.write_bytes(_resign(raw, body))
    analysed.clear()
    assert findings(scan_paths([tree], CONFIG)) == expected  # no crash, and re-analysed where it matters
    assert findings(scan_paths([tree], CONFIG)) == expected  # nor in the scan after
