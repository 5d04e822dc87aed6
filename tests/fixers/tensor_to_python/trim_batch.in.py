"""A speech encoder trims its padded batch to the longest utterance before attending.

Both trims bound slices with a Python number from a tensor (`int(...)` inline, `.item()` through
a local): the legacy tracer would bake the example's length, so the fix bounds them with the
tensor itself; the output's length follows the data.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TrimmedEncoder(nn.Module):
    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, frames: Tensor, valid: Tensor) -> Tensor:
        longest = valid.sum(dim=1).max().item()
        kept = frames[:, :longest]
        gates = valid[:, : int(valid.sum(dim=1).max())].unsqueeze(-1)
        return self.proj(kept) * gates


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    valid = torch.tensor([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]], dtype=torch.bool)
    return TrimmedEncoder().eval(), (torch.randn(2, 6, 8), valid)
