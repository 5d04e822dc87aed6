"""Space-time memory read by a hand-written softmax attention (no nn.MultiheadAttention)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class MemoryRead(nn.Module):
    def __init__(self, dim: int = 8, window: int = 3) -> None:
        super().__init__()
        self.window = window
        self.to_q = nn.Linear(dim, dim)
        self.to_kv = nn.Linear(dim, 2 * dim)
        self.scale = dim ** -0.5

    def attend(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        logits = torch.einsum("bqc,bkc->bqk", q, k) * self.scale
        return F.softmax(logits, dim=-1) @ v

    def forward(self, x: Tensor, store: dict[int, Tensor], t: int) -> Tensor:
        keys = []
        for back in range(self.window, 0, -1):
            if t - back not in store:
                continue
            keys.append(store[t - back])
        if not keys:
            return x
        mem = torch.cat(keys, dim=1)
        k, v = self.to_kv(mem).chunk(2, dim=-1)
        return x + self.attend(self.to_q(x), k, v)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    store = {t: torch.randn(1, 4, 8) for t in (7, 9)}
    return MemoryRead().eval(), (torch.randn(1, 5, 8), store, 10)
