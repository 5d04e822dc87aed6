"""Paths a scan meets that are not plain files: FIFOs, broken links, directories it cannot list.
Each costs one line naming it, and the scan goes on; nothing blocks or raises."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exportlint.cli import main
from exportlint.config import find_config_file


def _scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["scan", "--no-cache", "--color", "never", "--format", "concise", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "ok.py").write_text("x = 1\n")
    return tmp_path


def test_a_fifo_in_a_directory_is_skipped_with_one_line(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tree / "pkg" / "x.py")  # reading it would block forever
    code, out, _ = _scan(capsys, "pkg")
    assert out.splitlines() == ["pkg/x.py: error: not a regular file (a FIFO), skipped"]
    assert code == 1


def test_a_fifo_named_on_the_command_line_is_skipped(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tree / "x.py")
    code, out, _ = _scan(capsys, "x.py", "pkg")
    assert out.splitlines() == ["x.py: error: not a regular file (a FIFO), skipped"]
    assert code == 1


def test_a_broken_link_is_named(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "pkg" / "gone.py").symlink_to(tree / "nowhere.py")
    _, out, _ = _scan(capsys, "pkg")
    assert out.splitlines() == ["pkg/gone.py: error: a broken symbolic link, skipped"]


def test_a_directory_that_cannot_be_listed_is_one_line(tree: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "pkg" / "secret").mkdir()
    (tree / "pkg" / "secret" / "hidden.py").write_text("x = 1\n")
    real_scandir = os.scandir

    def scandir(path: object = ".") -> object:  # what a directory without read permission does
        if str(path).endswith("secret"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    code, out, _ = _scan(capsys, "pkg")
    assert out.splitlines() == ["pkg/secret: error: cannot list this directory (Permission denied), skipped"]
    assert code == 1


def test_config_discovery_passes_over_a_folder_it_cannot_look_into(tree: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real_is_file = Path.is_file

    def is_file(self: Path) -> bool:
        if self.parent.name == "pkg":
            raise PermissionError(13, "Permission denied", str(self))
        return real_is_file(self)

    monkeypatch.setattr(Path, "is_file", is_file)
    (tree / "exportlint.toml").write_text('ignore = ["dynamic-branch"]\n')
    assert find_config_file(tree / "pkg") == tree / "exportlint.toml"
