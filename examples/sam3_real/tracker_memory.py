"""SAM3's tracker memory attention, random weights: the field report's third component.

`make()` builds `sam3.model.sam3_tracker_base.Sam3TrackerBase` with the settings of SAM3's
`model_builder.build_tracker()` (7 memory slots, at most 4 conditioning frames, SAM3's tracker
transformer with complex RoPE attention and its mask-memory encoder) and probes
`_prepare_memory_conditioned_features`, the method that gathers past frames' memories from the
`output_dict` (`for t_pos in range(1, self.num_maskmem)`, `.get(prev_frame_idx)`, the `continue`
on a missing frame, `torch.cat(to_cat_prompt)`) and runs the memory attention on them.
`Sam3TrackerBase.forward` raises `NotImplementedError`; `MemoryConditioning` is the
one-method wrapper a user writes to export that step.

Two deviations from `build_tracker()`, both to build on a CPU machine: the class is
`Sam3TrackerBase`, not the `Sam3TrackerPredictor` subclass (whose constructor needs more of the
video pipeline), and the mask-memory `PositionEmbeddingSine` gets no `precompute_resolution`
(precomputing allocates its cache with `device="cuda"`).

`make_memory_attention()` builds the tracker transformer's encoder alone, fed the gathered memory
as `_prepare_memory_conditioned_features` feeds it: the part a deployment keeps in the graph.

Requires ``pip install -c constraints.txt -e ".[sam3]"`` (see `_shims` for import placeholders).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from examples.sam3_real._sam3 import builder

SIDE = 8  # the memory-attention feature map is SIDE x SIDE tokens (SAM3: 72 x 72)
BATCH = 2  # objects tracked at once
FRAME = 8  # the frame being tracked, of NUM_FRAMES
NUM_FRAMES = 12
MEMORY_FRAMES = (3, 5, 6, 7)  # past frames with memory: frame 4 is missing
COND_FRAMES = (0,)  # frames the user prompted


class MemoryConditioning(nn.Module):
    """Export wrapper: one call of the tracker's memory conditioning for the current frame."""

    def __init__(self, tracker: nn.Module) -> None:
        super().__init__()
        self.tracker = tracker

    def forward(self, feat: Tensor, pos: Tensor, output_dict: dict[str, Any], frame_idx: int,
                num_frames: int) -> Tensor:
        return self.tracker._prepare_memory_conditioned_features(
            frame_idx=frame_idx,
            is_init_cond_frame=False,
            current_vision_feats=[feat],
            current_vision_pos_embeds=[pos],
            feat_sizes=[(SIDE, SIDE)],
            output_dict=output_dict,
            num_frames=num_frames,
        )


def _mask_memory_encoder() -> nn.Module:
    """`model_builder._create_tracker_maskmem_backbone()`, less the CUDA position-encoding cache."""
    from sam3.model.memory import CXBlock, SimpleFuser, SimpleMaskDownSampler, SimpleMaskEncoder
    from sam3.model.position_encoding import PositionEmbeddingSine

    block = CXBlock(dim=256, kernel_size=7, padding=3, layer_scale_init_value=1.0e-06,
                    use_dwconv=True)
    return SimpleMaskEncoder(
        out_dim=64,
        position_encoding=PositionEmbeddingSine(num_pos_feats=64, normalize=True, scale=None,
                                                temperature=10000),
        mask_downsampler=SimpleMaskDownSampler(kernel_size=3, stride=2, padding=1,
                                               interpol_size=[1152, 1152]),
        fuser=SimpleFuser(layer=block, num_layers=2),
    )


def _tracker() -> nn.Module:
    b = builder()
    from sam3.model.sam3_tracker_base import Sam3TrackerBase

    torch.manual_seed(0)
    encoder = _mask_memory_encoder()
    return Sam3TrackerBase(
        backbone=None, transformer=b._create_tracker_transformer(), maskmem_backbone=encoder,
        image_size=1008, num_maskmem=7, backbone_stride=14, multimask_output_in_sam=True,
        forward_backbone_per_frame_for_eval=True, trim_past_non_cond_mem_for_eval=False,
        multimask_output_for_tracking=True, multimask_min_pt_num=0, multimask_max_pt_num=1,
        non_overlap_masks_for_mem_enc=False, max_cond_frames_in_attn=4,
        offload_output_to_cpu_for_eval=False,
        sam_mask_decoder_extra_args={
            "dynamic_multimask_via_stability": True,
            "dynamic_multimask_stability_delta": 0.05,
            "dynamic_multimask_stability_thresh": 0.98,
        },
    ).eval()


def _frame_output() -> dict[str, Any]:
    return {
        "maskmem_features": torch.randn(BATCH, 64, SIDE, SIDE),
        "maskmem_pos_enc": [torch.randn(BATCH, 64, SIDE, SIDE)],
        "obj_ptr": torch.randn(BATCH, 256),
    }


def memory_bank(cond: tuple[int, ...] = COND_FRAMES,
                frames: tuple[int, ...] = MEMORY_FRAMES) -> dict[str, dict[int, Any]]:
    """SAM3's `output_dict`: per-frame outputs of the prompted and of the tracked frames."""
    return {
        "cond_frame_outputs": {t: _frame_output() for t in cond},
        "non_cond_frame_outputs": {t: _frame_output() for t in frames},
    }


def make() -> tuple[nn.Module, tuple[Any, ...]]:
    """Frame 8 of 12, prompted on frame 0, with memories of frames 3, 5, 6 and 7."""
    model = MemoryConditioning(_tracker()).eval()
    feat = torch.randn(SIDE * SIDE, BATCH, 256)
    pos = torch.randn(SIDE * SIDE, BATCH, 256)
    return model, (feat, pos, memory_bank(), FRAME, NUM_FRAMES)


def make_memory_attention() -> tuple[nn.Module, tuple[Any, ...], dict[str, Any]]:
    """The tracker transformer's encoder on 5 memory frames and 5 object pointers (4 tokens each)."""
    encoder = _tracker().transformer.encoder.eval()
    memory_tokens = (len(COND_FRAMES) + len(MEMORY_FRAMES)) * SIDE * SIDE
    pointer_tokens = (len(COND_FRAMES) + len(MEMORY_FRAMES)) * 4
    prompt = torch.randn(memory_tokens + pointer_tokens, BATCH, 64)
    kwargs = {
        "src_key_padding_mask": [None],
        "src_pos": [torch.randn(SIDE * SIDE, BATCH, 256)],
        "prompt": prompt,
        "prompt_pos": torch.randn_like(prompt),
        "prompt_key_padding_mask": None,
        "feat_sizes": [(SIDE, SIDE)],
        "num_obj_ptr_tokens": pointer_tokens,
    }
    return encoder, ([torch.randn(SIDE * SIDE, BATCH, 256)],), kwargs
