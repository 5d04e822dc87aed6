"""Shape checks in forward: the legacy tracer warns on them and drops them, but no output depends
on a check, so nothing is baked and both exporters are cleared."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Checked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 3)

    def forward(self, x: Tensor) -> Tensor:
        assert x.shape[-1] == 3, "three features"
        torch._assert(x.dim() == 2, "a batch of rows")
        return self.proj(x)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Checked().eval(), (torch.randn(4, 3),)


EXPECTED: list[tuple[str, int]] = []
