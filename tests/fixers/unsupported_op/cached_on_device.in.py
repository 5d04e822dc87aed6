"""A Llama-style rotary cache that forward moves to the input's device and stores back on the
module (`self.freqs_cis = self.freqs_cis.to(device=x.device)`): the stored value is complex, so
the rewrite stores the moved real pairs in the pairs view instead."""

import torch
from torch import nn


def cis_table(head_dim: int, positions: int) -> torch.Tensor:
    inv = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angle = torch.outer(torch.arange(positions).float(), inv)
    return torch.polar(torch.ones_like(angle), angle)


class CachedRotary(nn.Module):
    def __init__(self, dim: int = 8, positions: int = 10) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.freqs_cis = cis_table(dim, positions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.freqs_cis = self.freqs_cis.to(device=x.device)
        h = self.proj(x)
        hc = torch.view_as_complex(h.float().reshape(*h.shape[:-1], -1, 2))
        turned = torch.view_as_real(hc * self.freqs_cis[: h.shape[1]]).flatten(-2)
        return turned.type_as(x) + x


def make():
    torch.manual_seed(0)
    return CachedRotary(), (torch.randn(2, 10, 8),)
