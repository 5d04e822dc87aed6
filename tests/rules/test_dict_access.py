"""dict-access beyond one-line cases: memory dicts through helpers, keys from iteration, stores."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

MEMORY = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, x, frame_idx: int, output_dict: dict):
        cond = output_dict["cond_frame_outputs"]
        feats = self._gather(output_dict["non_cond_frame_outputs"], frame_idx)
        return x + feats + cond["features"]

    def _gather(self, memory, frame_idx):
        total = 0
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t)
            if out is not None:
                total = total + out["features"]
        return total
"""

ITERATION = """\
import torch
from torch import nn


class Fuse(nn.Module):
    def forward(self, x, feats: dict, cache: dict):
        for name, feat in feats.items():
            x = x + feats[name] * feat
        for key in cache.keys():
            cache[key] = x
        cache[x.shape[0]] = x
        return x + cache["last"]
"""

SHAPE_KEY = """\
import torch
from torch import nn


class Pick(nn.Module):
    def forward(self, x, heads: dict):
        return heads[x.shape[-1]](x)
"""


def _scan(tmp_path: Path, source: str, exporter: str = "both") -> list[Finding]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("dict-access",), exporter=exporter))  # type: ignore[arg-type]
    assert result.error is None
    return list(result.findings)


def test_lookup_in_a_helper_keyed_by_a_forward_number_is_wrong_under_legacy(tmp_path: Path) -> None:
    findings = _scan(tmp_path, MEMORY)
    assert [(f.location.line, f.severity, f.symbol) for f in findings] == [(14, "error", "Step._gather")]
    assert findings[0].outcomes.dynamo == "specialized" and findings[0].outcomes.legacy == "wrong"
    assert "`frame_idx - t`" in findings[0].message and "default" in findings[0].message


def test_same_lookup_only_specializes_for_the_dynamo_exporter(tmp_path: Path) -> None:
    assert [f.severity for f in _scan(tmp_path, MEMORY, exporter="dynamo")] == ["warning"]


def test_keys_from_iterating_the_same_dict_and_stores_are_not_reported(tmp_path: Path) -> None:
    assert _scan(tmp_path, ITERATION) == []


def test_subscript_keyed_by_a_shape_fails_under_legacy(tmp_path: Path) -> None:
    findings = _scan(tmp_path, SHAPE_KEY)
    assert [(f.location.line, f.severity) for f in findings] == [(7, "error")]
    assert findings[0].outcomes.legacy == "fails" and "KeyError" in findings[0].message


KEYS_FROM_ITSELF = """\
import torch
from torch import nn


class Fpn(nn.Module):
    def forward(self, features: dict, bank: dict, frame_idx: int):
        names = list(features.keys())
        last = features[names[-1]]
        for idx in range(len(names) - 2, -1, -1):
            last = last + features[names[idx]]
        mems = [bank[i] for i in sorted(bank) if i < frame_idx]
        return last, mems
"""


def test_keys_computed_from_the_dict_itself_are_not_reported(tmp_path: Path) -> None:
    assert _scan(tmp_path, KEYS_FROM_ITSELF) == []
