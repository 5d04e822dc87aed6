"""A list of multi-scale feature maps, merged top-down."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TopDown(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.smooth = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, feats: list[Tensor]) -> Tensor:
        out = feats[-1]
        for feat in reversed(feats[:-1]):
            out = feat + F.interpolate(out, size=feat.shape[-2:], mode="nearest")
        return self.smooth(out)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    feats = [torch.randn(2, 4, s, s) for s in (8, 4, 2)]
    return TopDown(4).eval(), (feats,)
