"""A `while` loop on a tensor value: dynamo refuses it, legacy unrolls the example's count."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Normalize(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        while x.abs().max() > 1:
            x = x / 2
        return x


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Normalize(), (torch.randn(3, 4) * 3,)


EXPECTED = [("dynamic-loop", 13)]
