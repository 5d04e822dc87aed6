"""A custom autograd Function whose `symbolic` emits a plugin op: the legacy exporter writes the
op, which onnxruntime cannot load; dynamo traces the Function's forward and exports it."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class QuickSwish(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.5 * x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad

    @staticmethod
    def symbolic(g: Any, x: Any) -> Any:
        return g.op("my_plugins::QuickSwish", x)


class Head(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(6, 12)
        self.down = nn.Linear(12, 3)

    def forward(self, x: Tensor) -> Tensor:
        hidden = QuickSwish.apply(self.up(x))
        return self.down(hidden)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Head(), (torch.randn(4, 6),)


EXPECTED = [("unsupported-op", 33)]
