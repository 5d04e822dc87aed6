"""The scan command's ruff-like conventions through main(argv): what it says when there is nothing to
scan, -q, stdin, --show-files, --config KEY=VALUE, flags for config keys, gitlab and junit reports."""

from __future__ import annotations

import io
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exportlint.cli import main

# line 7: `if` on tensor data (error); line 9: on a forward flag (warning).
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
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", "--no-cache", "--color", "never", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_empty_directory_says_so_and_exits_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "empty").mkdir()
    code, out, err = _run(capsys, "empty")
    assert (code, err) == (0, "warning: no Python files found under empty\n")
    assert out == "0 errors, 0 warnings, 0 info in 0 files\n"


def test_fully_excluded_directory_names_the_reason(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.exportlint]\nexclude = ["pkg"]\n')
    code, _, err = _run(capsys, "pkg")
    assert code == 0 and err.startswith("warning: every Python file under pkg is excluded")


def test_a_named_file_that_is_not_python_is_skipped_with_a_warning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "notes.txt").write_text("hello\n")
    (project / "tool").write_text("#!/usr/bin/env python3\n" + SOURCE)
    code, out, err = _run(capsys, "notes.txt", "tool", "--format", "concise")
    assert code == 1
    assert err == "warning: notes.txt: not a Python file (.py, .pyi or a python #! line), skipped\n"
    assert [line.split(":")[0] for line in out.splitlines()] == ["tool", "tool"]


def test_quiet_prints_the_findings_and_nothing_else(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, loud, _ = _run(capsys, "pkg")
    code, quiet, err = _run(capsys, "pkg", "-q")
    assert code == 1 and err == ""
    assert "`if` on tensor values" in quiet and "hint:" in quiet
    assert "Findings by rule" in loud and "Findings by rule" not in quiet
    assert quiet == loud[:loud.index("\nFindings by rule")]


def test_unreadable_files_go_to_stderr_in_the_rich_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "broken.py").write_text("def f(:\n")
    code, out, err = _run(capsys, "pkg")
    assert code == 1 and err == "error: pkg/broken.py:1:7: syntax error: invalid syntax\n"
    assert "syntax error" not in out and "(1 could not be read)" in out


def test_stdin_is_scanned_under_its_stdin_filename(project: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SOURCE.encode())))
    code, out, _ = _run(capsys, "-", "--stdin-filename", "pkg/other.py", "--format", "concise")
    assert code == 1
    assert [line.split(": ")[0:2] for line in out.splitlines()] == [["pkg/other.py:7:12", "error"],
                                                                    ["pkg/other.py:9:12", "warning"]]
    code, _, err = _run(capsys, "-", "pkg")
    assert code == 2 and "cannot be combined" in err


def test_show_files_lists_what_the_scan_reads(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "skip_me.py").write_text("x = 1\n")
    (project / "pkg" / "notes.md").write_text("# no\n")
    (project / "pyproject.toml").write_text('[tool.exportlint]\nextend-exclude = ["skip_*"]\n')
    code, out, _ = _run(capsys, "pkg", "--show-files")
    assert (code, out) == (0, "pkg/m.py\n")


def test_config_key_value_overrides_the_file_and_flags_override_both(project: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text('[tool.exportlint]\nexporter = "dynamo"\n')
    assert main(["config", "--config", 'exporter = "legacy"', "--config", "jobs = 1"]) == 0
    out = capsys.readouterr().out
    assert 'exporter = "legacy"' in out and "# --config exporter" in out and "jobs = 1" in out
    assert main(["config", "--config", 'exporter = "legacy"', "--exporter", "both"]) == 0
    assert 'exporter = "both"' in capsys.readouterr().out
    code, _, err = _run(capsys, "pkg", "--config", 'exportr = "legacy"')
    assert code == 2 and err.startswith("exportlint: --config exportr: unknown key `exportr` (did you mean `exporter`?)")
    code, _, err = _run(capsys, "pkg", "--config", "a.toml", "--config", "b.toml")
    assert code == 2 and "one configuration file at most" in err


def test_every_config_key_a_flag_can_set_is_accepted_by_the_file(project: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """What `exportlint config` prints is a valid config file again (no key the file would reject)."""
    assert main(["config", "--extend-select", "EXL101", "--cache-dir", "cache", "--report-unused-ignores"]) == 2
    capsys.readouterr()  # `config` has no --report-unused-ignores: a usage error
    assert main(["config", "--extend-select", "EXL101", "--cache-dir", "cache"]) == 0
    printed = capsys.readouterr().out
    (project / "exportlint.toml").write_text(printed.replace("[tool.exportlint]\n", ""))
    assert main(["config"]) == 0
    again = capsys.readouterr().out
    assert 'extend-select = ["EXL101"]' in again and f'cache-dir = {json.dumps(str(project / "cache"))}' in again
    assert "report-unused-ignores = false" in again


def test_cache_dir_flag_puts_the_cache_there(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "pkg", "--cache-dir", "elsewhere", "-q"]) == 1
    assert (project / "elsewhere").is_dir() and not (project / ".exportlint_cache").exists()


def test_output_format_is_an_alias_of_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "pkg", "--output-format", "concise") == _run(capsys, "pkg", "--format", "concise")


def test_statistics_refuses_formats_it_cannot_write(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "pkg", "--statistics", "--format", "sarif")
    assert (code, out) == (2, "") and "cannot be combined with --format sarif" in err


def test_gitlab_code_quality(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "pkg", "--format", "gitlab")
    issues = json.loads(out)
    assert code == 1
    assert [(i["check_name"], i["severity"], i["location"]["positions"]["begin"]["line"]) for i in issues] == [
        ("exportlint/dynamic-branch", "major", 7), ("exportlint/dynamic-branch", "minor", 9)]
    assert all(i["location"]["path"] == "pkg/m.py" and len(i["fingerprint"]) == 64 for i in issues)
    # Code moving down keeps the fingerprints (they leave the line out).
    (project / "pkg" / "m.py").write_text("\n\n" + SOURCE)
    moved = json.loads(_run(capsys, "pkg", "--format", "gitlab")[1])
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in issues]
    assert [i["location"]["positions"]["begin"]["line"] for i in moved] == [9, 11]


def test_junit_has_a_failure_per_error_and_warning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pkg" / "broken.py").write_text("def f(:\n")
    code, out, _ = _run(capsys, "pkg", "--format", "junit")
    root = ET.fromstring(out)
    assert code == 1
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "2", "1")
    failures = root.findall(".//failure")
    assert [(f.get("type"), f.text.split(": ")[0]) for f in failures] == [("error", "pkg/m.py:7:12"),
                                                                         ("warning", "pkg/m.py:9:12")]
    assert root.find(".//error").get("message") == "pkg/broken.py:1:7: syntax error: invalid syntax"


def test_exclude_flags_skip_files_as_the_config_keys_do(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "vendor").mkdir()
    (project / "vendor" / "v.py").write_text(SOURCE)
    _, out, _ = _run(capsys, ".", "--format", "concise", "-q")
    assert {line.split(":")[0] for line in out.splitlines()} == {"pkg/m.py", "vendor/v.py"}
    _, out, _ = _run(capsys, ".", "--format", "concise", "-q", "--exclude", "vendor")
    assert {line.split(":")[0] for line in out.splitlines()} == {"pkg/m.py"}
    (project / "exportlint.toml").write_text('exclude = ["pkg"]\n')
    _, out, _ = _run(capsys, ".", "--format", "concise", "-q", "--extend-exclude", "vendor")
    assert out == ""
    _, out, _ = _run(capsys, ".", "--format", "concise", "-q", "--exclude", "vendor")
    assert {line.split(":")[0] for line in out.splitlines()} == {"pkg/m.py"}  # --exclude replaces the key
