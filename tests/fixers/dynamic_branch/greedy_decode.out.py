"""ONNX export wrapper for `GreedyDecoder`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/greedy_decode.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (greedy_decode.in.py:26): `(token == self.eos).all()` depends on tensor data: the
  loop keeps its iterations over `range(self.max_len)`, and once the original would have stopped,
  `done_22` freezes `hidden`, `token` with torch.where, `_keep` (exact for every input that stops
  within the bound).

Graph inputs: memory.
Graph outputs: output_0, output_1.
Run this file to export `greedy_decode.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "greedy_decode.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_greedy_decode"


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
GreedyDecoder = _user.GreedyDecoder
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


def _keep(done: Tensor, kept: Tensor, new: Tensor) -> Tensor:
    """`torch.where(done, kept, new)`: the value from before the step once the loop is done. A
    boolean tensor goes through uint8 and back (onnxruntime has no boolean Where kernel); a
    Python number carried by the loop becomes a tensor."""
    kept, new = torch.as_tensor(kept), torch.as_tensor(new)
    if new.dtype == torch.bool:
        return torch.where(done, kept.to(torch.uint8), new.to(torch.uint8)).to(torch.bool)
    return torch.where(done, kept, new)


class GreedyDecoderForExport(GreedyDecoder):
    """`GreedyDecoder` with rewritten copies of: forward."""

    def forward(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        hidden = memory
        tokens = torch.full((memory.shape[0], self.max_len), self.eos, dtype=torch.long)
        token = torch.ones(memory.shape[0], dtype=torch.long)
        done_22 = torch.zeros((), dtype=torch.bool)
        for t in range(self.max_len):
            hidden_kept_22 = hidden
            token_kept_22 = token
            hidden = self.cell(self.embed(token), hidden)
            token = self.head(hidden).argmax(dim=-1)
            tokens[:, t] = _keep(done_22, tokens[:, t], token)
            hidden = _keep(done_22, hidden_kept_22, hidden)
            token = _keep(done_22, token_kept_22, token)
            done_22 = torch.logical_or(done_22, torch.as_tensor((token == self.eos).all()))
        return tokens, hidden


class GreedyDecoderExport(nn.Module):
    """Export view of `GreedyDecoder`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: GreedyDecoder) -> None:
        super().__init__()
        self.model = _adopt(model, {"": GreedyDecoderForExport})

    def forward(self, memory: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: memory."""
        out = self.model(memory)
        return out[0], out[1]

    def export_inputs(self, memory) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (memory,)


INPUT_NAMES = ("memory",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[GreedyDecoderExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = GreedyDecoderExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("greedy_decode.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
