"""Attention with 2-D axial rotary position encoding in complex numbers, as SAM2/SAM3 encoders do.

The frequencies for an `end_x` x `end_y` token grid are unit complex numbers (`torch.polar`);
queries and keys are viewed as complex pairs, rotated by a complex multiply, and viewed back
as real. The table is cached for the grid size seen at construction and rebuilt in `forward`
when the grid changes.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def init_t_xy(end_x: int, end_y: int) -> tuple[Tensor, Tensor]:
    t = torch.arange(end_x * end_y, dtype=torch.float32)
    t_x = (t % end_x).float()
    t_y = torch.div(t, end_x, rounding_mode="floor").float()
    return t_x, t_y


def compute_axial_cis(dim: int, end_x: int, end_y: int, theta: float = 10000.0) -> Tensor:
    freqs_x = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
    freqs_y = 1.0 / (theta ** (torch.arange(0, dim, 4)[: (dim // 4)].float() / dim))
    t_x, t_y = init_t_xy(end_x, end_y)
    freqs_x = torch.outer(t_x, freqs_x)
    freqs_y = torch.outer(t_y, freqs_y)
    freqs_cis_x = torch.polar(torch.ones_like(freqs_x), freqs_x)
    freqs_cis_y = torch.polar(torch.ones_like(freqs_y), freqs_y)
    return torch.cat([freqs_cis_x, freqs_cis_y], dim=-1)


def apply_rotary_enc(xq: Tensor, xk: Tensor, freqs_cis: Tensor) -> tuple[Tensor, Tensor]:
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    # (tokens, dim/2) -> (1, 1, tokens, dim/2) to broadcast over batch and heads
    freqs_cis = freqs_cis.view(1, 1, *freqs_cis.shape)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


class RoPEAttention(nn.Module):
    """Multi-head self-attention over a (batch, H*W, dim) token grid with axial RoPE."""

    def __init__(self, dim: int, num_heads: int, feat_sizes: tuple[int, int]) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.feat_sizes = feat_sizes
        self.freqs_cis = compute_axial_cis(self.head_dim, feat_sizes[0], feat_sizes[1])

    def forward(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        w = h = math.isqrt(n)
        if self.freqs_cis.shape[0] != n:
            self.freqs_cis = compute_axial_cis(self.head_dim, w, h)
        q, k = apply_rotary_enc(q, k, self.freqs_cis)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, c))


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """A 4x4 token grid, batch 2, 2 heads of 8 channels."""
    torch.manual_seed(0)
    attn = RoPEAttention(dim=16, num_heads=2, feat_sizes=(4, 4)).eval()
    x = torch.randn(2, 16, 16)
    return attn, (x,)
