"""ONNX export wrapper for `BoxRouter`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/two_heads.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (two_heads.in.py:20): `score > self.threshold` depends on tensor data and its
  branches run different modules: torch.cond keeps both in the graph (an ONNX If) and runs one.

Graph inputs: feat.
Graph outputs: output_0, output_1.
Run this file to export `two_heads.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "two_heads.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_two_heads"


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
BoxRouter = _user.BoxRouter
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


class BoxRouterForExport(BoxRouter):
    """`BoxRouter` with rewritten copies of: forward."""

    def forward(self, feat: Tensor) -> tuple[Tensor, Tensor]:
        score = self.objectness(feat).mean()
        boxes = torch.zeros(feat.shape[0], 4)

        def _if_true_20():
            delta_if_true = self.fine(feat)
            boxes_if_true = boxes + delta_if_true.sigmoid()
            conf_if_true = score.sigmoid() * torch.ones(feat.shape[0])
            return (boxes_if_true, conf_if_true)

        def _if_false_20():
            boxes_if_false = boxes + self.coarse(feat).tanh()
            conf_if_false = torch.zeros(feat.shape[0])
            return (boxes_if_false, conf_if_false)

        (boxes, conf) = torch.cond(score > self.threshold, _if_true_20, _if_false_20, ())
        return boxes, conf


class BoxRouterExport(nn.Module):
    """Export view of `BoxRouter`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: BoxRouter) -> None:
        super().__init__()
        self.model = _adopt(model, {"": BoxRouterForExport})

    def forward(self, feat: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: feat."""
        out = self.model(feat)
        return out[0], out[1]

    def export_inputs(self, feat) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feat,)


INPUT_NAMES = ("feat",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[BoxRouterExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = BoxRouterExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("two_heads.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
