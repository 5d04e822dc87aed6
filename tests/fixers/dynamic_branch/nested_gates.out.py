"""ONNX export wrapper for `NestedGates`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/nested_gates.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (nested_gates.in.py:23): `x.mean() > self.gate` depends on tensor data; the tests
  nested in or chained to it (`x.max() > 1.0`) are merged inside its branches: every branch is
  computed and nested torch.where select what they assign (`pred_23`, `pred_30`).
- dynamic-branch (nested_gates.in.py:24): `self.use_refine` is True in this configuration: frozen
  inside the merged branch.

Graph inputs: x.
Graph outputs: output.
Run this file to export `nested_gates.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "nested_gates.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_nested_gates"


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
NestedGates = _user.NestedGates
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


class NestedGatesForExport(NestedGates):
    """`NestedGates` with rewritten copies of: forward."""

    def forward(self, x: Tensor) -> Tensor:
        levels = []
        for stage in self.stages:
            x = torch.relu(stage(x))
            pred_23 = x.mean() > self.gate
            y_if_true = self.refine(x)
            levels_item0_if_true = y_if_true
            pred_30 = x.max() > 1.0
            levels_item0_30_true = x * 0.5
            levels_item0_30_false = torch.zeros_like(x)
            levels_item0_if_false = torch.where(pred_30, levels_item0_30_true, levels_item0_30_false)
            levels_item0 = torch.where(pred_23, levels_item0_if_true, levels_item0_if_false)
            levels.append(levels_item0)
        return torch.stack(levels, dim=1)


class NestedGatesExport(nn.Module):
    """Export view of `NestedGates`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: NestedGates) -> None:
        super().__init__()
        self.model = _adopt(model, {"": NestedGatesForExport})

    def forward(self, x: Tensor) -> Tensor:
        """Graph inputs: x."""
        out = self.model(x)
        return out

    def export_inputs(self, x) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x,)


INPUT_NAMES = ("x",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[NestedGatesExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = NestedGatesExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("nested_gates.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
