"""A nested state dict with an anchor entry, read through a user attention module."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MemoryReader(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, 2)

    def forward(self, query: Tensor, keys: Tensor) -> Tensor:
        return query + self.attn(query, keys, keys, need_weights=False)[0]


class RecentFrames(nn.Module):
    def __init__(self, dim: int, window: int) -> None:
        super().__init__()
        self.window = window
        self.age_embed = nn.Parameter(torch.randn(window + 1, 1, 1, dim) * 0.1)
        self.reader = MemoryReader(dim)

    def forward(self, query: Tensor, state: dict[str, object], step: int) -> Tensor:
        picked = [(0, state["anchor"])]
        for back in range(self.window, 0, -1):
            frame = state["frames"].get(step - back)
            if frame is not None:
                picked.append((back, frame))
        tokens = []
        for back, frame in picked:
            tokens.append((frame["tokens"] + self.age_embed[back]).flatten(0, 1))
        keys = torch.cat(tokens, dim=0)
        return self.reader(query, keys)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)

    def entry() -> dict[str, Tensor]:
        return {"tokens": torch.randn(2, 3, 2, 8)}

    state = {"anchor": entry(), "frames": {3: entry()}}
    return RecentFrames(8, window=2).eval(), (torch.randn(5, 2, 8), state, 4)
