"""A branch on the batch size; the token axis is declared dynamic, the batch axis gets pinned."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PoolIfBatched(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        h = self.proj(x)
        if x.shape[0] > 1:
            h = h - h.mean(dim=0, keepdim=True)
        return h.softmax(dim=1)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return PoolIfBatched(4).eval(), (torch.randn(3, 5, 4),)
