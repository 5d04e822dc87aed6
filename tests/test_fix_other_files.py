"""`exportlint fix` across the files of a model: complex RoPE helpers in one file, the attention
class that calls them in another, the block that holds it in a third (SAM3's layout:
`sam3/sam/rope.py`, `sam3/sam/transformer.py`, `sam3/model/decoder.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exportlint.cli import main

ROPE = '''import torch


def axial_table(tokens: int, dim: int) -> torch.Tensor:
    freqs = 1.0 / (100.0 ** (torch.arange(0, dim, 2).float() / dim))
    angles = torch.outer(torch.arange(tokens).float(), freqs)
    return torch.polar(torch.ones_like(angles), angles)


def broadcast(table: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    shape = [d if i >= x.ndim - 2 else 1 for i, d in enumerate(x.shape)]
    return table.view(*shape)


def rotate(xq: torch.Tensor, xk: torch.Tensor, table: torch.Tensor):
    q = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    k = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    table = broadcast(table, q)
    return torch.view_as_real(q * table).flatten(3), torch.view_as_real(k * table).flatten(3)
'''

ATTENTION = '''import torch
import torch.nn.functional as F
from torch import nn

from rp.rope import axial_table, rotate


class RopeAttention(nn.Module):
    def __init__(self, dim: int = 16, heads: int = 2, tokens: int = 6) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.table = axial_table(tokens, dim // heads)

    def forward(self, x):
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = rotate(q, k, self.table)
        return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c)
'''

MODEL = '''from torch import nn

from rp.attention import RopeAttention


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.attn = RopeAttention()

    def forward(self, x):
        return x + self.attn(self.norm(x))
'''

FACTORY = '''import torch

from rp.model import Block


def make():
    torch.manual_seed(0)
    return Block().eval(), (torch.randn(2, 6, 16),)
'''


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    package = tmp_path / "rp"
    package.mkdir()
    for name, text in {"__init__": "", "rope": ROPE, "attention": ATTENTION, "model": MODEL,
                       "factory": FACTORY}.items():
        (package / f"{name}.py").write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_helpers_and_classes_of_other_files_are_rewritten(project: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", "rp/factory.py:make", "--diff"]) == 0
    source = capsys.readouterr().out
    docstring = " ".join(source.split('"""')[1].split())
    assert "unsupported-op (rp/rope.py:15): `rotate` uses complex tensors: the wrapper calls `rotate_pairs`" in docstring
    assert "unsupported-op (rp/rope.py:10): `broadcast` uses complex tensors" in docstring
    assert "unsupported-op (rp/attention.py:15): `RopeAttention.forward` uses complex tensors" in docstring
    assert "from rp.attention import RopeAttention  # noqa: E402" in source
    assert "class RopeAttentionForExport(RopeAttention):" in source
    assert "q, k = rotate_pairs(q, k, self.table_pairs)" in source
    # The complex shape stays what the code reads: `.ndim`/`.shape` without the pair dimension.
    assert "shape = [d if i >= (x.ndim - 1) - 2 else 1 for i, d in enumerate(x.shape[:-1])]" in source
    assert "return table.view(*shape, 2)" in source
    assert '"attn": RopeAttentionForExport' in source


@pytest.mark.ort
def test_the_wrapper_verifies_with_both_exporters(project: Path) -> None:
    assert main(["fix", "rp/factory.py:make", "--out", "out", "--format", "json"]) == 0
    report = json.loads((project / "out" / "factory_report.json").read_text())
    assert report["ok"] and {v["exporter"] for v in report["exporters"]} == {"dynamo", "legacy"}
    assert all(c["ok"] for v in report["exporters"] for c in v["cases"])
    run = subprocess.run([sys.executable, "-c", "import out.factory_export as w; m, i = w.make_export(); "
                          "print(tuple(m(*i).shape))"], cwd=project, capture_output=True, text=True,
                         timeout=300)
    assert run.stdout.strip() == "(2, 6, 16)", run.stderr[-2000:]


UNTWINNABLE = '''import torch
from torch import nn


def table(dim: int, end: int) -> torch.Tensor:
    angles = torch.outer(torch.arange(end).float(), torch.arange(dim // 2).float())
    return torch.polar(torch.ones_like(angles), angles)


def rotary(xq: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    fc = freqs[None, :, :]
    return torch.view_as_real(xq_ * fc.conj()).flatten(2)


class Rope(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("freqs", table(8, 6), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rotary(x, self.freqs)


def make():
    return Rope().eval(), (torch.randn(2, 6, 8),)
'''


@pytest.mark.ort
def test_a_helper_with_no_real_twin_is_manual_work_and_no_call_names_a_twin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "untwinnable.py").write_text(UNTWINNABLE)
    monkeypatch.chdir(tmp_path)
    # Exit 1 (a fix that failed, named), not 2: the wrapper imports nothing the file lacks.
    assert main(["fix", "untwinnable.py:make", "--out", "out", "--format", "json"]) == 1
    source = (tmp_path / "out" / "untwinnable_export.py").read_text()
    assert "rotary_pairs" not in source
    report = json.loads((tmp_path / "out" / "untwinnable_report.json").read_text())
    assert [(m["line"], m["reason"].split(":")[0]) for m in report["manual"]] == [
        (13, "complex code with no real-valued rewrite here")]  # the `.conj()` line, not the def
    assert "`.conj()` on complex `fc`" in report["manual"][0]["reason"]
