"""A dict as the last positional argument: torch.onnx.export takes it as keyword arguments."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class ReadMemory(nn.Module):
    def forward(self, x: Tensor, memory: dict[str, Tensor]) -> Tensor:
        return x + memory["frame_0"]


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    return ReadMemory(), (torch.randn(4), {"frame_0": torch.randn(4)})


EXPECTED = [("list-tensor-input", 12)]
