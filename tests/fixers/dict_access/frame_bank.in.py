"""A flat frame bank keyed by frame index, read by nn.MultiheadAttention (batch first)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FrameBankReader(nn.Module):
    def __init__(self, dim: int, window: int) -> None:
        super().__init__()
        self.window = window
        self.null_token = nn.Parameter(torch.randn(1, 1, dim))
        self.age = nn.Parameter(torch.randn(window, dim) * 0.1)
        self.attn = nn.MultiheadAttention(dim, 2, batch_first=True)

    def forward(self, query: Tensor, bank: dict[int, dict[str, Tensor]], step: int) -> Tensor:
        found = []
        for back in range(1, self.window + 1):
            frame = bank.get(step - back)
            if frame is None:
                continue
            found.append((back, frame))
        tokens = [self.null_token.expand(query.shape[0], -1, -1)]
        for back, frame in found:
            tokens.append(frame["tokens"] + self.age[back - 1])
        keys = torch.cat(tokens, dim=1)
        return self.attn(query, keys, keys, need_weights=False)[0]


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    bank = {s: {"tokens": torch.randn(2, 3, 8)} for s in (6, 8)}
    return FrameBankReader(8, window=3).eval(), (torch.randn(2, 4, 8), bank, 9)
