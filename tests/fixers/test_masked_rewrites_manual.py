"""Data-dependent loops and branches the dynamic-branch fixer must leave as manual work, naming the line."""

from __future__ import annotations

from pathlib import Path

from exportlint.fixers.pipeline.build import build_target, plan_fixes
from exportlint.fixers.pipeline.request import FixRequest

SOURCE = '''
import torch
from torch import nn


class Unfaithful(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x):
        outs = []
        if x.mean() > 0:
            outs.append(self.proj(x))
        steps = []
        while x.abs().max() > 0.1:
            x = x * 0.5
            steps.append(x)
        for i in range(4):
            x = self.proj(x)
            if x.sum() > 0:
                continue
        return x, outs, steps


def make():
    torch.manual_seed(0)
    return Unfaithful().eval(), (torch.randn(2, 4),)
'''


def test_unfaithful_rewrites_stay_manual(tmp_path: Path) -> None:
    path = tmp_path / "unfaithful.py"
    path.write_text(SOURCE, encoding="utf-8")
    request = FixRequest(target=f"{path}:make", rules=("dynamic-branch",), cwd=str(tmp_path))
    plan, _ = plan_fixes(build_target(request.target, tmp_path), request)
    reasons = {m.line: m.reason for m in plan.manual}
    assert "append to lists differently" in reasons[13]
    assert "grows a list by a data-dependent count" in reasons[16]
    assert "`continue`" in reasons[21]
    assert not plan.edits


def test_max_iters_reaches_the_plan(tmp_path: Path) -> None:
    import argparse

    from exportlint.fixers.pipeline.command import add_arguments, fix_request

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    request = fix_request(parser.parse_args(["tests/fixers/dynamic_branch/refine_tolerance.in.py:make",
                                             "--max-iters", "5"]))
    assert request.max_iters == 5
    root = Path(__file__).resolve().parents[2]
    plan, _ = plan_fixes(build_target(request.target, root), request)
    assert plan.max_iters == 5
    assert any("a `for` of 5 iterations (`--max-iters`" in n.text for n in plan.notes)
