"""The code sites `exportlint scan` must report in the bundled examples, with the true severity.

Severities are what `python examples/check_exports.py` measured with torch 2.13 (see
examples/README.md), for `--exporter both`:
  error   = export fails, or the graph is silently wrong on some input, under dynamo or legacy;
  warning = exports and stays right on the example's structure, but something is baked in
            (a forward flag, a shape, a list length, the memory layout);
  info    = exports and stays right on every input the module instance can be given.
A branch on module configuration (`self.pre_norm`, `self.no_dec`) is info: the graph of that
instance is exact for every input, and the other configuration exports too (make_post,
make_aux, make_no_dec all export and match with both exporters).

A site names its line by a snippet that occurs exactly once in the file
(tests/test_examples.py checks it). `CLEAN` lists lines that must not get an error finding.
Pure data: no imports beyond the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SiteSeverity = Literal["error", "warning", "info"]

ENC = "examples/sam3_like/encoder.py"
SEG = "examples/sam3_like/segmentation_head.py"
TRK = "examples/sam3_like/tracker.py"
ROPE = "examples/other/rope_attention.py"
DET = "examples/other/detection_head.py"
DEV = "examples/other/device_pinned.py"
CLEAN_BLOCK = "examples/other/clean_block.py"


@dataclass(frozen=True)
class Site:
    path: str  # relative to the repository root
    snippet: str  # occurs exactly once in the file
    rule: str
    severity: SiteSeverity
    why: str


_LEGACY_KEYS = "legacy turns the int frame keys and frame_idx into tensors, so every .get misses"

# fmt: off
SITES: list[Site] = [
    # --- encoder.py ---
    Site(ENC, "fwd_fn = self.forward_pre if self.pre_norm else self.forward_post",
         "dynamic-branch", "info",
         "config: each side exports and matches with both exporters (make, make_post)"),
    Site(ENC, "if dac:  # divide-and-conquer", "dynamic-branch", "warning",
         "forward flag: both bake dac; flipping it differs by 0.47 (legacy TracerWarning here)"),
    Site(ENC, "if dac:  # put back", "dynamic-branch", "warning",
         "forward flag: baked with the split above"),
    Site(ENC, "query=tgt2 + query_pos if self.pos_enc_at_cross_attn_queries else tgt2",
         "dynamic-branch", "info",
         "config ternary: exports and matches with both"),
    Site(ENC, "key=memory + pos if self.pos_enc_at_cross_attn_keys else memory",
         "dynamic-branch", "info",
         "config ternary: exports and matches with both"),
    Site(ENC, "q = k = tgt2 + self_pos if self.pos_enc_at_attn else tgt2", "dynamic-branch", "info",
         "config ternary: exports and matches with both"),
    Site(ENC, "cross_attention: nn.Module,", "injected-module", "info",
         "the injected PromptCrossAttention exports and matches with both exporters"),
    # --- segmentation_head.py ---
    Site(SEG, "backbone_feats: List[torch.Tensor],", "list-tensor-input", "warning",
         "flattened to backbone_feats_0..2 by both; the list length (3 levels) is baked"),
    Site(SEG, "if backbone_feats[0].shape[0] > 1:", "dynamic-branch", "warning",
         "shape: both bake the batch>1 path; the no_dec head gives [3,1,16,16] vs eager "
         "[1,1,16,16] for one image"),
    Site(SEG, "backbone_visual_feats.append(feat[image_ids, ...])", "data-dependent-index", "info",
         "tensor-valued index: exports as Gather, other image_ids match with both"),
    Site(SEG, "if self.no_dec:", "dynamic-branch", "info",
         "config: each head exports and matches with both (make, make_aux, make_no_dec)"),
    Site(SEG, "elif self.aux_masks:", "dynamic-branch", "info",
         "config: see `if self.no_dec`"),
    # --- tracker.py ---
    Site(TRK, "output_dict: dict[str, dict[int, dict[str, Tensor]]],", "list-tensor-input", "error",
         f"dynamo flattens it per frame (layout baked); {_LEGACY_KEYS}"),
    Site(TRK, "for t_pos in range(1, self.num_maskmem):", "dynamic-loop", "error",
         f"continue on dict contents: dynamo unrolls to frames 2 and 4; {_LEGACY_KEYS} and the "
         "loop keeps no frame (wrong on the example inputs, err 1.1)"),
    Site(TRK, 'out = output_dict["non_cond_frame_outputs"].get(prev_frame_idx, None)',
         "dict-access", "error",
         f"dynamo bakes the keys present; {_LEGACY_KEYS}"),
    Site(TRK, "if out is None:", "dynamic-branch", "error",
         f"dynamo bakes which frames exist; {_LEGACY_KEYS}: always None"),
    Site(TRK, "prompt = torch.cat(to_cat_prompt, dim=0)", "variable-length-cat", "error",
         "dynamo: 3 memories baked; legacy: 1 memory instead of 3, silently"),
    Site(TRK, "prompt_pos_embed = torch.cat(to_cat_prompt_pos_embed, dim=0)",
         "variable-length-cat", "error",
         "as `prompt = torch.cat(...)`"),
    Site(TRK, 'for out in output_dict["cond_frame_outputs"].values():', "dynamic-loop", "warning",
         "trip count = cond frames in the dict: both bake the layout, stay right"),
    Site(TRK, "if prev_frame_idx < 0 or prev_frame_idx >= num_frames:", "dynamic-branch", "warning",
         "forward ints: both bake frame_idx (frame_idx=6 differs; legacy warns)"),
    Site(TRK, "if not track_in_reverse:", "dynamic-branch", "warning",
         "forward flag: both bake it (track_in_reverse=True differs)"),
    Site(TRK, "if self.num_maskmem == 0:", "dynamic-branch", "info",
         "config early return"),
    # --- rope_attention.py ---
    Site(ROPE, "freqs_cis_x = torch.polar(", "unsupported-op", "error",
         "legacy: UnsupportedOperatorError aten::polar; dynamo converts it"),
    Site(ROPE, "freqs_cis_y = torch.polar(", "unsupported-op", "error",
         "as freqs_cis_x"),
    Site(ROPE, "xq_ = torch.view_as_complex(", "unsupported-op", "error",
         "legacy: UnsupportedOperatorError aten::view_as_complex; dynamo converts it"),
    Site(ROPE, "xk_ = torch.view_as_complex(", "unsupported-op", "error",
         "as xq_"),
    Site(ROPE, "if self.freqs_cis.shape[0] != n:", "dynamic-branch", "warning",
         "shape: dynamo with a dynamic token axis reports a range conflict (16 baked)"),
    # --- detection_head.py ---
    Site(DET, "if scores.max() < self.score_threshold:", "dynamic-branch", "error",
         "dynamo: GuardOnDataDependentSymNode; legacy bakes the branch, wrong when no score "
         "passes ([0,4] vs [1,4])"),
    Site(DET, "num_kept = keep.sum().item()", "tensor-to-python", "error",
         "dynamo ok (unbacked int); legacy bakes 4, wrong when fewer pass ([3] vs [0])"),
    Site(DET, "kept_ids = keep.nonzero().squeeze(1)", "data-dependent-index", "info",
         "NonZero exports with both and matches on other counts"),
    Site(DET, "boxes = boxes[keep]", "data-dependent-index", "info",
         "boolean mask exports with both and matches on other counts"),
    # --- device_pinned.py ---
    Site(DEV, "stored = memory.to(torch.bfloat16).cpu().pin_memory()", "hardcoded-device", "error",
         "eager fails on CPU; dynamo: NYI aten._pin_memory"),
    Site(DEV, "restored = stored.cuda(non_blocking=True).float()", "hardcoded-device", "error",
         "both fail: Torch not compiled with CUDA enabled"),
    Site(DEV, 'pos = torch.zeros(restored.shape, device="cuda")', "hardcoded-device", "error",
         "dynamo: FakeTensorDeviceMismatchError; legacy: Torch not compiled with CUDA"),
]

# (path, snippet): lines that must get no error finding (both exporters handle them).
CLEAN: list[tuple[str, str]] = [
    (CLEAN_BLOCK, "for layer, norm in zip(self.layers, self.norms):"),
    (CLEAN_BLOCK, "if self.training:"),
    (CLEAN_BLOCK, "if bias is not None:"),
    (CLEAN_BLOCK, "b, n, c = x.shape"),
    (CLEAN_BLOCK, "grouped = x.view(b, n, self.num_groups, c // self.num_groups)"),
    (CLEAN_BLOCK, "x = grouped.reshape(b, n, c)"),
    (CLEAN_BLOCK, "return torch.cat((x, x * scale), dim=-1)"),
    (ENC, "for layer in self.layers:"),
    (ENC, "if key_padding_mask is not None:"),
    (ENC,
     "self_pos = query_pos[: query_pos.shape[0] // 2] if query_pos is not None else None"),
    (ENC, "assert tgt.shape[0] % 2 == 0"),
    (ENC, "other_tgt = tgt[tgt.shape[0] // 2 :]"),
    (ENC, "tgt = torch.cat((tgt, other_tgt), dim=0)"),
    (ENC, 'assert not dac, "dac is only implemented for pre-norm layers"'),
    (ENC, "seq, batch, _ = x.shape"),
    (SEG, "backbone_visual_feats.append(feat[image_ids, ...])"),
    (SEG, "for feat in backbone_feats:"),
    (SEG, "for layer_idx, curr_fpn in enumerate(fpn_feats):"),
    (SEG,
     'prev_fpn = curr_fpn + F.interpolate(prev_fpn, size=curr_fpn.shape[-2:], mode="nearest")'),
    (SEG, "return masks.unflatten(-1, pixel_embed.shape[-2:])"),
    (SEG, "if self.no_dec:"),
    (TRK, "r = 1 if self.training else self.memory_temporal_stride_for_eval"),
    (TRK, 'feats = out["maskmem_features"].flatten(2).permute(2, 0, 1)'),
    (TRK, "maskmem_enc = maskmem_enc + self.maskmem_tpos_enc[self.num_maskmem - t_pos - 1]"),
    (TRK, "if self.num_maskmem == 0:"),
    (DET, "keep = scores > self.score_threshold"),
    (DET, "boxes = boxes[keep]"),
    (DET, "kept_ids = keep.nonzero().squeeze(1)"),
    (ROPE, "w = h = math.isqrt(n)"),
]
# fmt: on


def sites_in(path: str) -> list[Site]:
    """The expected sites of one example file."""
    return [s for s in SITES if s.path == path]
