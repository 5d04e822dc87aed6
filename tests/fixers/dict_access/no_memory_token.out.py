"""ONNX export wrapper for `NoMemoryToken`, written by `exportlint fix`.

Target: tests/fixers/dict_access/no_memory_token.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dict-access (no_memory_token.in.py:24): `if not found:` appends
  `self.no_mem.expand(tokens.shape[0], -1, -1)` when no memory frame is found: the export always
  appends it, and the key mask attends to its tokens only when every memory slot is empty.
- dict-access (no_memory_token.in.py:18): `bank` becomes 3 fixed memory slots (3 looked up by
  frame, 0 always present): inputs memory_slots and memory_valid.
- dict-access: the gathering (lines 18-23) runs on the host in `gather_memory`; export_inputs
  stacks its result, zeros in empty slots.
- dict-access: `frame_idx` only chooses memory frames: it stays a host-side argument of
  export_inputs, not constants or graph inputs.

Graph inputs: tokens, memory_slots, memory_valid.
Graph outputs: output.
Run this file to export `no_memory_token.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "no_memory_token.in.py"
_USER_MODULE = "exportlint_target_dict_access_no_memory_token"


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
NoMemoryToken = _user.NoMemoryToken
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


# The memory slots of the export, in graph order: each slot's key (the non-tensor part of a
# gathered memory element) and the shape and dtype of the tensor of its entry.
MEMORY_SLOT_KEYS: tuple[tuple[object, ...], ...] = ((), (), ())
MEMORY_ENTRY_SHAPES: dict[str, tuple[int, ...]] = {
    "slots": (1, 3, 8),
}
MEMORY_ENTRY_DTYPES: dict[str, torch.dtype] = {
    "slots": torch.float32,
}
# The concatenated memory's tokens in order, as runs of (slot, count); slot -1: tokens of no
# slot, always attended to. Measured on the original by `exportlint fix`.
# Slot -2: the filler, attended to only when every slot is empty.
MEMORY_TOKEN_RUNS: tuple[tuple[int, int], ...] = ((0, 3), (1, 3), (2, 3), (-2, 1))


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
    per_slot = torch.cat([valid, ~valid.any(0, keepdim=True), torch.ones(1, dtype=torch.bool, device=valid.device)])
    tokens = torch.cat([per_slot[slot].expand(count) for slot, count in MEMORY_TOKEN_RUNS])
    return (~tokens).unsqueeze(0).expand(batch, -1)


class NoMemoryTokenForExport(NoMemoryToken):
    """`NoMemoryToken` with rewritten copies of: forward, gather_memory."""

    def forward(
        self,
        tokens: torch.Tensor,
        memory_slots: Tensor,
        memory_valid: Tensor,
    ) -> torch.Tensor:
        # exportlint: fixed memory slots replace the `bank` lookups (gather_memory
        # runs them on the host); `memory_valid` marks the slots that hold a frame.
        found = [
            memory_slots[i]
            for i in range(len(MEMORY_SLOT_KEYS))
        ]
        # exportlint: `if not found: found.append(...)` (no memory frame): with fixed slots
        # the filler is always there; the mask attends to it only when every slot is empty.
        found.append(self.no_mem.expand(tokens.shape[0], -1, -1))
        context = torch.cat(found, dim=1)
        memory_padding_mask = _padding_mask(memory_valid, batch=context.shape[0])
        update, _ = self.read(
            tokens,
            context,
            context,
            need_weights=False,
            key_padding_mask=memory_padding_mask,
        )
        return self.out(tokens + update)

    def gather_memory(self, tokens: torch.Tensor, bank: dict[int, torch.Tensor], frame_idx: int) -> list:
        """Run the memory gathering of `forward` on the host; return what it gathers."""
        found = []
        for back in range(1, self.num_mem):
            prev = bank.get(frame_idx - back)
            if prev is None:
                continue
            found.append(prev)
        return found


class NoMemoryTokenExport(nn.Module):
    """Export view of `NoMemoryToken`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: NoMemoryToken) -> None:
        super().__init__()
        self.model = _adopt(model, {"": NoMemoryTokenForExport})

    def forward(self, tokens: Tensor, memory_slots: Tensor, memory_valid: Tensor) -> Tensor:
        """Graph inputs: tokens, memory_slots, memory_valid."""
        out = self.model(tokens, memory_slots, memory_valid)
        return out

    def export_inputs(self, tokens, bank, frame_idx) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        gathered = self.model.gather_memory(tokens, bank, frame_idx)
        memory = _fill_slots(gathered)
        return (tokens, memory["slots"], memory["memory_valid"])


INPUT_NAMES = ("tokens", "memory_slots", "memory_valid")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[NoMemoryTokenExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = NoMemoryTokenExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("no_memory_token.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
