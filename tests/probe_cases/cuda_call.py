"""A hard-coded `.cuda()`: on a machine without CUDA it fails before export starts."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class OnGpu(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        scale = torch.ones(x.shape[-1]).cuda()
        return x * scale


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    return OnGpu(), (torch.randn(2, 4),)


EXPECTED = [("hardcoded-device", 13)]
