"""ONNX export wrapper for `MeanShift`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/mean_shift.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (mean_shift.in.py:22): `moved > self.cfg["eps"] and it < self.cfg["max_iter"]`
  depends on tensor data: the loop becomes a `for` of `self.cfg["max_iter"]` iterations (its own
  counter's bound), and once the original would have stopped, `done_22` freezes `centres`, `moved`
  with torch.where, `_keep` (exact for every input that stops within the bound). The counter `it`
  stays a Python int that counts every iteration, masked ones included.
- unsupported-op (mean_shift.in.py:23): `torch.cdist(centres, emb)` becomes `_cdist(...)`: the
  same Euclidean distances from matmuls (sqrt(|a|^2 + |b|^2 - 2 a.b)), which both exporters
  convert.

Graph inputs: points, seeds.
Graph outputs: output.
Run this file to export `mean_shift.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "mean_shift.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_mean_shift"


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
MeanShift = _user.MeanShift
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


def _cdist(a: Tensor, b: Tensor) -> Tensor:
    """`torch.cdist(a, b)` (p=2) from matmuls: sqrt(|a|^2 + |b|^2 - 2 a.b), clamped at 0 before
    the root; the dynamo exporter has no cdist, both exporters convert these ops."""
    squared = a.pow(2).sum(-1).unsqueeze(-1) + b.pow(2).sum(-1).unsqueeze(-2) - 2 * (a @ b.transpose(-1, -2))
    return squared.clamp_min(0).sqrt()


class MeanShiftForExport(MeanShift):
    """`MeanShift` with rewritten copies of: forward."""

    def forward(self, points: torch.Tensor, seeds: torch.Tensor) -> torch.Tensor:
        emb = self.embed(points)
        centres = seeds
        moved = torch.full((), float("inf"))
        it = 0
        done_22 = torch.zeros((), dtype=torch.bool)
        for _step_22 in range(self.cfg["max_iter"]):
            done_22 = torch.logical_or(done_22, torch.logical_not(torch.logical_and(torch.as_tensor(moved > self.cfg["eps"]), torch.as_tensor(it < self.cfg["max_iter"]))))
            centres_kept_22 = centres
            moved_kept_22 = moved
            d2 = _cdist(centres, emb) ** 2
            w = torch.exp(-d2 / (2 * self.cfg["bandwidth"] ** 2))
            shifted = (w @ emb) / w.sum(dim=1, keepdim=True).clamp_min(1e-6)
            moved = (shifted - centres).norm(dim=1).max()
            centres = shifted
            it = it + 1
            centres = _keep(done_22, centres_kept_22, centres)
            moved = _keep(done_22, moved_kept_22, moved)
        return centres


class MeanShiftExport(nn.Module):
    """Export view of `MeanShift`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: MeanShift) -> None:
        super().__init__()
        self.model = _adopt(model, {"": MeanShiftForExport})

    def forward(self, points: Tensor, seeds: Tensor) -> Tensor:
        """Graph inputs: points, seeds."""
        out = self.model(points, seeds)
        return out

    def export_inputs(self, points, seeds) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (points, seeds)


INPUT_NAMES = ("points", "seeds")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[MeanShiftExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = MeanShiftExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("mean_shift.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
