"""Configuration and flag branches: an if/elif/else chain on a string, flags passed as keywords."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class GatedBlock(nn.Module):
    def __init__(self, dim: int, mode: str = "gelu", use_residual: bool = True) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.mode = mode
        self.use_residual = use_residual

    def forward(self, x: Tensor, scale: Tensor | None = None, normalize: bool = False) -> Tensor:
        if self.mode == "relu":
            h = F.relu(self.proj(x))
        elif self.mode == "gelu":
            h = F.gelu(self.proj(x))
        else:
            h = torch.tanh(self.proj(x))
        if normalize:
            h = F.normalize(h, dim=-1)
        h = h * scale if scale is not None else h
        return x + h if self.use_residual else h


def make() -> tuple[nn.Module, tuple[Tensor, ...], dict[str, object]]:
    torch.manual_seed(0)
    return GatedBlock(8).eval(), (torch.randn(3, 8), torch.rand(3, 8)), {"normalize": True}
