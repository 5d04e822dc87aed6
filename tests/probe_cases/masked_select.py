"""`masked_select` has no ONNX function in the dynamo exporter: its output size is data-dependent,
the data-dependent-index rule's pattern (as the static scan files it)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Positives(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        picked = torch.masked_select(x, x > 0)
        return picked * 2


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Positives(), (torch.randn(4, 4),)


EXPECTED = [("data-dependent-index", 14)]
