"""GFNet-style frequency mixing on a channels-last grid with an odd width: a 2-D global filter
(rfft2 over dims (1, 2), default "backward" norm, irfft2 back to the grid's size), then a 1-D
spectral token mixer in a helper function (rfft/irfft over the 15 tokens, norm="forward").
The legacy exporter has no FFT: with both exporters the FFTs become DFT matmuls."""

from __future__ import annotations

import torch
from torch import Tensor, nn


def spectral_mix(tokens: Tensor, weight: Tensor) -> Tensor:
    """Filter `tokens` (batch, length, channels) along the length axis in the frequency domain."""
    length = tokens.shape[1]
    spectrum = torch.fft.rfft(tokens, dim=1, norm="forward")
    spectrum = spectrum * torch.view_as_complex(weight)
    return torch.fft.irfft(spectrum, n=length, dim=1, norm="forward")


class GlobalFilter(nn.Module):
    def __init__(self, height: int, width: int, channels: int) -> None:
        super().__init__()
        self.complex_weight = nn.Parameter(torch.randn(height, width // 2 + 1, channels, 2) * 0.02)

    def forward(self, x: Tensor) -> Tensor:
        _, h, w, _ = x.shape
        x = torch.fft.rfft2(x, dim=(1, 2))
        x = x * torch.view_as_complex(self.complex_weight)
        return torch.fft.irfft2(x, s=(h, w), dim=(1, 2))


class SpectralBlock(nn.Module):
    def __init__(self, height: int = 3, width: int = 5, channels: int = 8) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.filter = GlobalFilter(height, width, channels)
        self.token_weight = nn.Parameter(torch.randn(height * width // 2 + 1, channels, 2))
        self.mlp = nn.Sequential(nn.Linear(channels, 2 * channels), nn.GELU(),
                                 nn.Linear(2 * channels, channels))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.filter(self.norm(x))
        tokens = x.flatten(1, 2)
        tokens = tokens + spectral_mix(tokens, self.token_weight)
        return tokens + self.mlp(tokens)


def make() -> tuple[nn.Module, tuple[Tensor, ...]]:
    torch.manual_seed(0)
    return SpectralBlock().eval(), (torch.randn(2, 3, 5, 8),)
