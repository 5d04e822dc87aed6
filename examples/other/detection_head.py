"""A detection head that keeps the queries scoring above a threshold, as post-processing often does.

How many boxes come out depends on the scores, so both the control flow and the output shapes
depend on tensor values.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class ThresholdDetectionHead(nn.Module):
    """Score each query, drop the ones under `score_threshold`, return the best `max_detections`."""

    def __init__(self, dim: int, score_threshold: float, max_detections: int) -> None:
        super().__init__()
        self.class_embed = nn.Linear(dim, 1)
        self.bbox_embed = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, 4))
        self.score_threshold = score_threshold
        self.max_detections = max_detections

    def forward(self, queries: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        scores = self.class_embed(queries).squeeze(-1).sigmoid()  # (num_queries,)
        boxes = self.bbox_embed(queries).sigmoid()  # (num_queries, 4) as cx, cy, w, h
        if scores.max() < self.score_threshold:
            # Nothing detected: fall back to the single best query.
            best = scores.argmax(dim=0, keepdim=True)
            return boxes[best], scores[best], best
        keep = scores > self.score_threshold
        kept_ids = keep.nonzero().squeeze(1)
        boxes = boxes[keep]
        scores = scores[keep]
        num_kept = keep.sum().item()
        order = scores.argsort(descending=True)[: min(int(num_kept), self.max_detections)]
        return boxes[order], scores[order], kept_ids[order]


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Ten queries of 16 channels; with the seed used, 4 of them pass the 0.55 threshold."""
    torch.manual_seed(0)
    head = ThresholdDetectionHead(dim=16, score_threshold=0.55, max_detections=3).eval()
    queries = torch.randn(10, 16)
    return head, (queries,)
