"""`round()` of a size and `torch.sym_min` (tensor-to-python): dynamo keeps sizes symbolic; under the legacy tracer
sizes are traced tensors and both fail. The export stops at the round line;
the sym_min line comes from the scan of the lines the eager run executed."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Resize(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        h = round(x.shape[-1] * 0.5)
        n = torch.sym_min(x.shape[0], 4)
        return F.interpolate(x[:n], size=(h, h))


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Resize().eval(), (torch.randn(1, 2, 8, 8),)


EXPECTED = [("tensor-to-python", 16), ("tensor-to-python", 17)]  # 16: from the scan of executed lines
