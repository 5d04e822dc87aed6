"""A point sampler that keeps the highest-scoring points, as many as pass the threshold but at
most `max_points`: the count comes from the data through `int(...)` and a Python `min`."""

import torch
from torch import nn


class CappedPoints(nn.Module):
    def __init__(self, max_points: int = 3) -> None:
        super().__init__()
        self.max_points = max_points
        self.encode = nn.Linear(2, 8)

    def forward(self, coords: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        ranked = logits.argsort(descending=True)
        passing = logits.sigmoid() > 0.5
        count = min(int(passing.sum()), self.max_points)
        chosen = ranked[:count]
        return self.encode(coords[chosen])


def make():
    torch.manual_seed(0)
    return CappedPoints(), (torch.rand(6, 2), torch.tensor([2.0, -1.0, 0.5, -3.0, 1.5, -0.2]))
