"""ONNX export wrapper for `DepthRange`, written by `exportlint fix`.

Target: tests/fixers/unsupported_op/peak_amin.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- unsupported-op (peak_amin.in.py:15): `d.amin()` over every axis becomes `d.min()`: the same
  value, which both exporters convert.
- unsupported-op (peak_amin.in.py:16): `torch.amax(d)` over every axis becomes `torch.max(d)`: the
  same value, which both exporters convert.

Graph inputs: depth.
Graph outputs: output.
Run this file to export `peak_amin.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "peak_amin.in.py"
_USER_MODULE = "exportlint_target_unsupported_op_peak_amin"


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
DepthRange = _user.DepthRange
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


class DepthRangeForExport(DepthRange):
    """`DepthRange` with rewritten copies of: forward."""

    def forward(self, depth: torch.Tensor) -> torch.Tensor:
        d = self.proj(depth)
        low = d.min()
        high = torch.max(d)
        return (d - low) / (high - low + 1e-6)


class DepthRangeExport(nn.Module):
    """Export view of `DepthRange`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: DepthRange) -> None:
        super().__init__()
        self.model = _adopt(model, {"": DepthRangeForExport})

    def forward(self, depth: Tensor) -> Tensor:
        """Graph inputs: depth."""
        out = self.model(depth)
        return out

    def export_inputs(self, depth) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (depth,)


INPUT_NAMES = ("depth",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[DepthRangeExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = DepthRangeExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("peak_amin.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
