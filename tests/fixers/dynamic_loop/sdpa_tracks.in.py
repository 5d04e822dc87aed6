"""Track queries attend to past frames' embeddings with F.scaled_dot_product_attention.

The bank maps frame ids to bare tensors; each gathered element is `(age, embedding)` and the
age picks a learned temporal embedding. No frame found: the queries pass through unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TrackMemory(nn.Module):
    def __init__(self, dim: int = 8, heads: int = 2, horizon: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.horizon = horizon
        self.age_embed = nn.Parameter(torch.randn(horizon, dim) * 0.1)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def split_heads(self, x: Tensor) -> Tensor:
        b, n, c = x.shape
        return x.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

    def forward(self, tracks: Tensor, bank: dict[int, Tensor], frame_id: int) -> Tensor:
        aged = []
        for age in range(self.horizon):
            emb = bank.get(frame_id - 1 - age)
            if emb is not None:
                aged.append((age, emb))
        if not aged:
            return tracks
        memory = torch.cat([emb + self.age_embed[age] for age, emb in aged], dim=1)
        k, v = self.kv(memory).chunk(2, dim=-1)
        q, k, v = self.split_heads(self.q(tracks)), self.split_heads(k), self.split_heads(v)
        out = F.scaled_dot_product_attention(q, k, v)
        b, h, n, d = out.shape
        return tracks + self.proj(out.transpose(1, 2).reshape(b, n, h * d))


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    bank = {f: torch.randn(1, 3, 8) for f in (10, 11, 13)}
    return TrackMemory().eval(), (torch.randn(1, 5, 8), bank, 14)
