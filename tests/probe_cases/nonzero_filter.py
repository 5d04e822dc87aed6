"""Filtering with `nonzero`: exports under both exporters (the count is a dynamic dim)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class KeepConfident(nn.Module):
    def forward(self, boxes: Tensor, scores: Tensor) -> Tensor:
        keep = torch.nonzero(scores > 0.5).squeeze(1)
        return boxes[keep] * 2


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    scores = torch.tensor([0.9, 0.1, 0.8, 0.2, 0.7, 0.6])
    return KeepConfident(), (torch.randn(6, 4), scores)


EXPECTED: list[tuple[str, int]] = []
