"""A detector head picking a fine or a coarse box regressor by objectness (torch.cond, dynamo)."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BoxRouter(nn.Module):
    def __init__(self, dim: int, threshold: float = 0.0) -> None:
        super().__init__()
        self.objectness = nn.Linear(dim, 1)
        self.fine = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 4))
        self.coarse = nn.Linear(dim, 4)
        self.threshold = threshold

    def forward(self, feat: Tensor) -> tuple[Tensor, Tensor]:
        score = self.objectness(feat).mean()
        boxes = torch.zeros(feat.shape[0], 4)
        if score > self.threshold:
            delta = self.fine(feat)
            boxes += delta.sigmoid()
            conf = score.sigmoid() * torch.ones(feat.shape[0])
        else:
            boxes += self.coarse(feat).tanh()
            conf = torch.zeros(feat.shape[0])
        return boxes, conf


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return BoxRouter(6).eval(), (torch.randn(5, 6),)
