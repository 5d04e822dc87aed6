"""ONNX export wrapper for `CenterKept`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/kept_boxes.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (kept_boxes.in.py:16): `len(kept) > 0 and kept.shape[1] == 4` reads a size that
  tensor values decide: the size is computed in the graph (`_size`), so the test is tensor data.
- dynamic-branch (kept_boxes.in.py:16): `len(kept) > 0 and kept.shape[1] == 4` depends on tensor
  data: both branches are computed and torch.where merges what they assign (`pred_16`).

Graph inputs: boxes, scores.
Graph outputs: output.
Run this file to export `kept_boxes.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "kept_boxes.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_kept_boxes"


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
CenterKept = _user.CenterKept
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


def _size(x: Tensor, dim: int | None = None) -> Tensor:
    """`x.numel()` (no `dim`) or `x.shape[0]` (`dim=0`) as a 0-d tensor computed in the graph,
    for a size that tensor values decide (`x[mask]`, `nonzero`), so a test on it is not baked
    in. (Rows are counted as 0 when another axis of `x` has size 0.)"""
    ones = torch.ones_like(x, dtype=torch.int64)
    if dim is None:
        return ones.sum()
    return ones.sum(dim).flatten()[:1].sum()


class CenterKeptForExport(CenterKept):
    """`CenterKept` with rewritten copies of: forward."""

    def forward(self, boxes: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        kept = boxes[scores > self.thr]
        pred_16 = torch.logical_and(torch.as_tensor(_size(kept, 0) > 0), torch.as_tensor(kept.shape[1] == 4))
        center_if_true = kept.mean(0)
        center_if_false = boxes.new_zeros(4)
        center = torch.where(pred_16, center_if_true, center_if_false)
        return self.head(boxes - center)


class CenterKeptExport(nn.Module):
    """Export view of `CenterKept`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: CenterKept) -> None:
        super().__init__()
        self.model = _adopt(model, {"": CenterKeptForExport})

    def forward(self, boxes: Tensor, scores: Tensor) -> Tensor:
        """Graph inputs: boxes, scores."""
        out = self.model(boxes, scores)
        return out

    def export_inputs(self, boxes, scores) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (boxes, scores)


INPUT_NAMES = ("boxes", "scores")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[CenterKeptExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = CenterKeptExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("kept_boxes.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
