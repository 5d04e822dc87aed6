"""Greedy decoding into a fixed-size token buffer: stop when every sequence emitted the end token."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class GreedyDecoder(nn.Module):
    def __init__(self, vocab: int, dim: int, max_len: int = 6, eos: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.cell = nn.GRUCell(dim, dim)
        self.head = nn.Linear(dim, vocab)
        self.max_len = max_len
        self.eos = eos

    def forward(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        hidden = memory
        tokens = torch.full((memory.shape[0], self.max_len), self.eos, dtype=torch.long)
        token = torch.ones(memory.shape[0], dtype=torch.long)
        for t in range(self.max_len):
            hidden = self.cell(self.embed(token), hidden)
            token = self.head(hidden).argmax(dim=-1)
            tokens[:, t] = token
            if (token == self.eos).all():
                break
        return tokens, hidden


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return GreedyDecoder(5, 8, eos=3).eval(), (torch.randn(2, 8),)
