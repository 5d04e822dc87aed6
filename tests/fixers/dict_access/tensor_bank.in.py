"""Temporal feature bank keyed by frame number: bare tensors, read by nn.MultiheadAttention."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TemporalFusion(nn.Module):
    def __init__(self, dim: int = 8, span: int = 3) -> None:
        super().__init__()
        self.span = span
        self.embed = nn.Linear(4, dim)
        self.attn = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.out = nn.Linear(dim, dim)

    def forward(self, feats: Tensor, history: dict[int, Tensor], frame: Tensor) -> Tensor:
        query = self.embed(feats)
        past = []
        for lag in range(1, self.span + 1):
            prev = history.get(int(frame) - lag)
            if prev is None:
                continue
            past.append(prev)
        if len(past) == 0:
            return self.out(query)
        context = torch.cat(past, dim=1)
        fused, _ = self.attn(query, context, context, need_weights=False)
        return self.out(query + fused)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    history = {t: torch.randn(2, 5, 8) for t in (3, 5)}
    return TemporalFusion().eval(), (torch.randn(2, 6, 4), history, torch.tensor(6))
