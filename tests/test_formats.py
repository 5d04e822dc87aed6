"""Output formats through the real CLI: concise, github, sarif (schema-validated), statistics, options."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest

from exportlint.cli import main
from exportlint.model import FileResult, Finding, Location
from exportlint.report.github import escape_data, escape_property, render_github
from exportlint.report.sarif import build_sarif
from exportlint.rules import ALL_RULES

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text())

# dynamic-branch: line 7 on tensor data (error), line 9 on a forward flag (warning).
SOURCE = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x, dac=False):
        if x.sum() > 0:
            x = x * 2
        if dac:
            x = x + 1
        return x
"""


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(SOURCE)
    (tmp_path / "pkg" / "broken.py").write_text("def f(:\n")
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", "pkg", "--no-cache", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_concise_is_one_line_per_finding_with_1_based_columns(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--format", "concise")
    lines = out.splitlines()
    assert code == 1 and err == ""
    assert lines[0] == "pkg/broken.py:1:7: error: syntax error: invalid syntax"  # the path said once
    assert lines[1].startswith("pkg/m.py:7:12: error: EXL101 [dynamic-branch] `if` on tensor values")
    assert lines[2].startswith("pkg/m.py:9:12: warning: EXL101 [dynamic-branch] ")
    assert len(lines) == 3 and "\x1b" not in out


def test_github_annotations(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--format", "github")
    lines = out.splitlines()
    assert code == 1 and len(lines) == 3
    assert lines[0] == "::error file=pkg/broken.py,line=1,col=7,title=exportlint::syntax error: invalid syntax"
    assert lines[1].startswith("::error file=pkg/m.py,line=7,col=12,endLine=7,endColumn=23,"
                               "title=EXL101 dynamic-branch::`if` on tensor values")
    assert "%0Ahint: " in lines[1]
    assert lines[2].startswith("::warning file=pkg/m.py,line=9,col=12,endLine=9,endColumn=15,")


def test_github_escaping_and_notice_level() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    finding = Finding("EXL101", "dynamic-branch", "x: 100%, y\nz", Location("dir,1/a:b.py", 3, 0, 3, 4), severity="info")
    [line] = render_github([FileResult("dir,1/a:b.py", (finding,))]).splitlines()
    assert line == ("::notice file=dir%2C1/a%3Ab.py,line=3,col=1,endLine=3,endColumn=5,"
                    "title=EXL101 dynamic-branch::x: 100%25, y%0Az")


def test_sarif_validates_against_the_official_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--format", "sarif", "--output-file", "out.sarif")
    assert code == 1 and out == "" and err == ""
    log = json.loads((project / "out.sarif").read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules[: len(ALL_RULES)]] == [r.code for r in ALL_RULES]
    branch = next(r for r in rules if r["id"] == "EXL101")
    assert branch["name"] == "dynamic-branch"
    assert branch["shortDescription"]["text"] == next(r.summary for r in ALL_RULES if r.code == "EXL101")
    assert branch["fullDescription"]["text"].startswith("Checks for `if`")
    assert branch["help"]["markdown"].startswith("# dynamic-branch (EXL101)")
    first, second = run["results"]
    assert (first["ruleId"], first["level"], second["level"]) == ("EXL101", "error", "warning")
    assert rules[first["ruleIndex"]]["id"] == "EXL101"
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "pkg/m.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 7, "startColumn": 12, "endLine": 7, "endColumn": 23}
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "M.forward"
    assert run["invocations"][0]["executionSuccessful"] is False
    loc["region"]["startColumn"] = 0  # the schema really checks: 0-based columns would be rejected
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert "broken.py" in run["invocations"][0]["toolExecutionNotifications"][0]["locations"][0][
        "physicalLocation"]["artifactLocation"]["uri"]


def test_sarif_help_uri_points_at_the_readme_rule_section() -> None:
    finding = Finding("EXL001", "unused-ignore", "unused", Location("/abs/a b.py", 1, 0, 1, 5), severity="warning")
    log = build_sarif([FileResult("/abs/a b.py", (finding,))], base_url="https://example.org/exportlint/")
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    driver = log["runs"][0]["tool"]["driver"]
    branch = next(r for r in driver["rules"] if r["id"] == "EXL101")
    assert branch["helpUri"] == "https://example.org/exportlint#dynamic-branch"
    assert all(urlparse(r["helpUri"]).scheme == "https" for r in driver["rules"] if "helpUri" in r)
    result = log["runs"][0]["results"][0]
    assert driver["rules"][result["ruleIndex"]] == {"id": "EXL001", "name": "unused-ignore",
                                                    "shortDescription": {"text": "unused ignore"}}
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "file:///abs/a%20b.py"}


def test_statistics_text_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--statistics")
    assert code == 1
    assert out.split() == ["2", "EXL101", "dynamic-branch", "(1", "error,", "1", "warning)"]
    _, out, _ = _run(capsys, "--statistics", "--format", "json")
    assert json.loads(out) == [{"code": "EXL101", "rule": "dynamic-branch", "count": 2,
                                "by_severity": {"error": 1, "warning": 1}}]
    (project / "pkg" / "n.py").write_text(SOURCE)
    code, out, _ = _run(capsys, "--statistics", "--format", "concise")
    assert out.split() == ["4", "EXL101", "dynamic-branch", "(2", "errors,", "2", "warnings)"]


def test_exit_zero_and_rich_output_file_without_colour(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--exit-zero", "--color", "always", "--output-file", "report.txt")
    assert code == 0 and out == ""
    text = (project / "report.txt").read_text()
    assert "dynamic-branch" in text and "\x1b[" not in text


def test_unwritable_output_file_is_a_usage_error(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--format", "sarif", "--output-file", "missing-dir/out.sarif")
    assert code == 2 and "--output-file" in err
