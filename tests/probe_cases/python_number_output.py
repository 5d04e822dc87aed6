"""A forward returning a Python float beside a tensor: both exporters fail on the outputs, and
the failure belongs to the `return` line (not the `def`), with a hint that fits it."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class WithTemperature(nn.Module):
    def __init__(self, temperature: float = 0.7) -> None:
        super().__init__()
        self.temperature = temperature
        self.head = nn.Linear(4, 3)

    def forward(self, x: Tensor) -> tuple[Tensor, float]:
        logits = self.head(x) / self.temperature
        return logits.softmax(-1), self.temperature


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return WithTemperature().eval(), (torch.randn(2, 4),)


EXPECTED = [("export-error", 20)]
