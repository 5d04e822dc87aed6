"""1-D rotary encoding with the complex table built in forward (torch.polar), no helper function."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class RotaryMixer(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.inv_freq = nn.Parameter(1.0 / (100.0 ** (torch.arange(0, dim, 2).float() / dim)),
                                     requires_grad=False)

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        angles = positions[:, None] * self.inv_freq[None, :]
        rotation = torch.polar(torch.ones_like(angles), angles)
        pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
        rotated = torch.view_as_real(pairs * rotation.unsqueeze(0)).flatten(2)
        return self.proj(rotated)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return RotaryMixer(8).eval(), (torch.randn(2, 5, 8), torch.arange(5).float())
