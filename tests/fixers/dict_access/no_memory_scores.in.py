"""A hand-written memory attention (`softmax(q @ k.T)`) that falls back to a learned token when
no past frame is found. The softmax gets the key mask; the filler's tokens are counted on an
empty memory and attended to only when every slot is empty."""

import math

import torch
from torch import nn


class RecallOrToken(nn.Module):
    def __init__(self, dim: int = 8, num_mem: int = 4) -> None:
        super().__init__()
        self.num_mem = num_mem
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.empty = nn.Parameter(torch.randn(2, dim) * 0.5)

    def _attend(self, x: torch.Tensor, mem: torch.Tensor) -> torch.Tensor:
        k, v = self.kv(mem).chunk(2, dim=-1)
        scores = self.q(x) @ k.transpose(-1, -2) / math.sqrt(x.shape[-1])
        return scores.softmax(dim=-1) @ v

    def forward(self, x: torch.Tensor, memory: dict[int, torch.Tensor], frame_idx: int) -> torch.Tensor:
        feats = []
        for t in range(1, self.num_mem):
            prev = memory.get(frame_idx - t)
            if prev is None:
                continue
            feats.append(prev)
        if len(feats) == 0:
            feats.append(self.empty.expand(x.shape[0], -1, -1))
        mem = torch.cat(feats, dim=1)
        return x + self._attend(x, mem)


def make():
    torch.manual_seed(0)
    memory = {3: torch.randn(1, 4, 8), 4: torch.randn(1, 4, 8)}
    return RecallOrToken().eval(), (torch.randn(1, 6, 8), memory, 5)
