"""`exportlint scan --probe`: static findings judged by the real exporters, through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportlint.cli import main

CASE = Path(__file__).parent / "probe_cases" / "data_dependent_if.py"

pytestmark = pytest.mark.ort


def test_static_error_is_confirmed_and_probe_findings_join_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(CASE), "--probe", f"{CASE}:make", "--format", "json", "--no-cache"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    static = [f for f in doc["findings"] if f["origin"] == "static"]
    probe = [f for f in doc["findings"] if f["origin"] == "probe"]
    assert [(f["rule"], f["line"], f["verdict"]) for f in static] == [("dynamic-branch", 18, "confirmed")]
    assert {(f["rule"], f["line"]) for f in probe} == {("dynamic-branch", 18)}
    assert {f["exporter"] for f in probe} <= {"dynamo", "legacy"}
    assert all(f["evidence"] for f in probe)


def test_a_target_that_cannot_load_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(CASE), "--probe", f"{CASE}:no_such_factory", "--no-cache", "--color", "never"])
    out = capsys.readouterr()
    assert code == 1
    assert "no_such_factory" in out.out + out.err
    assert "Traceback" not in out.out + out.err
