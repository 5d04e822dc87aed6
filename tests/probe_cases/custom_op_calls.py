"""Several calls of a plugin Function defined in another file: one finding per call that ran
(an alias in a helper included), none for the call in the branch eval mode skips."""

from __future__ import annotations

from typing import Any

import torch
from custom_op_plugins import ScaledTanh
from torch import Tensor, nn

scaled_tanh = ScaledTanh.apply


def gate(x: Tensor) -> Tensor:
    return scaled_tanh(x) * x


class Gated(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.inp = nn.Linear(5, 5)
        self.out = nn.Linear(5, 2)

    def forward(self, x: Tensor) -> Tensor:
        h = ScaledTanh.apply(self.inp(x))
        if self.training:
            h = ScaledTanh.apply(h)
        h = gate(h)
        return self.out(
            ScaledTanh.apply(h)
        )


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Gated(), (torch.randn(3, 5),)


EXPECTED = [("unsupported-op", 16), ("unsupported-op", 26), ("unsupported-op", 31)]
