"""ONNX export wrapper for `RecentFrames`, written by `exportlint fix`.

Target: tests/fixers/dict_access/nested_state.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dict-access (nested_state.in.py:26): `state` becomes 3 fixed memory slots (2 looked up by frame,
  1 always present): inputs memory_tokens and memory_valid.
- dict-access: the gathering (lines 26-30) runs on the host in `gather_memory`; export_inputs
  stacks its result, zeros in empty slots.
- dict-access: `step` only chooses memory frames: it stays a host-side argument of export_inputs,
  not constants or graph inputs.

Graph inputs: query, memory_tokens, memory_valid.
Graph outputs: output.
Run this file to export `nested_state.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "nested_state.in.py"
_USER_MODULE = "exportlint_target_dict_access_nested_state"


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
MemoryReader = _user.MemoryReader
RecentFrames = _user.RecentFrames
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
# gathered memory element) and the shape and dtype of each tensor of its entry.
MEMORY_SLOT_KEYS: tuple[tuple[object, ...], ...] = ((0,), (2,), (1,))
MEMORY_ENTRY_SHAPES: dict[str, tuple[int, ...]] = {
    "tokens": (2, 3, 2, 8),
}
MEMORY_ENTRY_DTYPES: dict[str, torch.dtype] = {
    "tokens": torch.float32,
}
# The concatenated memory's tokens in order, as runs of (slot, count); slot -1: tokens of no
# slot, always attended to. Measured on the original by `exportlint fix`.
MEMORY_TOKEN_RUNS: tuple[tuple[int, int], ...] = ((0, 6), (1, 6), (2, 6))


def _fill_slots(gathered: list[object]) -> dict[str, Tensor]:
    """Stack gathered memory elements into fixed slots, by key; empty slots are zeros.

    Returns one stacked tensor per entry key, and `"memory_valid"`: True where a slot holds memory.
    """
    entries: list[dict[str, Tensor] | None] = [None] * len(MEMORY_SLOT_KEYS)
    for element in gathered:
        key, entry = element[:1] + element[2:], element[1]
        free = [i for i, k in enumerate(MEMORY_SLOT_KEYS) if k == key and entries[i] is None]
        if not free:
            raise ValueError(f"memory element {key} has no free slot in the export")
        entries[free[0]] = entry  # type: ignore[assignment]
    stacked = {
        name: torch.stack(
            [
                e[name] if e is not None else torch.zeros(shape, dtype=MEMORY_ENTRY_DTYPES[name])
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


class MemoryReaderForExport(MemoryReader):
    """`MemoryReader` with rewritten copies of: forward."""

    def forward(
        self,
        query: Tensor,
        keys: Tensor,
        memory_padding_mask: Tensor | None = None,
    ) -> Tensor:
        return query + self.attn(
            query,
            keys,
            keys,
            need_weights=False,
            key_padding_mask=memory_padding_mask,
        )[0]


class RecentFramesForExport(RecentFrames):
    """`RecentFrames` with rewritten copies of: forward, gather_memory."""

    def forward(
        self,
        query: Tensor,
        memory_tokens: Tensor,
        memory_valid: Tensor,
    ) -> Tensor:
        # exportlint: fixed memory slots replace the `state` lookups (gather_memory
        # runs them on the host); `memory_valid` marks the slots that hold a frame.
        picked = [
            (
                key[0],
                {
                    "tokens": memory_tokens[i],
                },
            )
            for i, key in enumerate(MEMORY_SLOT_KEYS)
        ]
        tokens = []
        for back, frame in picked:
            tokens.append((frame["tokens"] + self.age_embed[back]).flatten(0, 1))
        keys = torch.cat(tokens, dim=0)
        memory_padding_mask = _padding_mask(memory_valid, batch=keys.shape[1])
        return self.reader(
            query,
            keys,
            memory_padding_mask=memory_padding_mask,
        )

    def gather_memory(self, query: Tensor, state: dict[str, object], step: int) -> list:
        """Run the memory gathering of `forward` on the host; return what it gathers."""
        picked = [(0, state["anchor"])]
        for back in range(self.window, 0, -1):
            frame = state["frames"].get(step - back)
            if frame is not None:
                picked.append((back, frame))
        return picked


class RecentFramesExport(nn.Module):
    """Export view of `RecentFrames`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: RecentFrames) -> None:
        super().__init__()
        self.model = _adopt(model, {"": RecentFramesForExport, "reader": MemoryReaderForExport})

    def forward(self, query: Tensor, memory_tokens: Tensor, memory_valid: Tensor) -> Tensor:
        """Graph inputs: query, memory_tokens, memory_valid."""
        out = self.model(query, memory_tokens, memory_valid)
        return out

    def export_inputs(self, query, state, step) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        gathered = self.model.gather_memory(query, state, step)
        memory = _fill_slots(gathered)
        return (query, memory["tokens"], memory["memory_valid"])


INPUT_NAMES = ("query", "memory_tokens", "memory_valid")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[RecentFramesExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = RecentFramesExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("nested_state.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
