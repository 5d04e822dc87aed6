"""A memory encoder that offloads memories to pinned host memory, as real video trackers do.

The device is hard-coded in `forward`, behind no condition. On a machine without a GPU the
eager forward already fails, so no exporter can trace it there.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class OffloadingMemoryEncoder(nn.Module):
    """Encode a frame's features into a memory, store it on the host, bring it back for fusion."""

    def __init__(self, dim: int, mem_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(dim, mem_dim, kernel_size=1)
        self.fuse = nn.Conv2d(mem_dim, mem_dim, kernel_size=3, padding=1)

    def forward(self, pix_feat: Tensor, mask: Tensor) -> Tensor:
        memory = self.proj(pix_feat * mask.sigmoid())
        stored = memory.to(torch.bfloat16).cpu().pin_memory()
        restored = stored.cuda(non_blocking=True).float()
        pos = torch.zeros(restored.shape, device="cuda")
        return self.fuse(restored + pos)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Batch 2, 16 channels on an 8x8 map (construction and inputs live on the CPU)."""
    torch.manual_seed(0)
    encoder = OffloadingMemoryEncoder(dim=16, mem_dim=8).eval()
    pix_feat = torch.randn(2, 16, 8, 8)
    mask = torch.randn(2, 1, 8, 8)
    return encoder, (pix_feat, mask)
