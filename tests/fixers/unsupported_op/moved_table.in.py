"""A complex rotary table built once in __init__, moved to the input's device in forward
before the rotation: the move keeps the table's values and works on its real pairs too."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def rotary_table(dim: int, length: int) -> Tensor:
    inv = 1.0 / (10000.0 ** (torch.arange(0, dim, 2).float() / dim))
    angles = torch.outer(torch.arange(length).float(), inv)
    return torch.polar(torch.ones_like(angles), angles)


class RotaryMixer(nn.Module):
    def __init__(self, dim: int, length: int) -> None:
        super().__init__()
        self.inp = nn.Linear(dim, 2 * dim)
        self.table = rotary_table(dim, length)

    def spin(self, x: Tensor, table: Tensor) -> Tensor:
        pairs = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(pairs * table).flatten(-2).type_as(x)

    def forward(self, x: Tensor) -> Tensor:
        q, k = self.inp(x).chunk(2, dim=-1)
        table = self.table[: x.shape[1]].to(x.device)
        q, k = self.spin(q, table), self.spin(k, table)
        return (q @ k.transpose(-1, -2)).softmax(-1) @ x


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return RotaryMixer(8, 12).eval(), (torch.randn(2, 12, 8),)
