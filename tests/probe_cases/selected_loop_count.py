"""A loop over the rows a mask selected, beside a test on a shape that never changes.

The legacy tracer warns at both lines; only the loop count differs between the example and the
inputs it diverges on, so only the loop is blamed (the shape test decided alike on every
diverging input). The dynamo exporter fails at the count itself.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class SumSelected(nn.Module):
    def forward(self, boxes: Tensor, scores: Tensor) -> Tensor:
        keep = boxes[scores > 0.5]
        if keep.shape[1] == 4:
            keep = keep * 2
        total = boxes[0] * 0
        for i in range(len(keep)):
            total = total + keep[i]
        return total


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    scores = torch.tensor([0.9, 0.1, 0.8, 0.2, 0.7])
    return SumSelected(), (torch.rand(5, 4), scores)


EXPECTED = [("dynamic-loop", 22)]
