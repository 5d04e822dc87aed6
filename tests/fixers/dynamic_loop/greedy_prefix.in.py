"""Greedy decoding that returns only the decoded prefix: the step counter indexes the token
buffer inside the loop and, after it, slices the buffer to the steps the decoder ran."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class PrefixDecoder(nn.Module):
    def __init__(self, vocab: int, dim: int, limit: int = 5, stop_id: int = 0) -> None:
        super().__init__()
        self.token_table = nn.Embedding(vocab, dim)
        self.update = nn.GRUCell(dim, dim)
        self.classify = nn.Linear(dim, vocab)
        self.limit = limit
        self.stop_id = stop_id

    def forward(self, start: Tensor) -> tuple[Tensor, Tensor]:
        state = torch.tanh(start)
        ids = torch.full((start.shape[0], self.limit + 1), self.stop_id, dtype=torch.long)
        prev = torch.full((start.shape[0],), 2, dtype=torch.long)
        n = 0
        while n <= self.limit:
            state = self.update(self.token_table(prev), state)
            prev = F.softmax(self.classify(state), dim=-1).argmax(dim=-1)
            ids[:, n] = prev
            if (prev == self.stop_id).all():
                break
            n += 1
        return ids[:, : n + 1], state


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return PrefixDecoder(6, 6, stop_id=4).eval(), (torch.randn(1, 6),)
