"""`.item()` turned into a size: dynamo keeps it symbolic, legacy bakes the example value."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class TakeFirst(nn.Module):
    def forward(self, x: Tensor, count: Tensor) -> Tensor:
        k = int(count.max().item())
        return x[:k] * 2


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    return TakeFirst(), (torch.randn(6, 4), torch.tensor([3]))


EXPECTED = [("tensor-to-python", 13), ("data-dependent-index", 14)]  # 14: from the scan of executed lines
