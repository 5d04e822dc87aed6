"""Feature levels fused one by one, skipping a level whose activations are nearly empty: a
`continue` on tensor data."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SkipFuse(nn.Module):
    def __init__(self, channels: int, levels: int = 4, floor: float = 0.15) -> None:
        super().__init__()
        self.proj = nn.ModuleList(nn.Linear(channels, channels) for _ in range(levels))
        self.floor = floor

    def forward(self, feats: Tensor) -> Tensor:
        fused = torch.zeros_like(feats[0])
        used = torch.zeros(())
        for i, proj in enumerate(self.proj):
            level = feats[i]
            if level.abs().mean() < self.floor:
                continue
            weight = level.sigmoid().mean()
            fused = fused + weight * proj(level)
            used += 1
        return fused / used.clamp(min=1)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    feats = torch.randn(4, 3, 5)
    feats[1] *= 0.05
    return SkipFuse(5).eval(), (feats,)
