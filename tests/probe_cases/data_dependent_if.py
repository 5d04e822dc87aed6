"""A branch on a tensor value: dynamo refuses it, legacy bakes the path taken."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class GatedResidual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x: Tensor) -> Tensor:
        y = self.proj(x)
        if y.mean() > 0:
            return x + y
        return x - y


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return GatedResidual(), (torch.randn(2, 8) + 1.0,)


EXPECTED = [("dynamic-branch", 18)]
