"""Rotary encoding with complex numbers built in forward: legacy cannot export complex ops."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


def rotate(x: Tensor, angles: Tensor) -> Tensor:
    freqs = torch.polar(torch.ones_like(angles), angles)
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(pairs * freqs).flatten(-2).type_as(x)


class RoPE(nn.Module):
    def __init__(self, tokens: int, dim: int) -> None:
        super().__init__()
        self.register_buffer("angles", torch.outer(torch.arange(tokens).float(),
                                                    torch.rand(dim // 2)))

    def forward(self, x: Tensor) -> Tensor:
        return rotate(x, self.angles)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return RoPE(6, 8), (torch.randn(2, 6, 8),)


EXPECTED = [("unsupported-op", 12), ("unsupported-op", 13)]  # 13: reported by the scan of executed lines
