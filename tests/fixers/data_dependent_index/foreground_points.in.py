"""Foreground points picked with nonzero and their features gathered: both exporters convert
NonZero and stay right for other masks, so the fix changes nothing and verifies as it is."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ForegroundPoints(nn.Module):
    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.score = nn.Conv2d(channels, 1, 1)
        self.embed = nn.Linear(channels, 6)

    def forward(self, feat: Tensor) -> Tensor:
        fg = self.score(feat)[0, 0] > 0
        rows, cols = torch.nonzero(fg, as_tuple=True)
        picked = feat[0][:, rows, cols].t()
        return self.embed(picked).mean(0)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return ForegroundPoints().eval(), (torch.randn(1, 4, 5, 5),)
