"""Two blockers on one path: a branch on a tensor element decides how many parts a `torch.cat`
joins. Every export stops (or bakes) at the branch; the cat is still reported, from the scan of
the lines the eager run executed."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class OptionalDouble(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        parts = [x]
        if x[0, 0] > 0:
            parts.append(x * 2)
        return torch.cat(parts, 0)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return OptionalDouble(), (torch.randn(2, 4).abs(),)


EXPECTED = [("dynamic-branch", 16), ("variable-length-cat", 18)]
