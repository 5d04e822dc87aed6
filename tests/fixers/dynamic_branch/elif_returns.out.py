"""ONNX export wrapper for `Calibrate`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/elif_returns.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (elif_returns.in.py:16): `peak > 2.0` depends on tensor data; the tests nested in
  or chained to it (`peak < 0.5`) are merged inside its branches: every branch is computed and
  nested torch.where select what they assign (`pred_16`, `pred_19`).

Graph inputs: logits.
Graph outputs: output_0, output_1.
Run this file to export `elif_returns.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "elif_returns.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_elif_returns"


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
Calibrate = _user.Calibrate
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


class CalibrateForExport(Calibrate):
    """`Calibrate` with rewritten copies of: forward."""

    def forward(self, logits: Tensor) -> tuple[Tensor, Tensor]:
        peak = logits.max()
        pred_16 = peak > 2.0
        scaled_if_true = logits / peak
        returned_0_if_true, returned_1_if_true = scaled_if_true.softmax(-1), peak
        pred_19 = peak < 0.5
        returned_0_19_true, returned_1_19_true = self.proj(logits).sigmoid(), peak * 0
        returned_0_19_false, returned_1_19_false = logits.tanh(), peak
        returned_0_if_false = torch.where(pred_19, returned_0_19_true, returned_0_19_false)
        returned_1_if_false = torch.where(pred_19, returned_1_19_true, returned_1_19_false)
        returned_0 = torch.where(pred_16, returned_0_if_true, returned_0_if_false)
        returned_1 = torch.where(pred_16, returned_1_if_true, returned_1_if_false)
        return returned_0, returned_1


class CalibrateExport(nn.Module):
    """Export view of `Calibrate`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: Calibrate) -> None:
        super().__init__()
        self.model = _adopt(model, {"": CalibrateForExport})

    def forward(self, logits: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: logits."""
        out = self.model(logits)
        return out[0], out[1]

    def export_inputs(self, logits) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (logits,)


INPUT_NAMES = ("logits",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[CalibrateExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = CalibrateExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("elif_returns.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
