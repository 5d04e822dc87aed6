"""A branch on tensor values whose sides run different submodules (torch.cond under dynamo)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RouteByEnergy(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.loud = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.quiet = nn.Linear(dim, dim)

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        energy = (x * x).mean()
        out = x
        if energy > 1.0:
            out = self.loud(x) - bias
            out = out * energy
        else:
            out = self.quiet(out) + bias
        return out.relu()


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return RouteByEnergy(4).eval(), (torch.randn(3, 4) * 2, torch.randn(4))
