"""Probe findings name the same `Class.method` as static findings."""

from __future__ import annotations

from pathlib import Path

from exportlint.probe.symbols import enclosing_symbol

SOURCE = """\
class Outer:
    def forward(self, x):
        def inner(y):
            return y
        return inner(x)


def helper(x):
    return x
"""


def test_enclosing_symbol_is_qualified(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(SOURCE)
    assert enclosing_symbol(str(path), 2) == "Outer.forward"
    assert enclosing_symbol(str(path), 4) == "Outer.forward.inner"
    assert enclosing_symbol(str(path), 5) == "Outer.forward"
    assert enclosing_symbol(str(path), 9) == "helper"
    assert enclosing_symbol(str(path), 1, "fallback") == "fallback"
    assert enclosing_symbol(str(tmp_path / "missing.py"), 3, "f") == "f"
