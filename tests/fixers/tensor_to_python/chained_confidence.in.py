"""A confidence computed through a chain of locals (submodule, activation, reduction), then cast
to a float that only feeds arithmetic: the cast is found however many locals it passes through."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConfidenceTemperature(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)
        self.value = nn.Linear(dim, dim)

    def forward(self, tokens: Tensor) -> Tensor:
        logits = self.score(tokens)
        probs = logits.sigmoid()
        centred = probs - 0.5
        conf = centred.abs().mean()
        temperature = float(conf) * 2.0 + 1.0
        return self.value(tokens).softmax(-1) / temperature


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return ConfidenceTemperature(6).eval(), (torch.randn(3, 6),)
