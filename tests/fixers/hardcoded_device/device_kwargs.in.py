"""CUDA devices passed as arguments: device="cuda", torch.device("cuda:0"), .to("cuda")."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PositionalScale(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)

    def forward(self, tokens: Tensor, gain: Tensor) -> Tensor:
        steps = torch.arange(tokens.shape[1], device="cuda", dtype=torch.float32)
        ones = torch.ones(tokens.shape[-1], device=torch.device("cuda:0"))
        scaled = tokens.to("cuda", non_blocking=True) * gain
        return self.proj(scaled + steps[None, :, None] * ones)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return PositionalScale(4).eval(), (torch.randn(2, 5, 4), torch.rand(1))
