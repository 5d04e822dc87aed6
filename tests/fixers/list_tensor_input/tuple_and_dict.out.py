"""ONNX export wrapper for `PairScorer`, written by `exportlint fix`.

Target: tests/fixers/list_tensor_input/tuple_and_dict.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- list-tensor-input: `pair` (tuple of 2 tensors) becomes the graph inputs pair_0 .. pair_1; the
  wrapper rebuilds the tuple, so the graph takes exactly 2.
- list-tensor-input: `extras` (dict of 2 tensors, keys bias, temperature) becomes one graph input
  per key; the keys are pinned.

Graph inputs: pair_0, pair_1, extras_bias, extras_temperature.
Graph outputs: logits, probs.
Run this file to export `tuple_and_dict.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "tuple_and_dict.in.py"
_USER_MODULE = "exportlint_target_list_tensor_input_tuple_and_dict"


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
PairScorer = _user.PairScorer
make = _user.make


class PairScorerExport(nn.Module):
    """Export view of `PairScorer`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: PairScorer) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        pair_0: Tensor,
        pair_1: Tensor,
        extras_bias: Tensor,
        extras_temperature: Tensor,
    ) -> tuple[Tensor, Tensor]:
        """Graph inputs: pair_0, pair_1, extras_bias, extras_temperature."""
        pair = (pair_0, pair_1)
        extras = {"bias": extras_bias, "temperature": extras_temperature}
        out = self.model(pair, extras)
        return out["logits"], out["probs"]

    def export_inputs(self, pair, extras) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (pair[0], pair[1], extras["bias"], extras["temperature"])


INPUT_NAMES = ("pair_0", "pair_1", "extras_bias", "extras_temperature")
OUTPUT_NAMES = ("logits", "probs")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[PairScorerExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = PairScorerExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("tuple_and_dict.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
