"""Rotary attention that broadcasts a complex frequency table by indexing it
(`table[None, :n, None, :]`), as LLaMA-style code does, and reads its last entry with `...`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def rotary_table(head_dim: int, tokens: int, base: float = 500.0) -> Tensor:
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(tokens).float(), inv)
    return torch.polar(torch.ones_like(angles), angles)


def rotate(x: Tensor, table: Tensor) -> Tensor:
    pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(pairs * table[None, :, None, :]).flatten(3).type_as(x)


class RotaryBlock(nn.Module):
    def __init__(self, dim: int = 16, heads: int = 2, tokens: int = 12) -> None:
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.register_buffer("table", rotary_table(self.head_dim, tokens), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.head_dim).unbind(2)
        table = self.table[:n]
        q, k = rotate(q, table), rotate(k, table)
        phase = table[..., -1].imag.sum()
        o = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.out(o.transpose(1, 2).reshape(b, n, -1)) * phase.cos()


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return RotaryBlock().eval(), (torch.randn(2, 10, 16),)
