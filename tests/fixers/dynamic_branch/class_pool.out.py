"""ONNX export wrapper for `ClassPrototypes`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/class_pool.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (class_pool.in.py:18): `len(members) == 0` reads a size that tensor values
  decide: the size is computed in the graph (`_size`), so the test is tensor data.
- dynamic-branch (class_pool.in.py:18): `len(members) == 0` depends on tensor data and skips the
  rest of the loop body: that rest is its `else` branch, computed on every iteration, and
  torch.where keeps the old values where the original skipped (`pred_18`).

Graph inputs: feats, labels.
Graph outputs: output.
Run this file to export `class_pool.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "class_pool.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_class_pool"


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
ClassPrototypes = _user.ClassPrototypes
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


class ClassPrototypesForExport(ClassPrototypes):
    """`ClassPrototypes` with rewritten copies of: forward."""

    def forward(self, feats: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        protos = []
        for c in range(self.num_classes):
            members = feats[labels == c]
            pred_18 = _size(members, 0) == 0
            protos_item0_if_true = torch.zeros_like(feats[0])
            emb_if_false = self.embed(members)
            protos_item0_if_false = emb_if_false.mean(dim=0)
            protos_item0 = torch.where(pred_18, protos_item0_if_true, protos_item0_if_false)
            protos.append(protos_item0)
        return torch.stack(protos, dim=0)


class ClassPrototypesExport(nn.Module):
    """Export view of `ClassPrototypes`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: ClassPrototypes) -> None:
        super().__init__()
        self.model = _adopt(model, {"": ClassPrototypesForExport})

    def forward(self, feats: Tensor, labels: Tensor) -> Tensor:
        """Graph inputs: feats, labels."""
        out = self.model(feats, labels)
        return out

    def export_inputs(self, feats, labels) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feats, labels)


INPUT_NAMES = ("feats", "labels")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[ClassPrototypesExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = ClassPrototypesExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("class_pool.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
