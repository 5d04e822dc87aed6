"""dynamic-loop beyond one-line cases: tracker memory loops, helpers, early exits, static loops."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

TRACKER = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, frame_idx: int, x, memory: dict, num_frames: int):
        picked = []
        for out in memory["cond"].values():
            picked.append(out)
        for t in range(1, self.num_mem):
            prev = frame_idx - t
            if prev < 0 or prev >= num_frames:
                continue
            out = memory["non_cond"].get(prev, None)
            if out is None:
                continue
            picked.append(out)
        for out in picked:
            x = x + out
        return x
"""

HELPER = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, x, scores):
        return self._accumulate(x, scores)

    def _accumulate(self, x, scores):
        total = x * 0
        while True:
            if scores.sum() > 1:
                break
            scores = scores * 2
            total = total + x
        return total
"""

STATIC = """\
import torch
from torch import nn


class Block(nn.Module):
    def forward(self, x, feats: list[torch.Tensor], mask=None):
        for layer, norm in zip(self.layers, self.norms):
            x = x + layer(norm(x))
        for i in range(len(feats)):
            x = x + feats[i].mean()
        for i, feat in enumerate(feats):
            if i == 0:
                continue
            x = x + feat.sum()
        for _ in range(self.depth):
            if mask is None:
                break
            x = x * mask
        return x
"""


def _scan(tmp_path: Path, source: str, exporter: str = "both") -> list[Finding]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("dynamic-loop",), exporter=exporter))  # type: ignore[arg-type]
    assert result.error is None
    return list(result.findings)


def test_memory_loop_is_reported_once_at_its_header_naming_both_continues(tmp_path: Path) -> None:
    findings = _scan(tmp_path, TRACKER)
    assert [(f.location.line, f.severity) for f in findings] == [(8, "warning"), (10, "error")]
    loop = findings[1]
    assert "line 13" in loop.message and "line 16" in loop.message
    assert "`out is None`" in loop.message and "legacy" in loop.message
    assert loop.outcomes.dynamo == "specialized" and loop.outcomes.legacy == "wrong"


def test_memory_loop_only_specializes_for_the_dynamo_exporter(tmp_path: Path) -> None:
    findings = _scan(tmp_path, TRACKER, exporter="dynamo")
    assert {f.severity for f in findings} == {"warning"}


def test_loop_over_a_locally_built_list_is_left_to_where_its_length_is_decided(tmp_path: Path) -> None:
    assert 18 not in [f.location.line for f in _scan(tmp_path, TRACKER)]


def test_data_dependent_break_in_a_helper_is_an_error_under_dynamo_too(tmp_path: Path) -> None:
    findings = _scan(tmp_path, HELPER, exporter="dynamo")
    assert [(f.location.line, f.severity, f.symbol) for f in findings] == [(11, "error", "Step._accumulate")]
    assert "`break` at line 13" in findings[0].message


def test_static_loops_and_configuration_exits_are_not_reported(tmp_path: Path) -> None:
    assert _scan(tmp_path, STATIC) == []


def test_loop_over_a_shape_or_a_forward_number_specializes(tmp_path: Path) -> None:
    source = STATIC.replace("for _ in range(self.depth):", "for _ in range(x.shape[0] + n):").replace(
        "mask=None):", "mask=None, n: int = 2):")
    findings = _scan(tmp_path, source)
    assert [(f.location.line, f.severity) for f in findings] == [(15, "warning")]
    assert "tensor shape" in findings[0].message


ZIPPED = """\
import torch
from torch import nn


class Post(nn.Module):
    def forward(self, logits, boxes, scale):
        scores, labels = logits.softmax(-1).max(-1)
        boxes = boxes * scale[:, None, :]
        out = []
        for s, l, b in zip(scores, labels, boxes):
            out.append(b[s > self.threshold])
        return out
"""


def test_zip_over_tensors_unrolls_over_their_first_dimension(tmp_path: Path) -> None:
    findings = _scan(tmp_path, ZIPPED)
    assert [(f.location.line, f.severity) for f in findings] == [(10, "warning")]
    assert "tensor shape" in findings[0].message


SKIPS = """\
import torch
from torch import nn


class Skip(nn.Module):
    def forward(self, x):
        total = x[0] * 0
        for i in range(4):
            if x[i].sum() > 0:
                continue
            total = total + x[i]
        for i in range(4):
            if x[i].sum() > 0:
                break
            total = total + x[i]
        return total
"""


def test_a_data_continue_bakes_which_passes_skip_a_data_break_the_count(tmp_path: Path) -> None:
    skip, stop = _scan(tmp_path, SKIPS)
    assert (skip.location.line, skip.severity, stop.location.line, stop.severity) == (8, "error", 12, "error")
    assert "legacy skips the passes the example input skipped" in skip.message
    assert "legacy keeps the count of the example input" in stop.message
