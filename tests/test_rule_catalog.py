"""Every code exportlint can report is documented once and reachable through `exportlint rule`."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import get_args

import pytest

from exportlint.cli import main
from exportlint.model import Verdict
from exportlint.probe_model import ChildState, StepStatus
from exportlint.rules import ALL_RULES
from exportlint.rules.catalog import CATALOG, code_for, find_doc, probe_hint, suggest

PACKAGE = Path(__file__).resolve().parents[1] / "exportlint"
_SLUG = re.compile(r"[a-z]+(-[a-z]+)+")


def _probe_slugs() -> set[str]:
    """Kebab-case literals of probe/: the slugs its emitters (events, blames, deaths) use."""
    states = {*get_args(ChildState), *get_args(StepStatus), *get_args(Verdict)}
    found = set()
    for path in (PACKAGE / "probe").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SLUG.fullmatch(node.value):
                found.add(node.value)
    return found - states


def _literal_findings() -> set[tuple[str, str]]:
    """(code, slug) of every `Finding("EXL…", "slug", …)` written out in the package."""
    pairs = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Finding"
                    and len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                pairs.add((node.args[0].value, node.args[1].value))
    return pairs


def _emitted() -> set[str]:
    from exportlint.suppress import UNUSED_IGNORE

    slugs = {r.name for r in ALL_RULES} | _probe_slugs() | {UNUSED_IGNORE.name}
    return slugs | {slug for _, slug in _literal_findings()}


def test_the_scan_emitters_are_found() -> None:
    # The collectors above must see what they are meant to: the probe's own codes and EXL000.
    assert {"eager-failure", "probe-timeout", "export-error", "output-divergence"} <= _probe_slugs()
    assert ("EXL000", "internal-error") in _literal_findings()


@pytest.mark.parametrize("slug", sorted(_emitted()))
def test_every_emitted_code_is_documented_and_reachable(slug: str, capsys: pytest.CaptureFixture[str]) -> None:
    doc = find_doc(slug)
    assert doc is not None, f"{slug} is reported but has no catalogue entry"
    for section in ("## What it does", "## Why is this bad?"):
        assert section in doc.doc, f"{slug}: missing {section}"
    assert "## Example" in doc.doc or "## What to do" in doc.doc
    for key in (doc.name, doc.code, doc.code.lower()):
        assert main(["rule", key]) == 0
        assert capsys.readouterr().out.startswith(f"# {doc.name} ({doc.code})\n")


def test_literal_findings_use_the_catalogue_codes() -> None:
    for code, slug in _literal_findings():
        assert code_for(slug) == code


def test_catalogue_codes_and_names_are_unique_and_well_formed() -> None:
    assert len({d.code for d in CATALOG}) == len({d.name for d in CATALOG}) == len(CATALOG)
    assert [d.code for d in CATALOG] == sorted(d.code for d in CATALOG)
    assert all(re.fullmatch(r"EXL\d{3}", d.code) and _SLUG.fullmatch(d.name) for d in CATALOG)
    static = {r.code for r in ALL_RULES}
    assert {d.code for d in CATALOG if d.kind == "static"} == static
    assert all(d.code.startswith("EXL9") for d in CATALOG if d.kind == "probe only")


def test_probe_findings_take_the_static_rule_code_and_probe_hint() -> None:
    for rule in ALL_RULES:
        assert code_for(rule.name) == rule.code
        assert probe_hint(rule.name) == rule.probe_hint != ""
    assert probe_hint("probe-timeout").startswith("raise --timeout")
    with pytest.raises(KeyError):
        code_for("no-such-rule")


def test_rules_lists_every_code_with_its_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["kind"]) for r in rows] == [(d.code, d.kind) for d in CATALOG]
    assert {r["kind"] for r in rows} == {"static", "probe only", "suppression", "internal"}
    assert [r["code"] for r in rows if not r["hint"].strip()] == []  # every code says what to do


def test_a_misspelt_rule_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "dynamic-brnch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean `dynamic-branch`?" in err
    assert suggest("EXL9O1") == "EXL901"
    assert suggest("completely-different") is None
    assert main(["rule", "completely-different"]) == 2
    assert "exportlint rules" in capsys.readouterr().err
