"""Reachability from forward crosses files of the scanned tree through the package call graph."""

from __future__ import annotations

from pathlib import Path

from exportlint.callgraph import qualify
from exportlint.config import Config
from exportlint.modname import module_name
from exportlint.scan import scan_paths

OPS = """\
import torch


def gate(x, threshold):
    if x.max() > threshold:
        return x * 2
    return x


def unused(x):
    if x.max() > 0:
        return x
    return x
"""

MODEL = """\
from torch import nn
from .ops import gate
from . import ops


class Net(nn.Module):
    def forward(self, x):
        return gate(x, 0.5) + ops.helper(x)
"""

HELPER = """\

def helper(x):
    while x.sum() > 0:
        x = x - 1
    return x
"""


def _package(tmp_path: Path) -> Path:
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "ops.py").write_text(OPS + HELPER)
    (pkg / "model.py").write_text(MODEL)
    return pkg


def test_functions_called_from_forward_in_another_file_are_checked(tmp_path: Path) -> None:
    _package(tmp_path)
    results = scan_paths([tmp_path], Config(cache=False))
    found = sorted((Path(f.location.path).name, f.location.line, f.symbol) for r in results for f in r.findings)
    assert found == [("ops.py", 5, "gate"), ("ops.py", 16, "helper")]


def test_unreached_functions_are_not_reported(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    (pkg / "model.py").write_text("from torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return x\n")
    results = scan_paths([tmp_path], Config(cache=False))
    assert [f for r in results for f in r.findings] == []


def test_module_names_and_relative_imports(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    assert module_name(pkg / "ops.py") == "mypkg.ops"
    assert module_name(pkg / "__init__.py") == "mypkg"
    assert qualify("mypkg.model", ".ops.gate") == "mypkg.ops.gate"
    assert qualify("mypkg.sub.model", "..ops.gate") == "mypkg.ops.gate"
    assert qualify("mypkg", ".ops", is_package=True) == "mypkg.ops"
    assert qualify("mypkg.model", "torch.cat") == "torch.cat"
