"""The cases `check_exports.py` runs: each example factory with the inputs that test it.

A check's `kind` says what a mismatch means:
  example, values, decision -> the graph is *wrong* (same input structure, other tensor values;
                               `decision` inputs flip a data-dependent branch or count)
  flag, layout              -> the graph is *specialized* (a Python value or the memory layout
                               was a constant of the export)
  size                      -> run on the export with `Case.dynamic` axes; a failure is
                               *specialized* (the example's shape was baked in)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["example", "values", "decision", "flag", "layout", "size"]


@dataclass(frozen=True)
class Check:
    kind: Kind
    label: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    target: str  # "sam3_like/encoder.py:make", relative to examples/
    note: str
    checks: Callable[[Any, tuple[Any, ...]], list[Check]]
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)  # leaf-name glob -> axes


def load(target: str) -> tuple[Any, tuple[Any, ...]]:
    """Call `FILE.py:FACTORY` from the examples package."""
    path, factory = target.split(":")
    module = importlib.import_module("examples." + path.removesuffix(".py").replace("/", "."))
    return getattr(module, factory)()


def rand(*shape: int, seed: int = 1) -> Any:
    import torch

    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _encoder(m: Any, a: tuple[Any, ...]) -> list[Check]:
    tgt, memory, dac, pos, query_pos = a
    d = tgt.shape[-1]
    return [
        Check("example", "example inputs", a),
        Check(
            "values",
            "other values",
            (
                rand(12, 2, d),
                rand(6, 2, d, seed=2),
                dac,
                rand(6, 2, d, seed=3),
                rand(12, 2, d, seed=4),
            ),
        ),
        *[
            Check("flag", f"dac={not dac} (flips `if dac`)", (tgt, memory, not dac, pos, query_pos))
            for _ in range(int(m.pre_norm))
        ],  # post-norm layers reject dac=True
        Check(
            "size",
            "8 tokens, batch 3, 4 prompt tokens",
            (rand(8, 3, d), rand(4, 3, d), dac, rand(4, 3, d), rand(8, 3, d)),
        ),
    ]


def _stack(m: Any, a: tuple[Any, ...]) -> list[Check]:
    d = a[0].shape[-1]
    return [
        Check("example", "example inputs", a),
        Check("values", "other values", tuple(rand(*t.shape, seed=i) for i, t in enumerate(a))),
        Check(
            "size",
            "8 tokens, batch 3, 4 prompt tokens",
            (rand(8, 3, d), rand(4, 3, d), rand(8, 3, d), rand(4, 3, d)),
        ),
    ]


SEQ_AXES = {
    "tgt": {0: "tokens", 1: "batch"},
    "memory": {0: "prompt", 1: "batch"},
    "pos": {0: "prompt", 1: "batch"},
    "query_pos": {0: "tokens", 1: "batch"},
    "src*": {0: "tokens", 1: "batch"},
    "prompt*": {0: "prompt", 1: "batch"},
}


def _seg_inputs(num_images: int, ids: list[int], seed: int) -> tuple[Any, ...]:
    import torch

    feats = [rand(num_images, 16, s, s, seed=seed + s) for s in (16, 8, 4)]
    return feats, rand(3, len(ids), 5, 16, seed=seed), torch.tensor(ids)


def _segmentation(m: Any, a: tuple[Any, ...]) -> list[Check]:
    return [
        Check("example", "example inputs", a),
        Check("values", "other values, image_ids [0, 0, 1]", _seg_inputs(2, [0, 0, 1], seed=7)),
        Check("size", "3 images, 4 query rows", _seg_inputs(3, [2, 0, 1, 2], seed=8)),
        Check(
            "size",
            "1 image (flips `backbone_feats[0].shape[0] > 1`)",
            _seg_inputs(1, [0, 0, 0], seed=9),
        ),
    ]


SEG_AXES = {"backbone_feats_*": {0: "images"}, "obj_queries": {1: "rows"}, "image_ids": {0: "rows"}}


def _tracker(m: Any, a: tuple[Any, ...]) -> list[Check]:
    from examples.sam3_like.tracker import build_memory

    frame_idx, feats, pos, _, num_frames = a

    def mem(frames: list[int], batch: int = 2, seed: int = 5) -> Any:
        return build_memory(frames=frames, cond_frames=[0], batch=batch, mem_dim=8, seed=seed)

    return [
        Check("example", "example inputs", a),
        Check(
            "values",
            "other values, same frames in memory",
            (frame_idx, rand(16, 2, 16), rand(16, 2, 16, seed=2), mem([2, 4]), num_frames),
        ),
        Check(
            "layout",
            "frames 2, 3, 4 in memory (none missing)",
            (frame_idx, feats, pos, mem([2, 3, 4]), num_frames),
        ),
        Check("layout", "only frame 4 in memory", (frame_idx, feats, pos, mem([4]), num_frames)),
        Check("flag", "frame_idx=6, same memory", (6, feats, pos, mem([2, 4]), num_frames)),
        Check(
            "flag",
            "track_in_reverse=True, frame_idx=1",
            (1, feats, pos, mem([2, 4]), num_frames, True),
        ),
        Check(
            "size",
            "batch 3",
            (frame_idx, rand(16, 3, 16), rand(16, 3, 16, seed=2), mem([2, 4], batch=3), num_frames),
        ),
    ]


TRACKER_AXES = {"current_vision_*": {1: "batch"}, "output_dict_*_maskmem_*": {0: "batch"}}


def _rope(m: Any, a: tuple[Any, ...]) -> list[Check]:
    return [
        Check("example", "example inputs", a),
        Check("values", "other values", (rand(2, 16, 16),)),
        Check("size", "batch 3, 5x5 grid (flips `freqs_cis.shape[0] != n`)", (rand(3, 25, 16),)),
    ]


def _low_score_queries(m: Any, n: int) -> Any:
    """Queries whose class logit is -2 (score 0.12), under any threshold used here."""
    w, b = m.class_embed.weight[0].detach(), m.class_embed.bias.detach()
    q = rand(n, w.shape[0], seed=3)
    return q - ((q @ w + b + 2.0) / (w @ w))[:, None] * w


def _detection(m: Any, a: tuple[Any, ...]) -> list[Check]:
    return [
        Check("example", "example inputs (4 of 10 kept)", a),
        Check("values", "other values (another number kept)", (rand(10, 16, seed=11),)),
        Check(
            "decision",
            "no score above threshold (flips `if scores.max() < t`)",
            (_low_score_queries(m, 10),),
        ),
        Check("size", "7 queries", (rand(7, 16, seed=12),)),
    ]


def _plain(m: Any, a: tuple[Any, ...]) -> list[Check]:
    """Example inputs and the same shapes with other values."""
    return [
        Check("example", "example inputs", a),
        Check(
            "values",
            "other values",
            tuple(
                rand(*t.shape, seed=i + 1) if hasattr(t, "shape") else t for i, t in enumerate(a)
            ),
        ),
    ]


def _clean(m: Any, a: tuple[Any, ...]) -> list[Check]:
    return [*_plain(m, a), Check("size", "batch 3, 5 tokens", (rand(3, 5, 16),))]


def _probe_checks(m: Any, a: tuple[Any, ...]) -> list[Check]:
    from examples import site_probes

    return [Check("example", "example inputs", a), *site_probes.checks(m, a)]


CASES: list[Case] = [
    Case("sam3_like/encoder.py:make", "pre-norm layer, dac=False", _encoder, SEQ_AXES),
    Case("sam3_like/encoder.py:make_dac", "pre-norm layer, dac=True", _encoder, SEQ_AXES),
    Case("sam3_like/encoder.py:make_post", "post-norm layer", _encoder, SEQ_AXES),
    Case("sam3_like/encoder.py:make_stack", "2-layer encoder", _stack, SEQ_AXES),
    Case("sam3_like/segmentation_head.py:make", "default head", _segmentation, SEG_AXES),
    Case("sam3_like/segmentation_head.py:make_aux", "aux_masks head", _segmentation, SEG_AXES),
    Case("sam3_like/segmentation_head.py:make_no_dec", "no_dec head", _segmentation, SEG_AXES),
    Case("sam3_like/tracker.py:make", "memory step, frame 5", _tracker, TRACKER_AXES),
    Case("other/rope_attention.py:make", "axial RoPE", _rope, {"x": {0: "batch", 1: "tokens"}}),
    Case("other/detection_head.py:make", "score threshold", _detection, {"queries": {0: "n"}}),
    Case("other/device_pinned.py:make", "hard-coded cuda", _plain),
    Case("other/clean_block.py:make", "clean block", _clean, {"x": {0: "batch", 1: "tokens"}}),
]


def _probe_cases() -> list[Case]:
    from examples.site_probes import PROBES

    return [Case(f"site_probes.py:{factory}", note, _probe_checks) for factory, note in PROBES]


CASES += _probe_cases()
