"""`torch.cond`: dynamo exports an ONNX If; the legacy tracer cannot trace a higher-order op. The
failure is the cond line's, under dynamic-branch (not a line of a library imported meanwhile)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Gate(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return torch.cond(x.sum() > 0, lambda t: t.cos(), lambda t: t.sin(), (x,))


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Gate().eval(), (torch.randn(2, 4),)


EXPECTED = [("dynamic-branch", 14)]
