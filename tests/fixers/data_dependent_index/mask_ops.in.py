"""Boolean masks: a masked write, and masked reductions of a selection."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MaskedStats(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        h = self.proj(x)
        h[h < 0] = 0.0
        total = h[valid].sum()
        average = h[valid].mean()
        return h * total + average


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return MaskedStats(4).eval(), (torch.randn(6, 4), torch.tensor([1, 0, 1, 1, 0, 1]).bool())
