"""Every rule's VALID and INVALID examples, its doc sections, and the registry's integrity."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.report.docs import DOC_SECTIONS
from exportlint.rules import ALL_RULES
from exportlint.rules.base import Rule

RULES_DIR = Path(__file__).resolve().parents[1] / "exportlint" / "rules"


def _cases(kind: str) -> list[tuple[type[Rule], int]]:
    return [(rule, i) for rule in ALL_RULES for i, _ in enumerate(getattr(rule, kind))]


def _scan(tmp_path: Path, rule: type[Rule], code: str) -> list:
    path = tmp_path / "case.py"
    path.write_text(code)
    result = scan_file(path, Config(select=(rule.code,)))
    assert result.error is None, result.error
    return [f for f in result.findings if f.code == rule.code]


@pytest.mark.parametrize(("rule", "index"), _cases("VALID"), ids=lambda v: getattr(v, "name", str(v)))
def test_valid_gives_no_finding(tmp_path: Path, rule: type[Rule], index: int) -> None:
    findings = _scan(tmp_path, rule, rule.VALID[index].code)
    assert findings == [], [f"{f.location.line}: {f.message}" for f in findings]


@pytest.mark.parametrize(("rule", "index"), _cases("INVALID"), ids=lambda v: getattr(v, "name", str(v)))
def test_invalid_gives_its_finding_and_no_other(tmp_path: Path, rule: type[Rule], index: int) -> None:
    case = rule.INVALID[index]
    findings = _scan(tmp_path, rule, case.code)
    on_line = [f for f in findings if f.location.line == case.line]
    assert len(on_line) == 1, f"expected one {rule.name} finding on line {case.line}, got {on_line}"
    found = on_line[0]
    assert (found.location.column, found.severity) == (case.column, case.severity)
    assert found.message.startswith(case.message), found.message
    assert sorted({f.location.line for f in findings} - {case.line}) == sorted(case.also)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.name)
def test_doc_has_sections_in_order(rule: type[Rule]) -> None:
    doc = inspect.cleandoc(rule.__doc__ or "")
    positions = [doc.find(section) for section in DOC_SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.name} doc misses one of {DOC_SECTIONS}"
    assert positions == sorted(positions)
    assert "Use instead:" in doc
    assert rule.VALID and rule.INVALID


def test_registry_lists_every_rule_file_once() -> None:
    files = {p.stem for p in RULES_DIR.glob("*.py") if p.stem not in ("__init__", "base")}
    registered = {r.name.replace("-", "_") for r in ALL_RULES}
    assert files == registered
    codes = [r.code for r in ALL_RULES]
    assert len(codes) == len(set(codes))
    assert codes == sorted(codes)
    assert all(len(c) == 6 and c.startswith("EXL") and c[3:].isdigit() for c in codes)
