"""ONNX export wrapper for `ForegroundPoints`, written by `exportlint fix`.

Target: tests/fixers/data_dependent_index/foreground_points.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Nothing was frozen or rewritten.

Graph inputs: feat.
Graph outputs: output.
Run this file to export `foreground_points.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "foreground_points.in.py"
_USER_MODULE = "exportlint_target_data_dependent_index_foreground_points"


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
ForegroundPoints = _user.ForegroundPoints
make = _user.make


class ForegroundPointsExport(nn.Module):
    """Export view of `ForegroundPoints`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: ForegroundPoints) -> None:
        super().__init__()
        self.model = model

    def forward(self, feat: Tensor) -> Tensor:
        """Graph inputs: feat."""
        out = self.model(feat)
        return out

    def export_inputs(self, feat) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feat,)


INPUT_NAMES = ("feat",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[ForegroundPointsExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = ForegroundPointsExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("foreground_points.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
