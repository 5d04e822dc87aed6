"""A confidence computed as a Python float (`float(probs.max())`) returned beside the tensor.

The dynamo exporter outputs it as a 0-d tensor that matches eager's number: no divergence.
The legacy tracer cannot output it (no data dependence it can observe): an export error at
the `return`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Confidence(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(5, 3)

    def forward(self, x: Tensor) -> tuple[Tensor, float]:
        probs = self.head(x).softmax(dim=-1)
        top = float(probs.max())
        return probs, top


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Confidence().eval(), (torch.randn(2, 5),)


EXPECTED = [("tensor-to-python", 23), ("export-error", 24)]
