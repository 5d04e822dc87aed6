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
    assert static[0]["exporters"] == {"dynamo": "fails", "legacy": "wrong"}
    assert "data-dependent" in static[0]["evidence"].lower() or "guard" in static[0]["evidence"].lower()
    assert probe == []  # the probe's findings at that line are the confirmation, not a second entry


def test_probe_findings_take_the_scans_path_and_column_and_its_suppressions(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = CASE.read_text()
    (tmp_path / "case.py").write_text(source)
    assert main(["scan", "case.py", "--probe", "case.py:make", "--format", "json", "--no-cache",
                 "--select", "list-tensor-input"]) == 1  # the static rule that would match is off
    found = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["line"] == 18]
    assert [(f["origin"], f["path"], f["col"]) for f in found] == [
        ("probe", "case.py", 8)] * len(found) and found
    lines = source.splitlines()
    lines[17] += "  # exportlint: ignore[dynamic-branch]"
    (tmp_path / "case.py").write_text("\n".join(lines) + "\n")
    main(["scan", "case.py", "--probe", "case.py:make", "--format", "json", "--no-cache",
          "--select", "list-tensor-input"])
    assert [f for f in json.loads(capsys.readouterr().out)["findings"] if f["line"] == 18] == []


def test_a_target_that_cannot_load_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(CASE), "--probe", f"{CASE}:no_such_factory", "--no-cache", "--color", "never"])
    out = capsys.readouterr()
    assert code == 1
    assert "no_such_factory" in out.out + out.err
    assert "Traceback" not in out.out + out.err


def test_probe_alone_honours_suppression_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = CASE.read_text().splitlines()
    (tmp_path / "case.py").write_text("\n".join(lines) + "\n")
    main(["probe", "case.py:make", "--format", "json", "--depth", "0"])
    found = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["line"] == 18]
    assert found and {(f["path"], f["col"]) for f in found} == {("case.py", 8)}  # as scan gives them
    lines[17] += "  # exportlint: ignore[EXL101]"
    (tmp_path / "case.py").write_text("\n".join(lines) + "\n")
    main(["probe", "case.py:make", "--format", "json", "--depth", "0"])
    assert [f for f in json.loads(capsys.readouterr().out)["findings"] if f["line"] == 18] == []
