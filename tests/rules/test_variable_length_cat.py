"""variable-length-cat beyond one-line cases: lists grown in loops and branches, re-initialised lists."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

TRACKER = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, frame_idx: int, x, memory: dict):
        picked = []
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t, None)
            if out is None:
                continue
            picked.append((t, out))
        prompt, pos = [], []
        for t, prev in picked:
            prompt.append(prev["features"])
            pos.append(prev["pos"] + self.tpos[t])
        return torch.cat(prompt, dim=0) + torch.cat(pos, dim=0)
"""

PER_LAYER = """\
import torch
from torch import nn


class Head(nn.Module):
    def forward(self, feats: list[torch.Tensor], dac: bool = False):
        if feats[0].shape[0] > 1:
            picked = []
            for feat in feats:
                picked.append(feat * 2)
        else:
            picked = [feat.clone() for feat in feats]
        outs = [self.stem(picked[0])]
        for layer in self.layers:
            outs.append(layer(outs[-1]))
        if dac:
            outs.append(outs[0])
        return torch.cat(picked + outs[:2], dim=1), torch.stack(outs)
"""

SPLIT = """\
import torch
from torch import nn


class Split(nn.Module):
    def forward(self, x):
        chunks = x.split(4, dim=1)
        halves = torch.chunk(x, 2, dim=1)
        return torch.cat([c * 2 for c in chunks], dim=1) + torch.cat(halves, dim=1)
"""


def _scan(tmp_path: Path, source: str, exporter: str = "both") -> list[Finding]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("variable-length-cat",), exporter=exporter))  # type: ignore[arg-type]
    assert result.error is None
    return list(result.findings)


def test_cats_of_a_list_filled_after_a_layout_continue_name_the_continue(tmp_path: Path) -> None:
    findings = _scan(tmp_path, TRACKER)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(17, 15, "error"), (17, 42, "error")]
    assert all("`continue` at line 11" in f.message for f in findings)
    assert [f.severity for f in _scan(tmp_path, TRACKER, exporter="dynamo")] == ["warning", "warning"]


def test_per_layer_lists_and_lists_fixed_by_inputs_are_not_reported_but_a_flag_append_is(tmp_path: Path) -> None:
    findings = _scan(tmp_path, PER_LAYER)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(18, 52, "warning")]
    assert "`if dac` at line 16" in findings[0].message and "forward argument" in findings[0].message


def test_split_by_a_size_follows_the_shape_but_chunk_by_a_constant_does_not(tmp_path: Path) -> None:
    findings = _scan(tmp_path, SPLIT)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(9, 15, "warning")]
    assert "tensor shape" in findings[0].message
