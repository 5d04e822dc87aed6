"""ONNX export wrapper for `ConfidenceTemperature`, written by `exportlint fix`.

Target: tests/fixers/tensor_to_python/chained_confidence.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- tensor-to-python (chained_confidence.in.py:21): `float(conf)` only feeds arithmetic: the tensor
  is used directly, so its value stays in the graph.

Graph inputs: tokens.
Graph outputs: output.
Run this file to export `chained_confidence.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "chained_confidence.in.py"
_USER_MODULE = "exportlint_target_tensor_to_python_chained_confidence"


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
ConfidenceTemperature = _user.ConfidenceTemperature
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


class ConfidenceTemperatureForExport(ConfidenceTemperature):
    """`ConfidenceTemperature` with rewritten copies of: forward."""

    def forward(self, tokens: Tensor) -> Tensor:
        logits = self.score(tokens)
        probs = logits.sigmoid()
        centred = probs - 0.5
        conf = centred.abs().mean()
        temperature = conf * 2.0 + 1.0
        return self.value(tokens).softmax(-1) / temperature


class ConfidenceTemperatureExport(nn.Module):
    """Export view of `ConfidenceTemperature`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: ConfidenceTemperature) -> None:
        super().__init__()
        self.model = _adopt(model, {"": ConfidenceTemperatureForExport})

    def forward(self, tokens: Tensor) -> Tensor:
        """Graph inputs: tokens."""
        out = self.model(tokens)
        return out

    def export_inputs(self, tokens) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (tokens,)


INPUT_NAMES = ("tokens",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[ConfidenceTemperatureExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = ConfidenceTemperatureExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("chained_confidence.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
