"""One line of an example at a time: tiny modules that isolate a pattern so its export outcome
can be pinned to that line. `check_exports.py` runs them with the examples.

Each `make_*` mirrors the example line named in its docstring.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

THRESHOLD = 0.55


class BranchOnMax(nn.Module):
    def forward(self, scores: Tensor) -> Tensor:
        if scores.max() < THRESHOLD:
            return scores * 0.0
        return scores * 2.0


class NonzeroIds(nn.Module):
    def forward(self, scores: Tensor) -> Tensor:
        keep = scores > THRESHOLD
        return keep.nonzero().squeeze(1)


class BoolMask(nn.Module):
    def forward(self, scores: Tensor, boxes: Tensor) -> Tensor:
        keep = scores > THRESHOLD
        return boxes[keep]


class ItemSlice(nn.Module):
    def forward(self, scores: Tensor) -> Tensor:
        keep = scores > THRESHOLD
        num_kept = keep.sum().item()
        order = scores.argsort(descending=True)[: min(int(num_kept), 3)]
        return scores[order]


class PolarInForward(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        angles = torch.outer(torch.arange(x.shape[-2], dtype=torch.float32), torch.ones(4))
        freqs = torch.polar(torch.ones_like(angles), angles)
        xc = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(xc * freqs).flatten(-2)


class ComplexAttribute(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        angles = torch.outer(torch.arange(6, dtype=torch.float32), torch.ones(4))
        self.freqs = torch.polar(torch.ones_like(angles), angles)

    def forward(self, x: Tensor) -> Tensor:
        xc = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
        return torch.view_as_real(xc * self.freqs).flatten(-2)


class DictGetByIntArg(nn.Module):
    def forward(self, frame_idx: int, x: Tensor, memory: dict[int, Tensor], n: int) -> Tensor:
        out = memory.get(frame_idx - 1, None)
        if out is None:
            return x
        return x + out


class DictValuesCat(nn.Module):
    def forward(self, x: Tensor, memory: dict[str, dict[int, Tensor]], n: int) -> Tensor:
        parts = [x]
        for out in memory["cond"].values():
            parts.append(out)  # noqa: PERF402 - the pattern under test
        return torch.cat(parts, dim=0)


class CudaCall(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.cuda(non_blocking=True).float() * 2.0


class CudaFactory(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x + torch.zeros(x.shape, device="cuda")


def _scores(seed: int, n: int = 10) -> Tensor:
    return torch.rand(n, generator=torch.Generator().manual_seed(seed))


def make_branch_on_max() -> tuple[nn.Module, tuple[Any, ...]]:
    """detection_head.py: `if scores.max() < self.score_threshold:`"""
    return BranchOnMax(), (_scores(0),)


def make_nonzero() -> tuple[nn.Module, tuple[Any, ...]]:
    """detection_head.py: `kept_ids = keep.nonzero().squeeze(1)`"""
    return NonzeroIds(), (_scores(0),)


def make_bool_mask() -> tuple[nn.Module, tuple[Any, ...]]:
    """detection_head.py: `boxes = boxes[keep]`"""
    return BoolMask(), (_scores(0), torch.rand(10, 4))


def make_item_slice() -> tuple[nn.Module, tuple[Any, ...]]:
    """detection_head.py: `num_kept = keep.sum().item()` used in a slice bound."""
    return ItemSlice(), (_scores(0),)


def make_polar_in_forward() -> tuple[nn.Module, tuple[Any, ...]]:
    """rope_attention.py: `torch.polar` / `view_as_complex` / `view_as_real` inside forward."""
    return PolarInForward(), (torch.randn(2, 6, 8),)


def make_complex_attribute() -> tuple[nn.Module, tuple[Any, ...]]:
    """rope_attention.py: the complex `self.freqs_cis` table built in `__init__`."""
    return ComplexAttribute(), (torch.randn(2, 6, 8),)


def make_dict_get_by_int_arg() -> tuple[nn.Module, tuple[Any, ...]]:
    """tracker.py: `output_dict[...].get(prev_frame_idx, None)` with an int forward argument."""
    memory = {3: torch.randn(2, 4), 4: torch.randn(2, 4)}
    return DictGetByIntArg(), (5, torch.randn(2, 4), memory, 10)


def make_dict_values_cat() -> tuple[nn.Module, tuple[Any, ...]]:
    """tracker.py: `for out in output_dict["cond_frame_outputs"].values()` then `torch.cat`."""
    memory = {"cond": {0: torch.randn(2, 4), 7: torch.randn(2, 4)}}
    return DictValuesCat(), (torch.randn(2, 4), memory, 10)


def make_cuda_call() -> tuple[nn.Module, tuple[Any, ...]]:
    """device_pinned.py: `stored.cuda(non_blocking=True)`"""
    return CudaCall(), (torch.randn(2, 4),)


def make_cuda_factory() -> tuple[nn.Module, tuple[Any, ...]]:
    """device_pinned.py: `torch.zeros(restored.shape, device="cuda")`"""
    return CudaFactory(), (torch.randn(2, 4),)


def checks(module: nn.Module, args: tuple[Any, ...]) -> list[Any]:
    """Inputs that flip each probe's decision or change its memory layout."""
    from examples.export_cases import Check

    if isinstance(module, (BranchOnMax, NonzeroIds, ItemSlice)):
        return [
            Check("decision", "other scores (other count kept)", (_scores(1),)),
            Check("decision", "all scores low", (_scores(2) * 0.5,)),
        ]
    if isinstance(module, BoolMask):
        return [Check("decision", "other scores (other count kept)", (_scores(1), args[1]))]
    if isinstance(module, DictGetByIntArg):
        memory = {k: torch.randn(2, 4) for k in args[2]}
        return [
            Check("values", "other memory values", (5, torch.randn(2, 4), memory, 10)),
            Check("flag", "frame_idx=4", (4, *args[1:])),
        ]
    if isinstance(module, DictValuesCat):
        memory = {"cond": {0: torch.randn(2, 4)}}
        return [
            Check("values", "other values", (torch.randn(2, 4), args[1], 10)),
            Check("layout", "one cond frame", (args[0], memory, 10)),
        ]
    return [Check("values", "other values", (torch.randn(*args[0].shape),))]


PROBES = [
    ("make_branch_on_max", "if scores.max() < t"),
    ("make_nonzero", "keep.nonzero()"),
    ("make_bool_mask", "boxes[keep]"),
    ("make_item_slice", ".item() as a slice bound"),
    ("make_polar_in_forward", "complex built in forward"),
    ("make_complex_attribute", "complex table from __init__"),
    ("make_dict_get_by_int_arg", "dict.get keyed by an int arg"),
    ("make_dict_values_cat", "loop over dict values + cat"),
    ("make_cuda_call", ".cuda() in forward"),
    ("make_cuda_factory", 'device="cuda" in forward'),
]
