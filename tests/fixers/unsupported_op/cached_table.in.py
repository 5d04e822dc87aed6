"""Axial RoPE with a complex table cached at construction and a helper that rotates q and k."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def rotate(xq: Tensor, xk: Tensor, table: Tensor) -> tuple[Tensor, Tensor]:
    q = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    k = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    table = table.view(1, 1, *table.shape)
    return torch.view_as_real(q * table).flatten(3), torch.view_as_real(k * table).flatten(3)


class TinyRopeAttention(nn.Module):
    def __init__(self, dim: int, heads: int, tokens: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        half = dim // heads // 2
        angles = torch.outer(torch.arange(tokens).float(), torch.linspace(0.1, 1.0, half))
        self.table = torch.polar(torch.ones_like(angles), angles)

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = rotate(q, k, self.table)
        return F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return TinyRopeAttention(8, heads=2, tokens=6).eval(), (torch.randn(2, 6, 8),)
