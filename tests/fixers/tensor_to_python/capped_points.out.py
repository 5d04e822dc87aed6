"""ONNX export wrapper for `CappedPoints`, written by `exportlint fix`.

Target: tests/fixers/tensor_to_python/capped_points.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- tensor-to-python (capped_points.in.py:17): `min(int(passing.sum()), self.max_points)` only
  bounds slices: written `.long().clamp(max=...)`, a 0-d tensor, so the sliced size follows the
  data under both exporters instead of the example's number.

Graph inputs: coords, logits.
Graph outputs: output.
Run this file to export `capped_points.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "capped_points.in.py"
_USER_MODULE = "exportlint_target_tensor_to_python_capped_points"


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
CappedPoints = _user.CappedPoints
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


class CappedPointsForExport(CappedPoints):
    """`CappedPoints` with rewritten copies of: forward."""

    def forward(self, coords: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        ranked = logits.argsort(descending=True)
        passing = logits.sigmoid() > 0.5
        count = passing.sum().long().clamp(max=self.max_points)
        chosen = ranked[:count]
        return self.encode(coords[chosen])


class CappedPointsExport(nn.Module):
    """Export view of `CappedPoints`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: CappedPoints) -> None:
        super().__init__()
        self.model = _adopt(model, {"": CappedPointsForExport})

    def forward(self, coords: Tensor, logits: Tensor) -> Tensor:
        """Graph inputs: coords, logits."""
        out = self.model(coords, logits)
        return out

    def export_inputs(self, coords, logits) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (coords, logits)


INPUT_NAMES = ("coords", "logits")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[CappedPointsExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = CappedPointsExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("capped_points.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
