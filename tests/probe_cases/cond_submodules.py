"""`torch.cond` whose branches call submodules: eager runs it through torch.compile, which
refuses the probe's recording hooks as side effects; the eager pass runs again without them,
so the finding is the legacy failure at the cond line (dynamic-branch), not an eager failure."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class Router(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wide = nn.Linear(4, 4)
        self.narrow = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 4))

    def forward(self, x: Tensor) -> Tensor:
        routed = torch.cond(x.mean() > 0, lambda t: self.wide(t), lambda t: self.narrow(t), (x,))
        return routed * 2


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    torch.manual_seed(0)
    return Router().eval(), (torch.randn(3, 4),)


EXPECTED = [("dynamic-branch", 20)]
