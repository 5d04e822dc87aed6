"""Rows picked by an integer index tensor, with and without a trailing ellipsis."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RowPicker(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, table: Tensor, maps: Tensor, ids: Tensor) -> Tensor:
        rows = self.proj(table)[ids]
        picked = maps[ids, ...]
        return picked.mean(dim=(-2, -1)) + rows


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return RowPicker(4).eval(), (torch.randn(3, 4), torch.randn(3, 4, 5, 5), torch.tensor([2, 0, 2, 1]))
