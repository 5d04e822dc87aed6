"""ONNX export wrapper for `MemoryRead`, written by `exportlint fix`.

Target: tests/fixers/dict_access/manual_attention.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dict-access (manual_attention.in.py:28): `if not keys:` returns early when no memory frame is
  found: both results are computed and `memory_valid.any()` selects one.
- dict-access (manual_attention.in.py:23): `store` becomes 3 fixed memory slots (3 looked up by
  frame, 0 always present): inputs memory_slots and memory_valid.
- dict-access: the gathering (lines 23-27) runs on the host in `gather_memory`; export_inputs
  stacks its result, zeros in empty slots.
- dict-access: `t` only chooses memory frames: it stays a host-side argument of export_inputs, not
  constants or graph inputs.

Graph inputs: x, memory_slots, memory_valid.
Graph outputs: output.
Run this file to export `manual_attention.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
import torch.nn.functional as F
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "manual_attention.in.py"
_USER_MODULE = "exportlint_target_dict_access_manual_attention"


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
MemoryRead = _user.MemoryRead
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
MEMORY_SLOT_KEYS: tuple[tuple[object, ...], ...] = ((), (), ())
MEMORY_ENTRY_SHAPES: dict[str, tuple[int, ...]] = {
    "slots": (1, 4, 8),
}
MEMORY_ENTRY_DTYPES: dict[str, torch.dtype] = {
    "slots": torch.float32,
}
# The concatenated memory's tokens in order, as runs of (slot, count); slot -1: tokens of no
# slot, always attended to. Measured on the original by `exportlint fix`.
MEMORY_TOKEN_RUNS: tuple[tuple[int, int], ...] = ((0, 4), (1, 4), (2, 4))


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


class MemoryReadForExport(MemoryRead):
    """`MemoryRead` with rewritten copies of: attend, forward, gather_memory."""

    def attend(
        self,
        q: Tensor,
        k: Tensor,
        v: Tensor,
        memory_key_mask: Tensor | None = None,
    ) -> Tensor:
        logits = torch.einsum("bqc,bkc->bqk", q, k) * self.scale
        return F.softmax(_masked_scores(logits, memory_key_mask), dim=-1) @ v

    def forward(
        self,
        x: Tensor,
        memory_slots: Tensor,
        memory_valid: Tensor,
    ) -> Tensor:
        # exportlint: fixed memory slots replace the `store` lookups (gather_memory
        # runs them on the host); `memory_valid` marks the slots that hold a frame.
        keys = [
            memory_slots[i]
            for i in range(len(MEMORY_SLOT_KEYS))
        ]
        memory_key_mask = _key_mask(memory_valid)
        # exportlint: `if not keys: return ...` (no memory frame) becomes a value: with fixed
        # slots the list is never empty, so `memory_valid.any()` picks the result below.
        no_memory_result = x
        mem = torch.cat(keys, dim=1)
        k, v = self.to_kv(mem).chunk(2, dim=-1)
        memory_result = x + self.attend(
            self.to_q(x),
            k,
            v,
            memory_key_mask=memory_key_mask,
        )
        return torch.where(memory_valid.any(), memory_result, no_memory_result)

    def gather_memory(self, x: Tensor, store: dict[int, Tensor], t: int) -> list:
        """Run the memory gathering of `forward` on the host; return what it gathers."""
        keys = []
        for back in range(self.window, 0, -1):
            if t - back not in store:
                continue
            keys.append(store[t - back])
        return keys


class MemoryReadExport(nn.Module):
    """Export view of `MemoryRead`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: MemoryRead) -> None:
        super().__init__()
        self.model = _adopt(model, {"": MemoryReadForExport})

    def forward(self, x: Tensor, memory_slots: Tensor, memory_valid: Tensor) -> Tensor:
        """Graph inputs: x, memory_slots, memory_valid."""
        out = self.model(x, memory_slots, memory_valid)
        return out

    def export_inputs(self, x, store, t) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        gathered = self.model.gather_memory(x, store, t)
        memory = _fill_slots(gathered)
        return (x, memory["slots"], memory["memory_valid"])


INPUT_NAMES = ("x", "memory_slots", "memory_valid")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[MemoryReadExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = MemoryReadExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("manual_attention.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
