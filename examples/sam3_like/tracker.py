"""The memory-conditioning step of a SAM3-like video tracker, at toy sizes.

Before decoding frame `frame_idx`, the tracker gathers the memories of earlier frames from a
per-video `output_dict`, adds a temporal position encoding per memory slot, concatenates them
into one prompt, and lets the current frame's features attend to it. Frames that were never
tracked (or were dropped) are simply missing from the dict.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

MemoryDict = dict[str, dict[int, dict[str, Tensor]]]


class MemoryAttention(nn.Module):
    """Current-frame tokens attend to the concatenated memory tokens."""

    def __init__(self, d_model: int, mem_dim: int, num_heads: int) -> None:
        super().__init__()
        self.cross_attn = nn.MultiheadAttention(
            d_model, num_heads, kdim=mem_dim, vdim=mem_dim, batch_first=False
        )
        self.norm = nn.LayerNorm(d_model)

    def forward(self, curr: Tensor, curr_pos: Tensor, memory: Tensor, memory_pos: Tensor) -> Tensor:
        attn = self.cross_attn(curr + curr_pos, memory + memory_pos, memory, need_weights=False)[0]
        return self.norm(curr + attn)


class TrackerMemoryStep(nn.Module):
    """Prepare memory-conditioned features for one frame, like SAM3's tracker base."""

    def __init__(
        self,
        hidden_dim: int,
        mem_dim: int,
        num_maskmem: int,
        memory_temporal_stride_for_eval: int = 1,
    ) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.mem_dim = mem_dim
        self.num_maskmem = num_maskmem
        self.memory_temporal_stride_for_eval = memory_temporal_stride_for_eval
        self.maskmem_tpos_enc = nn.Parameter(torch.randn(num_maskmem, 1, 1, mem_dim) * 0.02)
        self.memory_attention = MemoryAttention(hidden_dim, mem_dim, num_heads=2)

    def _memory_tokens(self, out: dict[str, Tensor], t_pos: int) -> tuple[Tensor, Tensor]:
        # (B, C, H, W) -> (H*W, B, C)
        feats = out["maskmem_features"].flatten(2).permute(2, 0, 1)
        maskmem_enc = out["maskmem_pos_enc"].flatten(2).permute(2, 0, 1)
        maskmem_enc = maskmem_enc + self.maskmem_tpos_enc[self.num_maskmem - t_pos - 1]
        return feats, maskmem_enc

    def forward(
        self,
        frame_idx: int,
        current_vision_feats: Tensor,
        current_vision_pos_embeds: Tensor,
        output_dict: dict[str, dict[int, dict[str, Tensor]]],
        num_frames: int,
        track_in_reverse: bool = False,
    ) -> Tensor:
        if self.num_maskmem == 0:
            return current_vision_feats
        t_pos_and_prevs = []
        for out in output_dict["cond_frame_outputs"].values():
            t_pos_and_prevs.append((0, out))
        r = 1 if self.training else self.memory_temporal_stride_for_eval
        for t_pos in range(1, self.num_maskmem):
            t_rel = self.num_maskmem - t_pos  # how many frames before the current one
            if not track_in_reverse:
                prev_frame_idx = frame_idx - t_rel * r
            else:
                prev_frame_idx = frame_idx + t_rel * r
            if prev_frame_idx < 0 or prev_frame_idx >= num_frames:
                continue
            out = output_dict["non_cond_frame_outputs"].get(prev_frame_idx, None)
            if out is None:
                continue
            t_pos_and_prevs.append((t_pos, out))

        to_cat_prompt, to_cat_prompt_pos_embed = [], []
        for t_pos, prev in t_pos_and_prevs:
            feats, maskmem_enc = self._memory_tokens(prev, t_pos)
            to_cat_prompt.append(feats)
            to_cat_prompt_pos_embed.append(maskmem_enc)
        prompt = torch.cat(to_cat_prompt, dim=0)
        prompt_pos_embed = torch.cat(to_cat_prompt_pos_embed, dim=0)
        return self.memory_attention(
            current_vision_feats, current_vision_pos_embeds, prompt, prompt_pos_embed
        )


def build_memory(
    frames: list[int], cond_frames: list[int], batch: int, mem_dim: int, seed: int = 0
) -> MemoryDict:
    """A per-video memory dict holding the given frames, like the tracker's inference state."""
    g = torch.Generator().manual_seed(seed)

    def entry() -> dict[str, Tensor]:
        return {
            "maskmem_features": torch.randn(batch, mem_dim, 4, 4, generator=g),
            "maskmem_pos_enc": torch.randn(batch, mem_dim, 4, 4, generator=g),
        }

    return {
        "cond_frame_outputs": {i: entry() for i in cond_frames},
        "non_cond_frame_outputs": {i: entry() for i in frames},
    }


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Frame 5 of 10, with 4 memory slots: frames 2 and 4 are in memory, frame 3 is missing."""
    torch.manual_seed(0)
    step = TrackerMemoryStep(hidden_dim=16, mem_dim=8, num_maskmem=4).eval()
    g = torch.Generator().manual_seed(1)
    feats = torch.randn(16, 2, 16, generator=g)  # (H*W, B, C) for a 4x4 map, batch 2
    pos = torch.randn(16, 2, 16, generator=g)
    memory = build_memory(frames=[2, 4], cond_frames=[0], batch=2, mem_dim=8)
    return step, (5, feats, pos, memory, 10)
