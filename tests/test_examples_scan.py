"""`exportlint scan` on the bundled examples reports every expected site with its measured severity."""

from __future__ import annotations

from pathlib import Path

import pytest
from expected_sites import CLEAN, SITES, Site

from exportlint.config import Config
from exportlint.scan import scan_paths
from exportlint.model import Finding

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def findings() -> dict[str, list[Finding]]:
    results = scan_paths([ROOT / "examples"], Config(cache=False))
    assert [r.error for r in results if r.error] == []
    by_path: dict[str, list[Finding]] = {}
    for r in results:
        rel = Path(r.path).resolve().relative_to(ROOT).as_posix()
        by_path[rel] = list(r.findings)
    return by_path


def _line_of(path: str, snippet: str) -> int:
    lines = (ROOT / path).read_text().splitlines()
    [line] = [i + 1 for i, text in enumerate(lines) if snippet in text]
    return line


@pytest.mark.parametrize("site", SITES, ids=lambda s: f"{Path(s.path).stem}:{s.rule}:{s.snippet[:30]}")
def test_site_is_reported_with_its_measured_severity(findings: dict[str, list[Finding]], site: Site) -> None:
    line = _line_of(site.path, site.snippet)
    here = [f for f in findings[site.path] if f.location.line == line]
    assert site.rule in {f.rule for f in here}, f"{site.rule} not reported on line {line}: {[f.rule for f in here]}"
    severities = {f.severity for f in here if f.rule == site.rule}
    assert severities == {site.severity}, f"line {line}: {severities} (measured: {site.why})"


@pytest.mark.parametrize(("path", "snippet"), CLEAN, ids=lambda v: str(v)[:40])
def test_clean_line_has_no_error(findings: dict[str, list[Finding]], path: str, snippet: str) -> None:
    line = _line_of(path, snippet)
    errors = [f"{f.rule}: {f.message}" for f in findings[path] if f.location.line == line and f.severity == "error"]
    assert errors == []


def test_clean_block_has_no_error_at_all(findings: dict[str, list[Finding]]) -> None:
    assert [f for f in findings["examples/other/clean_block.py"] if f.severity == "error"] == []
