"""A block written in the export-friendly way: nothing in it depends on tensor values.

A fixed stack of residual MLP layers, dropout only in training, an optional bias, shapes used
only to reshape, and a concatenation of a fixed tuple.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class CleanBlock(nn.Module):
    """Residual pre-norm MLP layers over (batch, tokens, dim)."""

    def __init__(self, dim: int, depth: int, num_groups: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(depth))
        self.norms = nn.ModuleList(nn.LayerNorm(dim) for _ in range(depth))
        self.dropout = nn.Dropout(dropout)
        self.num_groups = num_groups

    def forward(self, x: Tensor, bias: Tensor | None = None, scale: float = 1.0) -> Tensor:
        b, n, c = x.shape
        for layer, norm in zip(self.layers, self.norms):
            x = x + layer(norm(x))
        if self.training:
            x = self.dropout(x)
        if bias is not None:
            x = x + bias
        grouped = x.view(b, n, self.num_groups, c // self.num_groups)
        grouped = grouped.softmax(dim=-1)
        x = grouped.reshape(b, n, c)
        return torch.cat((x, x * scale), dim=-1)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Batch 2, 6 tokens of 16 channels, no bias."""
    torch.manual_seed(0)
    block = CleanBlock(dim=16, depth=3, num_groups=4).eval()
    x = torch.randn(2, 6, 16)
    return block, (x,)
