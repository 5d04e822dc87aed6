"""`amax()` without `dim` (a peak over the whole heatmap): legacy converts it, but dynamo's ONNX
amax function requires `dim`, so the dynamo export fails at conversion, at this line."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class PeakNormalize(nn.Module):
    def forward(self, heat: Tensor) -> Tensor:
        peak = heat.sigmoid().amax()
        return heat.sigmoid() / peak.clamp(min=1e-6)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return PeakNormalize(), (torch.randn(1, 2, 8, 8),)


EXPECTED = [("unsupported-op", 14)]
