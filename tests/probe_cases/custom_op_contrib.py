"""A Function whose `symbolic` emits an onnxruntime contrib op (`com.microsoft::Gelu`):
onnxruntime runs it, so both exporters clear the target."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ContribGelu(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return F.gelu(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad

    @staticmethod
    def symbolic(g: Any, x: Any) -> Any:
        return g.op("com.microsoft::Gelu", x)


class Ffn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 8)

    def forward(self, x: Tensor) -> Tensor:
        return ContribGelu.apply(self.proj(x)).sum(-1)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Ffn(), (torch.randn(2, 4),)


EXPECTED: list[tuple[str, int]] = []
