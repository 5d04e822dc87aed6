"""Object-query memory gathered by a list comprehension over the bank's sorted frame keys
(the keys are walked, not looked up): the example's frame count is the slot count."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class QueryMemoryReader(nn.Module):
    def __init__(self, dim: int = 8) -> None:
        super().__init__()
        self.read = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.norm = nn.LayerNorm(dim)

    def forward(self, queries: Tensor, bank: dict[int, Tensor]) -> Tensor:
        recalled = [bank[t] * 0.5 for t in sorted(bank.keys(), reverse=True)]
        if not recalled:
            return self.norm(queries)
        context = torch.cat(recalled, dim=1)
        update, _ = self.read(queries, context, context, need_weights=False)
        return self.norm(queries + update)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    bank = {t: torch.randn(1, 3, 8) for t in (1, 4, 6)}
    return QueryMemoryReader().eval(), (torch.randn(1, 4, 8), bank)
