"""ONNX export wrapper for `TopFraction`, written by `exportlint fix`.

Target: tests/fixers/tensor_to_python/item_slice.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Nothing was frozen or rewritten.

Manual work needed (no faithful automatic rewrite):
- tensor-to-python (item_slice.in.py:11, TopFraction.forward): `(scores > 0).sum().item()` gives
  Python sizes or indices: the legacy tracer records the example's values as constants (silently
  wrong on others) and no rewrite keeps them for it; the dynamo exporter keeps them symbolic: run
  fix with `--exporter dynamo` to export it as written.

Graph inputs: scores.
Graph outputs: output.
Run this file to export `item_slice.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "item_slice.in.py"
_USER_MODULE = "exportlint_target_tensor_to_python_item_slice"


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
TopFraction = _user.TopFraction
make = _user.make


class TopFractionExport(nn.Module):
    """Export view of `TopFraction`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: TopFraction) -> None:
        super().__init__()
        self.model = model

    def forward(self, scores: Tensor) -> Tensor:
        """Graph inputs: scores."""
        out = self.model(scores)
        return out

    def export_inputs(self, scores) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (scores,)


INPUT_NAMES = ("scores",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[TopFractionExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = TopFractionExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("item_slice.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
