"""ONNX export wrapper for `ConfidentEnergy`, written by `exportlint fix`.

Target: tests/fixers/data_dependent_index/positive_energy.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- data-dependent-index (positive_energy.in.py:22): `scores.masked_select(keep)` is boolean
  indexing (`_masked_select`): the same elements in the same order, which both exporters convert;
  the dynamo exporter has no masked_select.
- data-dependent-index (positive_energy.in.py:23): `torch.masked_select(scores, keep[:, :1])` is
  boolean indexing (`_masked_select`): the same elements in the same order, which both exporters
  convert; the dynamo exporter has no masked_select.

Graph inputs: feats.
Graph outputs: output_0, output_1.
Run this file to export `positive_energy.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "positive_energy.in.py"
_USER_MODULE = "exportlint_target_data_dependent_index_positive_energy"


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
ConfidentEnergy = _user.ConfidentEnergy
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


def _masked_select(values: Tensor, mask: Tensor) -> Tensor:
    """`torch.masked_select` as boolean indexing: the same elements in the same order, which
    both exporters convert (NonZero + GatherND; the dynamo exporter has no masked_select)."""
    values, mask = torch.broadcast_tensors(values, mask)
    return values[mask]


class ConfidentEnergyForExport(ConfidentEnergy):
    """`ConfidentEnergy` with rewritten copies of: forward."""

    def forward(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        scores = self.score(feats).sigmoid()
        keep = scores > self.threshold + 0.3
        kept = _masked_select(scores, keep)
        weights = _masked_select(scores, keep[:, :1])
        return kept.sum().reshape(1) + weights.sum().reshape(1), kept


class ConfidentEnergyExport(nn.Module):
    """Export view of `ConfidentEnergy`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: ConfidentEnergy) -> None:
        super().__init__()
        self.model = _adopt(model, {"": ConfidentEnergyForExport})

    def forward(self, feats: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: feats."""
        out = self.model(feats)
        return out[0], out[1]

    def export_inputs(self, feats) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feats,)


INPUT_NAMES = ("feats",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[ConfidentEnergyExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = ConfidentEnergyExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("positive_energy.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
