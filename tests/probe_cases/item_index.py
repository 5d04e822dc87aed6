"""`.item()` used as an index: fine under dynamo, silently baked by legacy."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class PickRow(nn.Module):
    def forward(self, x: Tensor, row: Tensor) -> Tensor:
        return x[row.item()] + 1


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    return PickRow(), (torch.randn(5, 3), torch.tensor(2))


EXPECTED = [("data-dependent-index", 13)]
