"""A tuple of two tensors and a dict of named tensors, returned as a dict of outputs."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PairScorer(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.mix = nn.Linear(dim, dim)

    def forward(self, pair: tuple[Tensor, Tensor], extras: dict[str, Tensor]) -> dict[str, Tensor]:
        left, right = pair
        logits = ((left + extras["bias"]) * self.mix(right)).sum(-1) * extras["temperature"]
        return {"logits": logits, "probs": logits.sigmoid()}


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    pair = (torch.randn(5, 3), torch.randn(5, 3))
    extras = {"bias": torch.randn(3), "temperature": torch.tensor(0.5)}
    return PairScorer(3).eval(), (pair, extras)
