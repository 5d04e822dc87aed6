"""ONNX export wrapper for `PadToPeak`, written by `exportlint fix`.

Target: tests/fixers/tensor_to_python/named_size.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Nothing was frozen or rewritten.

Manual work needed (no faithful automatic rewrite):
- tensor-to-python (named_size.in.py:11, PadToPeak.forward): `int(lengths.max())` gives Python
  sizes or indices: the legacy tracer records the example's values as constants (silently wrong on
  others) and no rewrite keeps them for it; the dynamo exporter keeps them symbolic: run fix with
  `--exporter dynamo` to export it as written.

Graph inputs: x, lengths.
Graph outputs: output.
Run this file to export `named_size.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "named_size.in.py"
_USER_MODULE = "exportlint_target_tensor_to_python_named_size"


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
PadToPeak = _user.PadToPeak
make = _user.make


class PadToPeakExport(nn.Module):
    """Export view of `PadToPeak`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: PadToPeak) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Graph inputs: x, lengths."""
        out = self.model(x, lengths)
        return out

    def export_inputs(self, x, lengths) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x, lengths)


INPUT_NAMES = ("x", "lengths")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[PadToPeakExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = PadToPeakExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("named_size.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
