"""Host offload with pin_memory and a hard-coded .cuda() on the way back."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Offload(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.enc = nn.Linear(dim, dim)
        self.dec = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        kept = self.enc(x).half().pin_memory()
        back = kept.cuda().float()
        return self.dec(back)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return Offload(6).eval(), (torch.randn(3, 6),)
