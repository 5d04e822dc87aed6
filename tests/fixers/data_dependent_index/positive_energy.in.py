"""Energy of the confident detections: `masked_select` keeps the scores above a threshold.

The number of kept scores depends on the data; the outputs are their sum and the kept scores.
The dynamo exporter has no ONNX function for masked_select.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class ConfidentEnergy(nn.Module):
    def __init__(self, threshold: float = 0.2) -> None:
        super().__init__()
        self.threshold = threshold
        self.score = nn.Linear(6, 3)

    def forward(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        scores = self.score(feats).sigmoid()
        keep = scores > self.threshold + 0.3
        kept = scores.masked_select(keep)
        weights = torch.masked_select(scores, keep[:, :1])
        return kept.sum().reshape(1) + weights.sum().reshape(1), kept


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return ConfidentEnergy().eval(), (torch.randn(5, 6),)
