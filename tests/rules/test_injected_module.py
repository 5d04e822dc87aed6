"""injected-module: constructor-injected submodules and the classes the file passes in."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

LAYER = """\
import torch
from torch import nn
from other_package import ExternalAttention


class Attention(nn.Module):
    def forward(self, q, k):
        return torch.softmax(q @ k.transpose(0, 1), -1) @ k


class Layer(nn.Module):
    def __init__(self, dim: int, cross_attention: nn.Module, norm=None):
        super().__init__()
        self.attn = cross_attention
        self.norm = norm
        self.dim = dim

    def forward(self, x, mem):
        return self._attend(x, mem)

    def _attend(self, x, mem):
        return self.attn(x, mem)
"""


def _scan(tmp_path: Path, source: str) -> list[Finding]:
    path = tmp_path / "case.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("EXL304",)))
    assert result.error is None, result.error
    return list(result.findings)


def test_reported_at_the_constructor_parameter_with_the_calling_method(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, LAYER)
    assert (f.location.line, f.severity, f.symbol) == (12, "info", "Layer.__init__")
    assert "self.attn" in f.message and "Layer._attend" in f.message
    assert "no construction" in f.message


def test_classes_passed_by_keyword_position_variable_and_factory_are_named(tmp_path: Path) -> None:
    builders = """

def make_attention():
    return Attention()


def build():
    a = Layer(8, Attention())
    b = Layer(dim=8, cross_attention=make_attention())
    attn = ExternalAttention(8)
    return a, b, Layer(8, attn)
"""
    [f] = _scan(tmp_path, LAYER + builders)
    assert "Attention (in build, checked in this file)" in f.message
    assert "ExternalAttention (in build, scan its file)" in f.message
    assert f.message.count(" Attention (in build") == 1


def test_unused_or_never_called_injection_is_not_reported(tmp_path: Path) -> None:
    source = LAYER.replace("return self.attn(x, mem)", "return x + mem")
    assert _scan(tmp_path, source) == []


def test_parameter_only_passed_to_a_local_constructor_is_not_injected(tmp_path: Path) -> None:
    source = (
        "from torch import nn\n\n\nclass Block(nn.Module):\n"
        "    def __init__(self, dim: int, act_layer: nn.Module = nn.GELU):\n"
        "        super().__init__()\n        self.mlp = nn.Sequential(nn.Linear(dim, dim), act_layer())\n\n"
        "    def forward(self, x):\n        return self.mlp(x)\n"
    )
    assert _scan(tmp_path, source) == []


def test_assignment_inside_a_block_of_init_is_found(tmp_path: Path) -> None:
    source = (
        "from torch import nn\n\n\nclass M(nn.Module):\n"
        "    def __init__(self, attn=None):\n        super().__init__()\n"
        "        if attn is not None:\n            self.attn = attn\n        else:\n            self.attn = nn.Identity()\n\n"
        "    def forward(self, x):\n        return self.attn(x)\n"
    )
    [f] = _scan(tmp_path, source)
    assert f.location.line == 5


def test_match_and_try_blocks_in_init(tmp_path: Path) -> None:
    source = (
        "from torch import nn\n\n\nclass M(nn.Module):\n"
        "    def __init__(self, kind, attn):\n        super().__init__()\n"
        "        match kind:\n            case 'a':\n                self.attn = attn\n"
        "        try:\n            self.n = 1\n        except ValueError:\n            self.n = 2\n\n"
        "    def forward(self, x):\n        return self.attn(x)\n"
    )
    [f] = _scan(tmp_path, source)
    assert f.location.line == 5
