"""ONNX export wrapper for `DenseDetector`, written by `exportlint fix`.

Target: tests/fixers/data_dependent_index/helper_filter.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Nothing was frozen or rewritten.

Graph inputs: images.
Graph outputs: output_0, output_1.
Run this file to export `helper_filter.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "helper_filter.in.py"
_USER_MODULE = "exportlint_target_data_dependent_index_helper_filter"


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
DenseDetector = _user.DenseDetector
make = _user.make


class DenseDetectorExport(nn.Module):
    """Export view of `DenseDetector`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: DenseDetector) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: images."""
        out = self.model(images)
        return out[0], out[1]

    def export_inputs(self, images) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (images,)


INPUT_NAMES = ("images",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[DenseDetectorExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = DenseDetectorExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("helper_filter.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
