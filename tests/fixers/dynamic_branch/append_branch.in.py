"""A feature pyramid whose stages keep either a refined or a skipped map, by activation energy."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GatedPyramid(nn.Module):
    def __init__(self, channels: int, stages: int = 3, gate: float = 0.5) -> None:
        super().__init__()
        self.stages = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(stages))
        self.refine = nn.Conv2d(channels, channels, 1)
        self.gate = gate

    def forward(self, x: Tensor) -> Tensor:
        feats = []
        for stage in self.stages:
            x = torch.relu(stage(x))
            if x.abs().mean() > self.gate:
                feats.append(self.refine(x))
            else:
                skipped = x * 0.5
                feats.append(skipped)
        return torch.stack(feats, dim=1)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return GatedPyramid(3).eval(), (torch.randn(2, 3, 6, 6),)
