"""ONNX export wrapper for `TopDown`, written by `exportlint fix`.

Target: tests/fixers/list_tensor_input/fpn_list.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- list-tensor-input: `feats` (list of 3 tensors) becomes the graph inputs feats_0 .. feats_2; the
  wrapper rebuilds the list, so the graph takes exactly 3.

Graph inputs: feats_0, feats_1, feats_2.
Graph outputs: output.
Run this file to export `fpn_list.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "fpn_list.in.py"
_USER_MODULE = "exportlint_target_list_tensor_input_fpn_list"


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
TopDown = _user.TopDown
make = _user.make


class TopDownExport(nn.Module):
    """Export view of `TopDown`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: TopDown) -> None:
        super().__init__()
        self.model = model

    def forward(self, feats_0: Tensor, feats_1: Tensor, feats_2: Tensor) -> Tensor:
        """Graph inputs: feats_0, feats_1, feats_2."""
        feats = [feats_0, feats_1, feats_2]
        out = self.model(feats)
        return out

    def export_inputs(self, feats) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feats[0], feats[1], feats[2])


INPUT_NAMES = ("feats_0", "feats_1", "feats_2")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[TopDownExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = TopDownExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("fpn_list.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
