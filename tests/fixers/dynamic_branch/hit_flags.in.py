"""Iterative shrinking that also records, per row, whether a step ever crossed a threshold: the
loop stops on tensor data and carries a boolean tensor, which the masked loop keeps through
uint8 (onnxruntime has no boolean Where)."""

import torch
from torch import nn


class ShrinkUntilSmall(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mix = nn.Linear(4, 4)
        self.max_steps = 6

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        crossed = torch.zeros(x.shape[0], dtype=torch.bool)
        for _ in range(self.max_steps):
            x = 0.5 * x + 0.01 * self.mix(x)
            crossed = crossed | (x[:, 0] > 0.3)
            if x.abs().max() < 0.1:
                break
        return x, crossed


def make():
    torch.manual_seed(0)
    return ShrinkUntilSmall(), (torch.randn(3, 4),)
