"""Not a case: a plugin library that custom_op_calls.py imports, its op domain in a constant."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

DOMAIN = "acme_plugins"


class ScaledTanh(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return 0.5 * torch.tanh(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return 0.5 * grad

    @staticmethod
    def symbolic(g: Any, x: Any) -> Any:
        return g.op(f"{DOMAIN}::ScaledTanh", x)
