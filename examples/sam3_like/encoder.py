"""A fusion-encoder layer shaped like SAM3's TransformerEncoderLayer, at toy sizes.

Image tokens (`tgt`) attend to themselves, then to prompt tokens (`memory`) through a
cross-attention module that the caller injects. Tensors are sequence-first: (seq, batch, dim).
"""

# NOTE: typing.List / Optional on purpose, as in the code this mirrors: the scan must read them.
# ruff: noqa: UP045

from __future__ import annotations

import math
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class PromptCrossAttention(nn.Module):
    """A hand-written multi-head attention (matmul + softmax), not nn.MultiheadAttention."""

    def __init__(self, d_model: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def _split_heads(self, x: Tensor) -> Tensor:
        seq, batch, _ = x.shape
        return x.reshape(seq, batch * self.num_heads, self.head_dim).transpose(0, 1)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Optional[Tensor] = None,
    ) -> tuple[Tensor, Tensor]:
        seq, batch, dim = query.shape
        q = self._split_heads(self.q_proj(query))
        k = self._split_heads(self.k_proj(key))
        v = self._split_heads(self.v_proj(value))
        scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(self.head_dim)
        if key_padding_mask is not None:
            mask = key_padding_mask.repeat_interleave(self.num_heads, dim=0)
            scores = scores.masked_fill(mask[:, None, :], float("-inf"))
        weights = self.dropout(F.softmax(scores, dim=-1))
        out = torch.matmul(weights, v).transpose(0, 1).reshape(seq, batch, dim)
        return self.out_proj(out), weights


class TransformerEncoderLayer(nn.Module):
    """Self-attention over image tokens, cross-attention to the prompt, then an MLP."""

    def __init__(
        self,
        d_model: int,
        dim_feedforward: int,
        dropout: float,
        num_heads: int,
        cross_attention: nn.Module,
        pre_norm: bool,
        pos_enc_at_attn: bool,
        pos_enc_at_cross_attn_queries: bool,
        pos_enc_at_cross_attn_keys: bool,
    ) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, num_heads, dropout=dropout)
        self.cross_attn_image = cross_attention
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.pre_norm = pre_norm
        self.pos_enc_at_attn = pos_enc_at_attn
        self.pos_enc_at_cross_attn_queries = pos_enc_at_cross_attn_queries
        self.pos_enc_at_cross_attn_keys = pos_enc_at_cross_attn_keys

    def forward_post(
        self,
        tgt: Tensor,
        memory: Tensor,
        dac: bool = False,
        pos: Optional[Tensor] = None,
        query_pos: Optional[Tensor] = None,
        memory_key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        assert not dac, "dac is only implemented for pre-norm layers"
        q = k = tgt + query_pos if self.pos_enc_at_attn else tgt
        tgt2 = self.self_attn(q, k, value=tgt, need_weights=False)[0]
        tgt = self.norm1(tgt + self.dropout1(tgt2))
        cross_q = tgt + query_pos if self.pos_enc_at_cross_attn_queries else tgt
        cross_k = memory + pos if self.pos_enc_at_cross_attn_keys else memory
        tgt2 = self.cross_attn_image(cross_q, cross_k, memory, memory_key_padding_mask)[0]
        tgt = self.norm2(tgt + self.dropout2(tgt2))
        tgt2 = self.linear2(self.dropout(F.relu(self.linear1(tgt))))
        return self.norm3(tgt + self.dropout3(tgt2))

    def forward_pre(
        self,
        tgt: Tensor,
        memory: Tensor,
        dac: bool = False,
        pos: Optional[Tensor] = None,
        query_pos: Optional[Tensor] = None,
        memory_key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        if dac:  # divide-and-conquer: only the first half of the tokens runs self-attention
            assert tgt.shape[0] % 2 == 0
            other_tgt = tgt[tgt.shape[0] // 2 :]
            tgt = tgt[: tgt.shape[0] // 2]
            self_pos = query_pos[: query_pos.shape[0] // 2] if query_pos is not None else None
        else:
            self_pos = query_pos
        tgt2 = self.norm1(tgt)
        q = k = tgt2 + self_pos if self.pos_enc_at_attn else tgt2
        tgt2 = self.self_attn(q, k, value=tgt2, need_weights=False)[0]
        tgt = tgt + self.dropout1(tgt2)
        if dac:  # put back the half that skipped self-attention
            tgt = torch.cat((tgt, other_tgt), dim=0)
        tgt2 = self.norm2(tgt)
        tgt2 = self.cross_attn_image(
            query=tgt2 + query_pos if self.pos_enc_at_cross_attn_queries else tgt2,
            key=memory + pos if self.pos_enc_at_cross_attn_keys else memory,
            value=memory,
            key_padding_mask=memory_key_padding_mask,
        )[0]
        tgt = tgt + self.dropout2(tgt2)
        tgt2 = self.norm3(tgt)
        tgt2 = self.linear2(self.dropout(F.relu(self.linear1(tgt2))))
        return tgt + self.dropout3(tgt2)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        dac: bool = False,
        pos: Optional[Tensor] = None,
        query_pos: Optional[Tensor] = None,
        memory_key_padding_mask: Optional[Tensor] = None,
    ) -> Tensor:
        fwd_fn = self.forward_pre if self.pre_norm else self.forward_post
        return fwd_fn(tgt, memory, dac, pos, query_pos, memory_key_padding_mask)


class TransformerEncoder(nn.Module):
    """A fixed stack of fusion layers (a static loop over an nn.ModuleList)."""

    def __init__(self, layers: list[nn.Module], d_model: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, src: Tensor, prompt: Tensor, src_pos: Tensor, prompt_pos: Tensor) -> Tensor:
        output = src
        for layer in self.layers:
            output = layer(output, prompt, False, prompt_pos, src_pos)
        return self.norm(output)


def build_layer(pre_norm: bool = True, d_model: int = 16) -> TransformerEncoderLayer:
    """A layer with the injected cross-attention, the way a model builder wires it."""
    return TransformerEncoderLayer(
        d_model=d_model,
        dim_feedforward=32,
        dropout=0.1,
        num_heads=2,
        cross_attention=PromptCrossAttention(d_model, num_heads=2, dropout=0.1),
        pre_norm=pre_norm,
        pos_enc_at_attn=False,
        pos_enc_at_cross_attn_queries=False,
        pos_enc_at_cross_attn_keys=True,
    )


def _inputs(d_model: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    tgt = torch.randn(12, 2, d_model, generator=g)  # 12 image tokens, batch 2
    memory = torch.randn(6, 2, d_model, generator=g)  # 6 prompt tokens
    pos = torch.randn(6, 2, d_model, generator=g)
    query_pos = torch.randn(12, 2, d_model, generator=g)
    return tgt, memory, pos, query_pos


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """The pre-norm layer called as SAM3 calls it: `layer(tgt, memory, dac, pos, query_pos)`."""
    torch.manual_seed(0)
    layer = build_layer(pre_norm=True).eval()
    tgt, memory, pos, query_pos = _inputs(16)
    return layer, (tgt, memory, False, pos, query_pos)


def make_dac() -> tuple[nn.Module, tuple[Any, ...]]:
    """The same layer with the divide-and-conquer split switched on."""
    layer, (tgt, memory, _, pos, query_pos) = make()
    return layer, (tgt, memory, True, pos, query_pos)


def make_post() -> tuple[nn.Module, tuple[Any, ...]]:
    """A post-norm layer (the other side of `self.pre_norm`)."""
    torch.manual_seed(0)
    layer = build_layer(pre_norm=False).eval()
    tgt, memory, pos, query_pos = _inputs(16)
    return layer, (tgt, memory, False, pos, query_pos)


def make_stack() -> tuple[nn.Module, tuple[Any, ...]]:
    """Two pre-norm layers in a TransformerEncoder."""
    torch.manual_seed(0)
    encoder = TransformerEncoder([build_layer(), build_layer()], d_model=16).eval()
    tgt, memory, pos, query_pos = _inputs(16)
    return encoder, (tgt, memory, query_pos, pos)
