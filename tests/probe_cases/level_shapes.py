"""Level shapes given as an integer tensor (multi-scale deformable attention): `.tolist()` sizes
the split. Legacy bakes the shapes; random integers make no valid shapes, so only the same
shapes in another order (the "reordered" input set) show that its graph ignores them."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Levels(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, value: Tensor, spatial_shapes: Tensor) -> Tensor:
        sizes = [h * w for h, w in spatial_shapes.tolist()]
        pooled = []
        for (h, w), level in zip(spatial_shapes.tolist(), value.split(sizes, dim=1)):
            grid = level.transpose(1, 2).reshape(level.shape[0], 8, h, w)
            pooled.append(F.adaptive_avg_pool2d(grid, 1).flatten(1) * h)
        return self.proj(torch.stack(pooled, 1).sum(1))


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Levels().eval(), (torch.randn(2, 64 + 16 + 4, 8), torch.tensor([[8, 8], [4, 4], [2, 2]]))


EXPECTED = [("tensor-to-python", 20), ("tensor-to-python", 22), ("tensor-to-python", 24)]  # 24: dynamo guards in the pool
