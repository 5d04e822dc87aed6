"""A global filter layer in the frequency domain (rfft2, a learned complex filter, irfft2):
the dynamo exporter converts it, so with `--exporter dynamo` nothing is rewritten."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class FrequencyFilter(nn.Module):
    def __init__(self, channels: int = 3, size: int = 6) -> None:
        super().__init__()
        self.size = size
        self.weight = nn.Parameter(torch.randn(channels, size, size // 2 + 1, 2) * 0.1)

    def forward(self, x: Tensor) -> Tensor:
        spectrum = torch.fft.rfft2(x, norm="ortho")
        spectrum = spectrum * torch.view_as_complex(self.weight)
        return torch.fft.irfft2(spectrum, s=(self.size, self.size), norm="ortho") + x


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return FrequencyFilter().eval(), (torch.randn(2, 3, 6, 6),)
