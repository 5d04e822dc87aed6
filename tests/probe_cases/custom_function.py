"""A custom autograd Function: its forward is traced, so it exports under both exporters."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class ClampGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x.clamp(-1.0, 1.0) * 0.5

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad * 0.5


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x: Tensor) -> Tensor:
        return ClampGrad.apply(self.proj(x))


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Block(), (torch.randn(3, 4),)


EXPECTED: list[tuple[str, int]] = []
