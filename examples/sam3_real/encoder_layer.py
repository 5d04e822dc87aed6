"""SAM3's fusion-encoder layer (`sam3.model.encoder.TransformerEncoderLayer`), random weights.

Built by SAM3's own `model_builder._create_transformer_encoder()` (pre-norm, positional encoding
on the self-attention only, `MultiheadAttentionWrapper` injected as both attentions, batch
first), so every configuration branch the field report lists is taken as SAM3 takes it.
Requires ``pip install -c constraints.txt -e ".[sam3]"``; torchvision and triton get import
placeholders only when their real import fails (see `_shims`).
"""

from __future__ import annotations

from typing import Any

import torch

from examples.sam3_real._sam3 import builder


def make() -> tuple[torch.nn.Module, tuple[Any, ...], dict[str, Any]]:
    """Layer 0 of the encoder: 2 images of 64 tokens attend to 8 prompt tokens."""
    torch.manual_seed(0)
    layer = builder()._create_transformer_encoder().layers[0].eval()
    tgt = torch.randn(2, 64, 256)
    memory = torch.randn(2, 8, 256)
    kwargs = {
        "memory_key_padding_mask": torch.zeros(2, 8, dtype=torch.bool),
        "query_pos": torch.randn(2, 64, 256),
    }
    return layer, (tgt, memory), kwargs
