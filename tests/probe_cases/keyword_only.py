"""Keyword-only forward parameters: dynamo exports them (and renames `x` to `x_orig`, which probe
feeds by position); the legacy tracer passes every argument by position and fails at the call."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Scaled(nn.Module):
    def forward(self, x: Tensor, *, scale: Tensor | None = None) -> Tensor:
        return x if scale is None else x * scale


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Scaled().eval(), (torch.randn(2, 4),)


EXPECTED = [("list-tensor-input", 13)]
