"""The report layer reads model types only: nothing in report/ imports probe/, fixers/ or verify/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "exportlint"
_ABOVE = ("exportlint.probe", "exportlint.fixers", "exportlint.verify")


def _imported(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PACKAGE / "report").rglob("*.py")), ids=lambda p: p.name)
def test_report_modules_import_no_layer_above(path: Path) -> None:
    bad = {m for m in _imported(path) if m in _ABOVE or m.startswith(tuple(f"{a}." for a in _ABOVE))}
    assert not bad, f"{path.relative_to(PACKAGE)} imports {sorted(bad)}"


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from exportlint.probe.report import x\n")
    assert "exportlint.probe.report" in _imported(sample)


def test_probe_json_renders_model_reports() -> None:
    import json

    from exportlint.probe_model import Parity, ProbeReport, Step
    from exportlint.report.probe_json import render_probe_json

    report = ProbeReport("m.py:make", steps=(Step("eager", "ok", 0.25),),
                         parity=(Parity("dynamo", "example", False, float("inf"), 0.5),))
    doc = json.loads(render_probe_json([report, ProbeReport("n.py:make", error="n.py:make: boom")]))
    assert doc["targets"][0]["parity"][0]["max_abs"] is None  # JSON has no Infinity
    assert doc["summary"] == {"targets": 2, "failed_targets": 1, "findings": 0, "by_severity": {}, "by_verdict": {}}
    assert doc["errors"] == [{"target": "n.py:make", "message": "n.py:make: boom"}]
