"""The CLI driven through main(argv): exit codes, formats, bad input, never running scanned code."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from exportlint.cli import main

DATA_BRANCH = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
"""

CLEAN = """\
import torch
from torch import nn


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])

    def forward(self, x, mask=None):
        for layer in self.layers:
            x = layer(x)
        if mask is not None:
            x = x * mask
        return torch.cat((x, x), dim=-1).view(x.shape[0], -1)
"""


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def test_error_finding_exits_1_and_json_has_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(DATA_BRANCH)
    code, doc = _json(capsys, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    assert code == 1
    [finding] = doc["findings"]
    expected_keys = {"rule", "code", "severity", "path", "line", "col", "end_line", "end_col", "symbol", "message", "hint"}
    assert expected_keys <= finding.keys()
    assert (finding["rule"], finding["severity"], finding["line"], finding["symbol"]) == ("dynamic-branch", "error", 7, "M.forward")
    assert doc["summary"]["by_severity"] == {"error": 1}


def test_exporter_choice_changes_severity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(DATA_BRANCH.replace("x.sum() > 0", "x.shape[0] > 1"))
    code, doc = _json(capsys, ["scan", str(tmp_path), "--format", "json", "--exporter", "legacy", "--no-cache"])
    assert code == 0
    assert [f["severity"] for f in doc["findings"]] == ["warning"]


def test_clean_module_has_no_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(CLEAN)
    code, doc = _json(capsys, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    assert code == 0
    assert [f for f in doc["findings"] if f["severity"] == "error"] == []


def test_bad_files_are_reported_and_the_scan_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n")
    (tmp_path / "latin1.py").write_bytes(b"x = '\xe9'\n")
    (tmp_path / "empty.py").write_text("")
    (tmp_path / "m.py").write_text(DATA_BRANCH)
    loop = tmp_path / "sub"
    loop.mkdir()
    os.symlink(tmp_path, loop / "back")
    code, doc = _json(capsys, ["scan", str(tmp_path), "--format", "json", "--no-cache"])
    assert code == 1
    messages = " | ".join(e["message"] for e in doc["errors"])
    assert "syntax error" in messages and "not UTF-8" in messages and "symlink loop" in messages
    assert [f["path"].endswith("m.py") for f in doc["findings"]] == [True]


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(tmp_path / "nope"), "--no-cache", "--color", "never"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"error: {tmp_path / 'nope'}: no such file or directory\n"
    assert "Traceback" not in captured.out and "no such file" not in captured.out


def test_scan_never_executes_the_scanned_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "executed"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n" + DATA_BRANCH)
    main(["scan", str(tmp_path), "--format", "json", "--no-cache"])
    capsys.readouterr()
    assert not marker.exists()


def test_rich_output_fits_80_columns_without_colour(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    (tmp_path / "m.py").write_text(DATA_BRANCH)
    main(["scan", str(tmp_path), "--no-cache"])
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "if x.sum() > 0:" in out and "^^^^^^^^^^^" in out


def test_rule_doc_by_slug_and_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "dynamic-branch"]) == 0
    by_slug = capsys.readouterr().out
    assert main(["rule", "exl101"]) == 0
    assert capsys.readouterr().out == by_slug
    assert by_slug.startswith("# dynamic-branch (EXL101)")
    assert main(["rule", "no-such-rule"]) == 2


def test_rules_json_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from exportlint.rules import ALL_RULES

    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows if r["kind"] == "static"] == [r.name for r in ALL_RULES]


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-such-flag"]) == 2


def test_readme_documents_every_rule() -> None:
    from exportlint.rules import ALL_RULES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    from exportlint.report.docs import readme_rule_section

    for rule in ALL_RULES:
        assert readme_rule_section(rule) in readme, f"README section of {rule.name} differs from its doc"
        assert f"| {rule.code} | [`{rule.name}`](#{rule.name}) |" in readme
