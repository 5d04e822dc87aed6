"""ONNX export wrapper for `VideoSeg`, written by `exportlint fix`.

Target: tests/fixers/variable_length_cat/video_read.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dict-access (video_read.in.py:40): `if len(bank) > 0:` tests whether a memory frame was found:
  with fixed slots that is `memory_valid.any()`; both branches are computed and torch.where
  selects what they assign.
- dict-access (video_read.in.py:34): `memory` becomes 4 fixed memory slots (4 looked up by frame,
  0 always present): inputs memory_slots and memory_valid.
- dict-access: the gathering (lines 34-39) runs on the host in `gather_memory`; export_inputs
  stacks its result, zeros in empty slots.
- dict-access: `t` only chooses memory frames: it stays a host-side argument of export_inputs, not
  constants or graph inputs.

Graph inputs: frame, memory_slots, memory_valid.
Graph outputs: output.
Run this file to export `video_read.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "video_read.in.py"
_USER_MODULE = "exportlint_target_variable_length_cat_video_read"


def _load_user_module() -> ModuleType:
    """Load the user's file once, under the name `exportlint fix` used for it."""
    loaded = sys.modules.get(_USER_MODULE)
    if loaded is not None and Path(loaded.__file__ or "").resolve() == _USER_FILE.resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(_USER_MODULE, _USER_FILE)
    assert spec is not None and spec.loader is not None, f"cannot load {_USER_FILE}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[_USER_MODULE] = module
    spec.loader.exec_module(module)
    return module


_user = _load_user_module()
CrossAttn = _user.CrossAttn
VideoSeg = _user.VideoSeg
make = _user.make


def _adopt(model: nn.Module, classes: dict[str, type[nn.Module]]) -> nn.Module:
    """A view of `model` in which the submodules at the paths in `classes` have those classes.

    A view is a new object of the given class sharing the original's `__dict__` entries: the
    same parameters, buffers and submodules, so nothing is copied and the weights stay the
    user's. The original modules are not modified.
    """
    return _view(model, "", classes)


def _view(module: nn.Module, path: str, classes: dict[str, type[nn.Module]]) -> nn.Module:
    cls = classes.get(path, type(module))
    view = cls.__new__(cls)
    view.__dict__.update(module.__dict__)
    prefix = f"{path}." if path else ""
    children = dict(module._modules)
    for name, child in children.items():
        inner = f"{prefix}{name}"
        if child is not None and any(p == inner or p.startswith(f"{inner}.") for p in classes):
            children[name] = _view(child, inner, classes)
    view.__dict__["_modules"] = children
    # Own dicts (same tensors): attributes the wrapper adds never reach the original.
    view.__dict__["_parameters"] = dict(module._parameters)
    view.__dict__["_buffers"] = dict(module._buffers)
    return view


def _key_mask(valid: Tensor) -> Tensor:
    """Per token of the concatenated memory: True on the tokens of empty slots."""
    per_slot = torch.cat([valid, torch.ones(1, dtype=torch.bool, device=valid.device)])
    return ~torch.cat([per_slot[slot].expand(count) for slot, count in MEMORY_TOKEN_RUNS])


def _masked_scores(scores: Tensor, key_mask: Tensor | None) -> Tensor:
    """Attention scores with the keys of empty memory slots at -inf (zero weight)."""
    if key_mask is None:
        return scores
    return scores.masked_fill(key_mask, float("-inf"))


def _kept_keys(key_mask: Tensor | None) -> Tensor | None:
    """`attn_mask` of scaled_dot_product_attention: (1, tokens), True on keys to attend to."""
    return None if key_mask is None else ~key_mask.unsqueeze(0)


# The memory slots of the export, in graph order: each slot's key (the non-tensor part of a
# gathered memory element) and the shape and dtype of the tensor of its entry.
MEMORY_SLOT_KEYS: tuple[tuple[object, ...], ...] = ((), (), (), ())
MEMORY_ENTRY_SHAPES: dict[str, tuple[int, ...]] = {
    "slots": (1, 6, 16),
}
MEMORY_ENTRY_DTYPES: dict[str, torch.dtype] = {
    "slots": torch.float32,
}
# The concatenated memory's tokens in order, as runs of (slot, count); slot -1: tokens of no
# slot, always attended to. Measured on the original by `exportlint fix`.
MEMORY_TOKEN_RUNS: tuple[tuple[int, int], ...] = ((0, 6), (1, 6), (2, 6), (3, 6))


def _fill_slots(gathered: list[object]) -> dict[str, Tensor]:
    """Stack gathered memory elements into fixed slots, by key; empty slots are zeros.

    Returns one stacked tensor per entry key, and `"memory_valid"`: True where a slot holds memory.
    """
    entries: list[Tensor | None] = [None] * len(MEMORY_SLOT_KEYS)
    for element in gathered:
        key, entry = (), element
        free = [i for i, k in enumerate(MEMORY_SLOT_KEYS) if k == key and entries[i] is None]
        if not free:
            raise ValueError(f"memory element {key} has no free slot in the export")
        entries[free[0]] = entry  # type: ignore[assignment]
    stacked = {
        name: torch.stack(
            [
                e if e is not None else torch.zeros(shape, dtype=MEMORY_ENTRY_DTYPES[name])
                for e in entries
            ]
        )
        for name, shape in MEMORY_ENTRY_SHAPES.items()
    }
    stacked["memory_valid"] = torch.tensor([e is not None for e in entries])
    return stacked


def _padding_mask(valid: Tensor, batch: int) -> Tensor:
    """Key padding mask (batch, tokens) of the concatenated memory: True on empty slots' tokens."""
    per_slot = torch.cat([valid, torch.ones(1, dtype=torch.bool, device=valid.device)])
    tokens = torch.cat([per_slot[slot].expand(count) for slot, count in MEMORY_TOKEN_RUNS])
    return (~tokens).unsqueeze(0).expand(batch, -1)


class CrossAttnForExport(CrossAttn):
    """`CrossAttn` with rewritten copies of: forward."""

    def forward(
        self,
        x,
        mem,
        memory_key_mask: Tensor | None = None,
    ):
        att = (self.q(x) @ self.k(mem).transpose(-2, -1)) / 4.0
        return _masked_scores(att, memory_key_mask).softmax(dim=-1) @ self.v(mem)


class VideoSegForExport(VideoSeg):
    """`VideoSeg` with rewritten copies of: forward, gather_memory."""

    def forward(
        self,
        frame,
        memory_slots: Tensor,
        memory_valid: Tensor,
    ):
        f = self.enc(frame)
        b, c, h, w = f.shape
        tokens = f.flatten(2).transpose(1, 2)
        # exportlint: fixed memory slots replace the `memory` lookups (gather_memory
        # runs them on the host); `memory_valid` marks the slots that hold a frame.
        bank = [
            memory_slots[i]
            for i in range(len(MEMORY_SLOT_KEYS))
        ]
        memory_key_mask = _key_mask(memory_valid)
        memory_found = memory_valid.any()
        mem_if_true = torch.stack(bank, dim=1).flatten(1, 2)
        tokens_if_true = tokens + self.read(
            tokens,
            mem_if_true,
            memory_key_mask=memory_key_mask,
        )
        tokens = torch.where(memory_found, tokens_if_true, tokens)
        return self.head(tokens.transpose(1, 2).reshape(b, c, h, w))

    def gather_memory(self, frame, memory, t) -> list:
        """Run the memory gathering of `forward` on the host; return what it gathers."""
        f = self.enc(frame)
        b, c, h, w = f.shape
        tokens = f.flatten(2).transpose(1, 2)
        bank = []
        for i in range(1, self.n_mem + 1):
            m = memory.get(int(t) - i, None)
            if m is None:
                continue
            bank.append(m)
        return bank


class VideoSegExport(nn.Module):
    """Export view of `VideoSeg`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: VideoSeg) -> None:
        super().__init__()
        self.model = _adopt(model, {"": VideoSegForExport, "read": CrossAttnForExport})

    def forward(self, frame: Tensor, memory_slots: Tensor, memory_valid: Tensor) -> Tensor:
        """Graph inputs: frame, memory_slots, memory_valid."""
        out = self.model(frame, memory_slots, memory_valid)
        return out

    def export_inputs(self, frame, memory, t) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        gathered = self.model.gather_memory(frame, memory, t)
        memory = _fill_slots(gathered)
        return (frame, memory["slots"], memory["memory_valid"])


INPUT_NAMES = ("frame", "memory_slots", "memory_valid")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[VideoSegExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = VideoSegExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("video_read.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
