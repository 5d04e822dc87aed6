"""Memory banks the fixed-slot rewrite must leave as manual work, saying which statement stops it."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportlint.fixers.pipeline.build import build_target, plan_fixes
from exportlint.fixers.pipeline.request import FixRequest

TEMPLATE = '''
import torch
import torch.nn.functional as F
from torch import nn


class Reader(nn.Module):
    def __init__(self):
        super().__init__()
        self.kv = nn.Linear(4, 8)

    def forward(self, x, store: dict, t: int):
        keys = []
        for back in (1, 2, 3):
            if t - back in store:
                keys.append({element})
{guard}
        mem = torch.cat(keys, dim=1)
        k, v = self.kv(mem).chunk(2, dim=-1)
        w = torch.einsum("bqc,bkc->bqk", x, k)
        return x + {softmax} @ v


def make():
    torch.manual_seed(0)
    store = {{t: torch.randn(1, 3, 4) for t in (4, 6)}}
    return Reader().eval(), (torch.randn(1, 2, 4), store, 7)
'''

PLAIN = {"element": "store[t - back]", "guard": "", "softmax": "F.softmax(w, dim=-1)"}


def _plan(tmp_path: Path, **changes: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "reader.py"
    path.write_text(TEMPLATE.format(**{**PLAIN, **changes}), encoding="utf-8")
    request = FixRequest(target=f"{path}:make", rules=("dict-access",), cwd=str(tmp_path))
    return plan_fixes(build_target(request.target, tmp_path), request)[0]


def test_a_plain_softmax_reader_is_masked(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert not plan.manual
    assert "_masked_scores" in plan.helpers["memory_key_mask"]
    assert [i.name for i in plan.inputs] == ["x", "memory_slots", "memory_valid"]


@pytest.mark.parametrize(("changes", "line", "says"), [
    ({"softmax": "F.softmax(w, dim=1)"}, 12, "normalizes over another dimension than the last"),
    ({"softmax": "F.softmax(w.transpose(1, 2), dim=-1).transpose(1, 2)"}, 12,
     "mixes memory tokens with other values"),
    ({"softmax": "F.softmax(w + w.mean(dim=-1, keepdim=True), dim=-1)"}, 12,
     "mixes the memory slots"),
    ({"element": "store[t - back] + store[t - 1]"}, 12, "computed from no single frame"),
    ({"guard": "        if not keys:\n            x = x * 2\n            return x"}, 12,
     "does more than return a value"),
], ids=["softmax-dim", "transposed", "mixed-scores", "computed-entry", "busy-guard"])
def test_unmaskable_memory_is_manual(tmp_path: Path, changes: dict[str, str], line: int,
                                     says: str) -> None:
    plan = _plan(tmp_path, **changes)
    reasons = [m.reason for m in plan.manual if m.line == line]
    assert any(says in r for r in reasons), plan.manual
    assert not any(i.name == "memory_valid" for i in plan.inputs)


PASSED_ON = '''
import torch
from torch import nn


class Inner(nn.Module):
    def read(self, x, frames, t):
        found = [frames[k] for k in (t - 1, t - 2) if k in frames]
        return x + torch.cat(found).sum(0)


class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x, frames: dict, t: int):
        return self.inner.read(x, frames=frames, t=t)


def make():
    return Outer(), (torch.randn(4), {1: torch.randn(1, 4), 2: torch.randn(1, 4)}, 3)
'''


def test_a_memory_forward_only_passes_on_is_not_a_gathering(tmp_path: Path) -> None:
    path = tmp_path / "outer.py"
    path.write_text(PASSED_ON, encoding="utf-8")
    request = FixRequest(target=f"{path}:make", rules=("dict-access",), cwd=str(tmp_path))
    plan = plan_fixes(build_target(request.target, tmp_path), request)[0]
    assert not any("appends to no list" in m.reason for m in plan.manual), plan.manual
    assert not any(i.name == "memory_valid" for i in plan.inputs)


READ_AGAIN = '''
import torch
from torch import nn


class Recall(nn.Module):
    def forward(self, x, bank: dict):
        newest = sorted(bank.items(), reverse=True)[:2]
        feats = [f for _, f in newest]
        if not feats:
            return x
        return x + torch.cat(feats).sum(0) * len(bank)


def make():
    return Recall(), (torch.randn(4), {1: torch.randn(1, 4), 2: torch.randn(1, 4)})
'''


def test_a_test_on_what_a_memory_holds_is_never_frozen_when_the_memory_stays_a_dict(tmp_path: Path) -> None:
    """`bank` is read again after the gathering, so no fixed-slot rewrite applies; `not feats`
    then depends on the runtime dict's layout, and freezing it to the example's would be wrong."""
    path = tmp_path / "recall.py"
    path.write_text(READ_AGAIN, encoding="utf-8")
    request = FixRequest(target=f"{path}:make", cwd=str(tmp_path))
    plan = plan_fixes(build_target(request.target, tmp_path), request)[0]
    branch = [m for m in plan.manual if m.rule == "dynamic-branch"]
    assert [m.line for m in branch] == [10], plan.manual
    assert "not frozen to the example's layout" in branch[0].reason
    assert not any(n.rule == "dynamic-branch" and n.line == 10 for n in plan.notes)


TOP_OF_SELECTION = '''
import torch
from torch import nn


class TopBoxes(nn.Module):
    def __init__(self):
        super().__init__()
        self.max_det = 3

    def forward(self, boxes, scores):
        keep = scores > 0.5
        boxes, scores = boxes[keep], scores[keep]
        k = min(self.max_det, scores.numel())
        top, order = scores.topk(k)
        return boxes[order], top


def make():
    return TopBoxes(), (torch.rand(6, 4), torch.tensor([0.9, 0.8, 0.7, 0.6, 0.2, 0.1]))
'''


@pytest.mark.parametrize("exporter", ["both", "dynamo"])
def test_a_capped_size_of_a_selection_is_manual_work_for_legacy_only(tmp_path: Path, exporter: str) -> None:
    path = tmp_path / "top.py"
    path.write_text(TOP_OF_SELECTION, encoding="utf-8")
    request = FixRequest(target=f"{path}:make", cwd=str(tmp_path), exporter=exporter)
    plan = plan_fixes(build_target(request.target, tmp_path), request)[0]
    items = [(m.rule, m.line) for m in plan.manual]
    if exporter == "dynamo":
        assert items == []
    else:
        assert items == [("tensor-to-python", 14)]
        assert "run fix with `--exporter dynamo`" in plan.manual[0].reason
