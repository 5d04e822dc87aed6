"""A Python number from a tensor used as a slice size: the legacy tracer bakes it, dynamo does not."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TopFraction(nn.Module):
    def forward(self, scores: Tensor) -> Tensor:
        count = (scores > 0).sum().item()
        ordered = scores.sort(descending=True).values
        return ordered[: max(int(count), 1)] * 2.0


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return TopFraction().eval(), (torch.randn(8),)
