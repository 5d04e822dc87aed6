"""SAM3's segmentation head (`sam3.model.maskformer_segmentation.UniversalSegmentationHead`).

Built by SAM3's `model_builder._create_segmentation_head()` with random weights: pixel decoder
with 3 upsampling stages, prompt cross-attention, no presence head. `make()` gives 2 images and
3 queries whose `image_ids` pick the image of each (`feat[image_ids, ...]`); `make_single()` gives
1 image, the `backbone_feats[0].shape[0] > 1` branch's other side. Requires
``pip install -c constraints.txt -e ".[sam3]"`` (see `_shims` for the import placeholders).
"""

from __future__ import annotations

from typing import Any

import torch

from examples.sam3_real._sam3 import builder


def _inputs(images: int, image_ids: list[int]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    queries = len(image_ids)
    feats = [torch.randn(images, 256, s, s) for s in (16, 8, 4)]
    obj_queries = torch.randn(6, queries, 5, 256)
    kwargs = {
        "encoder_hidden_states": torch.randn(16, queries, 256),
        "prompt": torch.randn(7, queries, 256),
        "prompt_mask": torch.zeros(queries, 7, dtype=torch.bool),
    }
    return (feats, obj_queries, torch.tensor(image_ids)), kwargs


def _head() -> torch.nn.Module:
    torch.manual_seed(0)
    return builder()._create_segmentation_head().eval()


def make() -> tuple[torch.nn.Module, tuple[Any, ...], dict[str, Any]]:
    """Two images, three queries on images 1, 0, 1."""
    head = _head()
    args, kwargs = _inputs(2, [1, 0, 1])
    return head, args, kwargs


def make_single() -> tuple[torch.nn.Module, tuple[Any, ...], dict[str, Any]]:
    """One image, two queries on it (the broadcasting branch)."""
    head = _head()
    args, kwargs = _inputs(1, [0, 0])
    return head, args, kwargs
