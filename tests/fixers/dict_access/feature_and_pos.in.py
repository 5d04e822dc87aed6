"""Tracker memory read into two parallel lists (features and their positional encodings),
each concatenated, added for the keys of nn.MultiheadAttention; frames may be missing."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class PosAwareMemory(nn.Module):
    def __init__(self, dim: int = 8, window: int = 3) -> None:
        super().__init__()
        self.window = window
        self.attn = nn.MultiheadAttention(dim, 2, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU())

    def forward(self, tokens: Tensor, step: int, past: dict[int, dict[str, Tensor]]) -> Tensor:
        feats: list[Tensor] = []
        encs: list[Tensor] = []
        for back in range(self.window, 0, -1):
            frame = past.get(step - back, None)
            if frame is None:
                continue
            feats.append(frame["vision_feats"])
            encs.append(frame["vision_pos"])
        if len(feats) == 0:
            return self.mlp(tokens)
        keys = torch.cat(feats, dim=1) + torch.cat(encs, dim=1)
        values = torch.cat(feats, dim=1)
        mixed, _ = self.attn(tokens, keys, values, need_weights=False)
        return self.mlp(tokens + mixed)


def make() -> tuple[nn.Module, tuple[object, ...]]:
    torch.manual_seed(0)
    past = {t: {"vision_feats": torch.randn(2, 4, 8), "vision_pos": torch.randn(2, 4, 8)} for t in (5, 7)}
    return PosAwareMemory().eval(), (torch.randn(2, 3, 8), 8, past)
