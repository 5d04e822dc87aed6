"""Greedy decoding with a step counter: each step's log-probabilities go to a fixed-size buffer
at `step`, and decoding stops once every sequence in the batch has emitted the end token.
Sequences that ended are padded with it (`alive` is an integer mask: onnxruntime has no `Where`
for bool values, which a bool flag carried by the masked loop would need)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class StepDecoder(nn.Module):
    def __init__(self, vocab: int, dim: int, max_steps: int = 7, end_token: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.LSTMCell(dim, dim)
        self.proj = nn.Linear(dim, vocab)
        self.max_steps = max_steps
        self.end_token = end_token

    def forward(self, context: Tensor) -> tuple[Tensor, Tensor]:
        batch = context.shape[0]
        h, c = context, torch.zeros_like(context)
        token = torch.zeros(batch, dtype=torch.long)
        alive = torch.ones(batch, dtype=torch.long)
        scores = torch.zeros(batch, self.max_steps, self.proj.out_features)
        tokens = torch.full((batch, self.max_steps), self.end_token, dtype=torch.long)
        step = 0
        while step < self.max_steps:
            h, c = self.rnn(self.embed(token), (h, c))
            logits = self.proj(h)
            scores[:, step] = logits.log_softmax(dim=-1)
            token = logits.argmax(dim=-1)
            tokens[:, step] = torch.where(alive > 0, token, self.end_token)
            alive = alive * (token != self.end_token).long()
            step += 1
            if alive.sum() == 0:
                break
        return tokens, scores


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(1)
    return StepDecoder(5, 8).eval(), (torch.randn(2, 8),)
