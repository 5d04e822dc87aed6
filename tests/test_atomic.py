"""Atomic writes: the old file or the new one, never half, and no temporary file left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from exportlint.atomic import atomic_path, plain_mode, write_atomic


def test_a_write_replaces_the_file_with_a_plain_mode(tmp_path: Path) -> None:
    target = tmp_path / "out" / "m_export.py"
    assert write_atomic(target, "a\r\nb\n") == target
    assert target.read_bytes() == b"a\r\nb\n"  # newlines as given
    assert stat.S_IMODE(target.stat().st_mode) == plain_mode()
    write_atomic(target, b"new", mode=0o600)
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(os.listdir(target.parent)) == ["m_export.py"]


def test_an_interrupted_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        Path(tmp).write_bytes(b"half")
        assert Path(tmp).name.startswith(".exportlint-model.onnx-")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.onnx"]
