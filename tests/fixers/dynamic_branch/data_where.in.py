"""Branches on tensor values: an if/else of assignments and a conditional expression."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SignGate(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.pos = nn.Linear(dim, dim)
        self.neg = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        if x.mean() > 0:
            y = self.pos(x)
            y = y * 2
        else:
            y = self.neg(x)
        scale = x.abs().max() if x.sum() > 0 else x.abs().min() + 1
        return y * scale


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return SignGate(6).eval(), (torch.randn(4, 6) + 0.5,)
