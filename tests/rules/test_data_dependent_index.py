"""data-dependent-index beyond one-line cases: masks through names, writes, inputs, lists."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

DETECTION = """\
import torch
from torch import nn


class Head(nn.Module):
    def forward(self, scores, boxes, image_ids: torch.Tensor):
        keep = (scores > self.threshold) & ~torch.isnan(scores)
        boxes = boxes[keep]
        kept = scores[keep]
        order = kept.argsort(descending=True)
        n = int(keep.sum())
        top = order[:n]
        feats = self.feats[image_ids]
        return boxes[top], feats[order], torch.where(keep)[0]
"""

WRITES = """\
import torch
from torch import nn


class Clamp(nn.Module):
    def forward(self, x, boxes, scores):
        x = x.clone()
        x[x < 0] = 0.0
        low = scores < 0.5
        boxes[low] = 0.0
        scores[~low] *= 2
        return x, boxes, scores
"""

LISTS = """\
import torch
from torch import nn


class Route(nn.Module):
    def forward(self, x, feats: list[torch.Tensor]):
        best = x.argmax().item()
        out = self.experts[best](x)
        first = feats[0] + feats[-1]
        for i, feat in enumerate(feats):
            out = out + feats[i] * feat
        return out + first + torch.where(x > 0, x, -x)
"""


def _scan(tmp_path: Path, source: str, exporter: str = "both") -> list[tuple[int, str]]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("data-dependent-index",), exporter=exporter))  # type: ignore[arg-type]
    assert result.error is None
    return [(f.location.line, f.severity) for f in result.findings]


def _findings(tmp_path: Path, source: str) -> list[Finding]:
    path = tmp_path / "m.py"
    path.write_text(source)
    return list(scan_file(path, Config(select=("data-dependent-index",))).findings)


def test_masks_through_names_numbers_from_data_and_input_indices(tmp_path: Path) -> None:
    assert _scan(tmp_path, DETECTION) == [
        (8, "info"),  # boxes[keep]: keep is a mask through `&` and `~isnan`
        (9, "info"),
        (12, "error"),  # order[:n], n = int(...) of a tensor: legacy bakes it
        (13, "info"),  # an input index tensor
        (14, "info"),  # torch.where(keep) with one argument
    ]
    assert _scan(tmp_path, DETECTION, exporter="dynamo") == [(8, "info"), (9, "info"), (12, "info"), (13, "info"),
                                                             (14, "info")]


def test_computed_index_tensors_are_not_reported(tmp_path: Path) -> None:
    lines = [line for line, _ in _scan(tmp_path, DETECTION)]
    assert 10 not in lines and lines.count(14) == 1  # boxes[top], feats[order] are plain gathers


def test_mask_writes_from_the_tensor_itself_are_info_others_fail_under_legacy(tmp_path: Path) -> None:
    assert _scan(tmp_path, WRITES) == [(8, "info"), (10, "error"), (11, "info")]  # low comes from scores
    row = _findings(tmp_path, WRITES)[1]
    assert row.outcomes.dynamo == "ok" and row.outcomes.legacy == "fails" and "row mask" in row.message


def test_python_containers_indexed_by_data_fail_under_dynamo_and_loop_counters_are_fine(tmp_path: Path) -> None:
    found = _findings(tmp_path, LISTS)
    assert [(f.location.line, f.severity) for f in found] == [(8, "error")]
    assert found[0].outcomes.dynamo == "fails"


MASKED = """\
import torch
from torch import nn


class Mae(nn.Module):
    def forward(self, x, mask, top):
        x = x.clone()
        x[mask] = self.mask_token
        for e, expert in enumerate(self.experts):
            sel = (top == e).any(-1)
            x[sel] += expert(x[sel])
        return x
"""


def test_mask_named_inputs_and_method_chains_are_masks(tmp_path: Path) -> None:
    assert _scan(tmp_path, MASKED) == [(8, "error"), (11, "error"), (11, "info")]
    assert _scan(tmp_path, MASKED, exporter="dynamo") == [(8, "info"), (11, "info"), (11, "info")]


COUNTED = """\
import torch
from torch import nn


class Walk(nn.Module):
    def forward(self, x, scores):
        idx = torch.nonzero(scores > 0).flatten()
        total = x[0] * 0
        for i in range(len(idx)):
            total = total + x[idx[i]]
        for j in range(1, int(scores.sum().item())):
            total = total + x[j - 1]
        for v in idx.tolist():
            total = total + x[v]
        for k in range(int(scores.max()), 4):
            total = total + x[k]
        return total
"""


def test_a_range_counter_holds_its_pass_number_whatever_decides_the_count(tmp_path: Path) -> None:
    # `i` and `j` count passes (the data-decided counts are dynamic-loop's findings); `v` is an
    # element of the data and `k` starts at a number from the data: both index with data
    assert _scan(tmp_path, COUNTED) == [(7, "info"), (14, "error"), (16, "error")]
