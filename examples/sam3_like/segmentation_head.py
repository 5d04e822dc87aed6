"""A mask head shaped like SAM3's maskformer segmentation head, at toy sizes.

A small FPN pixel decoder turns multi-scale backbone features into a pixel embedding; object
queries are dotted with it to give one mask per query. `image_ids` maps each query batch row to
the image it belongs to.
"""

# NOTE: typing.List / Optional on purpose, as in the code this mirrors: the scan must read them.
# ruff: noqa: UP006, UP035

from __future__ import annotations

from typing import Any, List

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class PixelDecoder(nn.Module):
    """Top-down FPN: upsample the coarsest level and merge it into each finer one."""

    def __init__(self, hidden_dim: int, num_levels: int) -> None:
        super().__init__()
        self.conv_layers = nn.ModuleList(
            nn.Conv2d(hidden_dim, hidden_dim, kernel_size=3, padding=1)
            for _ in range(num_levels - 1)
        )
        self.norms = nn.ModuleList(nn.GroupNorm(4, hidden_dim) for _ in range(num_levels - 1))

    def forward(self, backbone_feats: List[Tensor]) -> Tensor:
        prev_fpn = backbone_feats[-1]
        fpn_feats = backbone_feats[:-1][::-1]
        for layer_idx, curr_fpn in enumerate(fpn_feats):
            prev_fpn = curr_fpn + F.interpolate(prev_fpn, size=curr_fpn.shape[-2:], mode="nearest")
            prev_fpn = self.conv_layers[layer_idx](prev_fpn)
            prev_fpn = F.relu(self.norms[layer_idx](prev_fpn))
        return prev_fpn


class MaskPredictor(nn.Module):
    """Project queries, then dot them with every pixel embedding."""

    def __init__(self, hidden_dim: int, mask_dim: int) -> None:
        super().__init__()
        self.mask_embed = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, mask_dim)
        )

    def forward(self, obj_queries: Tensor, pixel_embed: Tensor) -> Tensor:
        # (..., B, Q, C) @ (B, C, H*W) -> (..., B, Q, H*W); broadcasting covers the aux layers.
        embed = self.mask_embed(obj_queries)
        masks = torch.matmul(embed, pixel_embed.flatten(2))
        return masks.unflatten(-1, pixel_embed.shape[-2:])


class SegmentationHead(nn.Module):
    """Pixel decoder plus one of three mask heads, chosen by configuration."""

    def __init__(
        self,
        hidden_dim: int,
        num_levels: int,
        aux_masks: bool = False,
        no_dec: bool = False,
    ) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.aux_masks = aux_masks
        self.no_dec = no_dec
        self.pixel_decoder = PixelDecoder(hidden_dim, num_levels)
        if no_dec:
            self.mask_predictor: nn.Module = nn.Conv2d(hidden_dim, 1, kernel_size=3, padding=1)
        else:
            self.mask_predictor = MaskPredictor(hidden_dim, mask_dim=hidden_dim)

    def _embed_pixels(self, backbone_feats: List[Tensor], image_ids: Tensor) -> Tensor:
        if backbone_feats[0].shape[0] > 1:
            backbone_visual_feats = []
            for feat in backbone_feats:
                backbone_visual_feats.append(feat[image_ids, ...])
        else:
            backbone_visual_feats = [feat.clone() for feat in backbone_feats]
        return self.pixel_decoder(backbone_visual_feats)

    def forward(
        self,
        backbone_feats: List[torch.Tensor],
        obj_queries: torch.Tensor,
        image_ids: torch.Tensor,
    ) -> dict[str, Tensor]:
        pixel_embed = self._embed_pixels(backbone_feats, image_ids)
        if self.no_dec:
            mask_pred = self.mask_predictor(pixel_embed)
        elif self.aux_masks:
            mask_pred = self.mask_predictor(obj_queries, pixel_embed)
        else:
            mask_pred = self.mask_predictor(obj_queries[-1], pixel_embed)
        return {"pred_masks": mask_pred}


def _inputs(hidden_dim: int, num_images: int, image_ids: list[int]) -> tuple[Any, ...]:
    g = torch.Generator().manual_seed(0)
    sizes = (16, 8, 4)
    feats = [torch.randn(num_images, hidden_dim, s, s, generator=g) for s in sizes]
    # Queries from 3 decoder layers, for each (image, prompt) row, 5 queries per row.
    obj_queries = torch.randn(3, len(image_ids), 5, hidden_dim, generator=g)
    return feats, obj_queries, torch.tensor(image_ids)


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Two images, three query rows: rows 0 and 2 look at image 1, row 1 at image 0."""
    torch.manual_seed(0)
    head = SegmentationHead(hidden_dim=16, num_levels=3).eval()
    return head, _inputs(16, num_images=2, image_ids=[1, 0, 1])


def make_aux() -> tuple[nn.Module, tuple[Any, ...]]:
    """The `aux_masks` head: masks for every decoder layer."""
    torch.manual_seed(0)
    head = SegmentationHead(hidden_dim=16, num_levels=3, aux_masks=True).eval()
    return head, _inputs(16, num_images=2, image_ids=[1, 0, 1])


def make_no_dec() -> tuple[nn.Module, tuple[Any, ...]]:
    """The `no_dec` head: a conv straight on the pixel embedding."""
    torch.manual_seed(0)
    head = SegmentationHead(hidden_dim=16, num_levels=3, no_dec=True).eval()
    return head, _inputs(16, num_images=2, image_ids=[1, 0, 1])
