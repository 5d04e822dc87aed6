"""Configuration: discovery, checked keys, CLI overrides, `exportlint config`, excludes and .gitignore."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exportlint.cli import main
from exportlint.config import find_config_file, resolve_config
from exportlint.pathfilter import glob_regex, matches_any

DATA_BRANCH = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
"""


def _scan_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(["scan", *argv, "--format", "json", "--no-cache"])
    return code, json.loads(capsys.readouterr().out)


def _project(root: Path, table: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[project]\nname = 'demo'\n\n[tool.exportlint]\n{table}\n")
    for name, text in (files or {"m.py": DATA_BRANCH}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_nearest_pyproject_with_a_table_wins_walking_up(tmp_path: Path) -> None:
    outer = _project(tmp_path / "outer", 'exporter = "legacy"')
    inner = outer / "pkg" / "sub"
    inner.mkdir(parents=True)
    (outer / "pkg" / "pyproject.toml").write_text("[project]\nname = 'no-table'\n")  # no [tool.exportlint]
    assert find_config_file(inner) == outer / "pyproject.toml"
    (outer / "pkg" / "exportlint.toml").write_text('exporter = "dynamo"\n')
    assert find_config_file(inner / "m.py") == outer / "pkg" / "exportlint.toml"
    resolved = resolve_config(inner)
    assert resolved.config.exporter == "dynamo"
    assert resolved.config.root == str(outer / "pkg")


def test_config_file_changes_the_scan_and_a_flag_overrides_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path, 'severity = { dynamic-branch = "info" }\nexporter = "legacy"')
    code, doc = _scan_json(capsys, [str(root)])
    assert code == 0  # the only finding was downgraded: exit status follows the override
    assert [f["severity"] for f in doc["findings"]] == ["info"]
    code, doc = _scan_json(capsys, [str(root), "--ignore", "dynamic-branch"])
    assert (code, doc["findings"]) == (0, [])


def test_exportlint_config_prints_values_and_their_sources(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, 'exporter = "legacy"\nselect = ["EXL1"]\njobs = 3')
    monkeypatch.chdir(root)
    assert main(["config", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    lines = {line.split(" = ")[0]: line for line in out.splitlines() if " = " in line and not line.startswith("#")}
    assert lines["exporter"].startswith('exporter = "legacy"') and lines["exporter"].endswith(str(root / "pyproject.toml"))
    assert lines["select"].startswith('select = ["EXL1"]')
    assert lines["jobs"].startswith("jobs = 2") and lines["jobs"].endswith("# --jobs")
    assert lines["timeout"].endswith("# default")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("selct = []", "unknown key `selct`"),
        ('exporter = "onnx"', "`exporter`: expected one of dynamo, legacy, both"),
        ('severity = { dynamic-branch = "fatal" }', "dynamic-branch: expected one of error, warning, info"),
        ('severity = { no-such-rule = "info" }', "unknown rule `no-such-rule`"),
        ('select = ["no-such-rule"]', "unknown rule `no-such-rule`"),
        ("jobs = -1", "`jobs`: expected a whole number >= 0"),
        ("timeout = 0", "`timeout`: expected a number of seconds > 0"),
        ('exclude = "build"', "`exclude`: expected a list of strings"),
        ("cache = 1", "`cache`: expected true or false"),
        ("[[", "invalid TOML"),
    ],
)
def test_bad_config_is_one_line_naming_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, expected: str
) -> None:
    root = _project(tmp_path, table)
    assert main(["scan", str(root), "--no-cache", "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    [line] = captured.err.strip().splitlines()
    assert str(root / "pyproject.toml") in line and expected in line


def test_bad_flag_value_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(DATA_BRANCH)
    assert main(["scan", str(tmp_path), "--select", "nope", "--no-cache"]) == 2
    assert "--select" in capsys.readouterr().err


def test_explicit_config_file_and_exportlint_toml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(DATA_BRANCH)
    custom = tmp_path / "ci" / "exportlint.toml"
    custom.parent.mkdir()
    custom.write_text('ignore = ["EXL101"]\n')
    code, doc = _scan_json(capsys, [str(tmp_path / "m.py"), "--config", str(custom)])
    assert (code, doc["findings"]) == (0, [])
    assert main(["scan", str(tmp_path), "--config", str(tmp_path / "missing.toml")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_exclude_extend_exclude_and_per_file_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {name: DATA_BRANCH for name in ("a.py", "gen/b_pb2.py", "vendor/c.py", "tests/d.py", "tests/sub/e.py")}
    table = ('exclude = ["*_pb2.py"]\nextend-exclude = ["vendor/"]\n'
             'per-file-ignores = { "tests/**" = ["dynamic-branch"] }')
    root = _project(tmp_path, table, files)
    _, doc = _scan_json(capsys, [str(root)])
    assert sorted(Path(f["path"]).name for f in doc["findings"]) == ["a.py"]
    assert doc["summary"]["files"] == 3  # a.py and the two test files were read; the rest excluded


def test_excluded_named_files_exit_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # pre-commit passes changed files by name: an excluded one must not fail the hook
    root = _project(tmp_path, 'exclude = ["legacy_*.py"]', {"legacy_model.py": DATA_BRANCH})
    monkeypatch.chdir(root)
    assert main(["scan", "legacy_model.py", "--no-cache", "--format", "concise"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore_is_respected_for_directories_not_for_named_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "", {"kept.py": DATA_BRANCH, "scratch/ignored.py": DATA_BRANCH})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("scratch/\n")
    _, doc = _scan_json(capsys, [str(root)])
    assert [Path(f["path"]).name for f in doc["findings"]] == ["kept.py"]
    _, doc = _scan_json(capsys, [str(root / "scratch" / "ignored.py")])
    assert len(doc["findings"]) == 1
    (root / "pyproject.toml").write_text("[tool.exportlint]\nrespect-gitignore = false\n")
    _, doc = _scan_json(capsys, [str(root)])
    assert len(doc["findings"]) == 2


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_a_directory_named_on_the_command_line_is_scanned_even_when_git_ignores_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pyenv is a git checkout whose .gitignore holds versions/: every installed package
    # (site-packages/sam3) is ignored by it, yet `exportlint scan .../site-packages/sam3` asks for it.
    root = _project(tmp_path, "", {"versions/site-packages/pkg/model.py": DATA_BRANCH,
                                   "versions/site-packages/pkg/other.py": DATA_BRANCH})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("/versions/\n")
    _, doc = _scan_json(capsys, [str(root)])
    assert doc["findings"] == []
    _, doc = _scan_json(capsys, [str(root / "versions" / "site-packages" / "pkg")])
    assert sorted(Path(f["path"]).name for f in doc["findings"]) == ["model.py", "other.py"]


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("*_pb2.py", "pkg/x_pb2.py", True),
        ("tests", "tests/a/b.py", True),
        ("tests", "src/tests/b.py", True),
        ("tests/*.py", "tests/a/b.py", False),
        ("tests/**", "tests/a/b.py", True),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("src/gen", "src/gen/x.py", True),
        ("src/gen", "src/generated/x.py", False),
        ("model_[ab].py", "model_b.py", True),
        ("model_[!ab].py", "model_b.py", False),
        ("m?.py", "m1.py", True),
    ],
)
def test_glob_matching(tmp_path: Path, pattern: str, path: str, hit: bool) -> None:
    assert matches_any(tmp_path / path, (pattern,), str(tmp_path)) is hit
    assert glob_regex(pattern) is glob_regex(pattern)  # compiled once


def test_readme_config_example_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    readme = Path(__file__).resolve().parents[1] / "README.md"
    blocks = re.findall(r"```toml\n(.*?)```", readme.read_text() if readme.exists() else "", re.DOTALL)
    examples = [b for b in blocks if "[tool.exportlint]" in b]
    assert examples, "the README shows a [tool.exportlint] example"
    for example in examples:
        (tmp_path / "pyproject.toml").write_text(example)
        monkeypatch.chdir(tmp_path)
        assert main(["config"]) == 0, capsys.readouterr().err
        assert str(tmp_path / "pyproject.toml") in capsys.readouterr().out


def test_a_named_config_file_is_never_silently_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ci.toml").write_text('exporter = "legacy"\n')
    assert main(["config", "--config", str(tmp_path / "ci.toml")]) == 0
    assert f'exporter = "legacy"              # {tmp_path / "ci.toml"}' in capsys.readouterr().out
    (tmp_path / "other.toml").write_text("[tool.black]\nline-length = 3\n")
    (tmp_path / "pyproject.toml").write_text("[tool.black]\n")
    for name, why in (("other.toml", "no [tool.exportlint] table, and `tool` is not an exportlint key"),
                      ("pyproject.toml", "no [tool.exportlint] table")):
        assert main(["config", "--config", str(tmp_path / name)]) == 2
        assert capsys.readouterr().err == f"exportlint: {tmp_path / name}: {why}\n"


def test_deeply_nested_toml_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.exportlint]\nselect = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["scan", str(tmp_path), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err == f"exportlint: {tmp_path / 'pyproject.toml'}: invalid TOML: nested too deeply to read\n"
