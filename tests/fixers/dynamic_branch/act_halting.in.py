"""Adaptive computation time: a recurrent cell ponders until every sample's halting mass is spent."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PonderCell(nn.Module):
    def __init__(self, dim: int, max_steps: int = 8, threshold: float = 0.99) -> None:
        super().__init__()
        self.cell = nn.Linear(dim, dim)
        self.halt = nn.Linear(dim, 1)
        self.max_steps = max_steps
        self.threshold = threshold

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        state = x
        halted = torch.zeros(x.shape[0])
        output = torch.zeros_like(x)
        step = 0
        while (halted < self.threshold).any() and step < self.max_steps:
            p = torch.sigmoid(self.halt(state)).squeeze(-1)
            p = torch.minimum(p, 1.0 - halted)
            state = torch.tanh(self.cell(state) + x)
            output = output + p.unsqueeze(-1) * state
            halted = halted + p
            step += 1
        return output, halted


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return PonderCell(6).eval(), (torch.randn(3, 6),)
