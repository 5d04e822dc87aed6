"""A forward that writes to its input in place: both exporters keep the write, and onnxruntime
matches eager as long as each run gets its own copy of the inputs (no false divergence)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Scale(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        x.mul_(2)
        return x.cos()


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Scale().eval(), (torch.randn(2, 3),)


EXPECTED: list[tuple[str, int]] = []
