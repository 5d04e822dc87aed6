"""ONNX export wrapper for `PonderCell`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/act_halting.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (act_halting.in.py:22): `(halted < self.threshold).any() and step <
  self.max_steps` depends on tensor data: the loop becomes a `for` of `self.max_steps` iterations
  (its own counter's bound), and once the original would have stopped, `done_22` freezes `halted`,
  `output`, `state` with torch.where, `_keep` (exact for every input that stops within the bound).
  The counter `step` stays a Python int that counts every iteration, masked ones included.

Graph inputs: x.
Graph outputs: output_0, output_1.
Run this file to export `act_halting.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "act_halting.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_act_halting"


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
PonderCell = _user.PonderCell
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


class PonderCellForExport(PonderCell):
    """`PonderCell` with rewritten copies of: forward."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        state = x
        halted = torch.zeros(x.shape[0])
        output = torch.zeros_like(x)
        step = 0
        done_22 = torch.zeros((), dtype=torch.bool)
        for _step_22 in range(self.max_steps):
            done_22 = torch.logical_or(done_22, torch.logical_not(torch.logical_and(torch.as_tensor((halted < self.threshold).any()), torch.as_tensor(step < self.max_steps))))
            halted_kept_22 = halted
            output_kept_22 = output
            state_kept_22 = state
            p = torch.sigmoid(self.halt(state)).squeeze(-1)
            p = torch.minimum(p, 1.0 - halted)
            state = torch.tanh(self.cell(state) + x)
            output = output + p.unsqueeze(-1) * state
            halted = halted + p
            step = step + 1
            halted = _keep(done_22, halted_kept_22, halted)
            output = _keep(done_22, output_kept_22, output)
            state = _keep(done_22, state_kept_22, state)
        return output, halted


class PonderCellExport(nn.Module):
    """Export view of `PonderCell`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: PonderCell) -> None:
        super().__init__()
        self.model = _adopt(model, {"": PonderCellForExport})

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: x."""
        out = self.model(x)
        return out[0], out[1]

    def export_inputs(self, x) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x,)


INPUT_NAMES = ("x",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[PonderCellExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = PonderCellExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("act_halting.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
