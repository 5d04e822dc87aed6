"""Box decoding written in numpy between two tensors: the legacy tracer records the numpy result
for the example as a constant; the fix writes the same math with torch ops."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn


class NumpyDecode(nn.Module):
    def __init__(self, limit: float = 16.0) -> None:
        super().__init__()
        self.limit = limit
        self.regress = nn.Linear(6, 2)

    def forward(self, feats: Tensor) -> Tensor:
        offsets = self.regress(feats).detach().numpy()
        sizes = np.clip(np.exp(offsets), 0.0, self.limit)
        return torch.from_numpy(sizes.astype(np.float32))


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return NumpyDecode().eval(), (torch.randn(4, 6),)
