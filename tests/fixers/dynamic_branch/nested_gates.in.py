"""Pyramid stages kept, damped or dropped to a floor by two nested tests on activations, with a
configuration switch inside one branch."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class NestedGates(nn.Module):
    def __init__(self, channels: int, stages: int = 3, use_refine: bool = True,
                 gate: float = 0.2) -> None:
        super().__init__()
        self.stages = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(stages))
        self.refine = nn.Conv2d(channels, channels, 1)
        self.use_refine = use_refine
        self.gate = gate

    def forward(self, x: Tensor) -> Tensor:
        levels = []
        for stage in self.stages:
            x = torch.relu(stage(x))
            if x.mean() > self.gate:
                if self.use_refine:
                    y = self.refine(x)
                else:
                    y = x
                levels.append(y)
            else:
                if x.max() > 1.0:
                    levels.append(x * 0.5)
                else:
                    levels.append(torch.zeros_like(x))
        return torch.stack(levels, dim=1)


def make(gate: float = 0.2) -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return NestedGates(3, gate=gate).eval(), (torch.randn(2, 3, 6, 6),)


def make_cold() -> tuple[nn.Module, tuple[Tensor, ...]]:
    """A gate no stage of the example passes: the configuration switch never runs in it."""
    return make(gate=0.3)
