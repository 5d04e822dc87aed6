"""ONNX export wrapper for `RotaryMixer`, written by `exportlint fix`.

Target: tests/fixers/unsupported_op/moved_table.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- unsupported-op (moved_table.in.py:22): `RotaryMixer.spin` uses complex tensors: rewritten on
  real (re, im) pairs.
- unsupported-op (moved_table.in.py:26): `RotaryMixer.forward` uses complex tensors: rewritten on
  real (re, im) pairs.
- unsupported-op: `RotaryMixer.table` is complex: the rewritten code reads the real view
  `table_pairs` (torch.view_as_real, shares its memory).

Graph inputs: x.
Graph outputs: output.
Run this file to export `moved_table.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "moved_table.in.py"
_USER_MODULE = "exportlint_target_unsupported_op_moved_table"


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
RotaryMixer = _user.RotaryMixer
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


def _complex_mul(a: Tensor, b: Tensor) -> Tensor:
    """(a_re + i a_im)(b_re + i b_im) for complex numbers stored as (..., 2) real pairs."""
    re = a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1]
    im = a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0]
    return torch.stack((re, im), dim=-1)


class RotaryMixerForExport(RotaryMixer):
    """`RotaryMixer` with rewritten copies of: spin, forward."""

    def spin(self, x: Tensor, table: Tensor) -> Tensor:
        pairs = x.float().reshape(*x.shape[:-1], -1, 2)
        return _complex_mul(pairs, table).flatten(-2).type_as(x)

    def forward(self, x: Tensor) -> Tensor:
        q, k = self.inp(x).chunk(2, dim=-1)
        table = self.table_pairs[: x.shape[1]].to(x.device)
        q, k = self.spin(q, table), self.spin(k, table)
        return (q @ k.transpose(-1, -2)).softmax(-1) @ x


class RotaryMixerExport(nn.Module):
    """Export view of `RotaryMixer`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: RotaryMixer) -> None:
        super().__init__()
        self.model = _adopt(model, {"": RotaryMixerForExport})
        self.model.table_pairs = torch.view_as_real(self.model.table)

    def forward(self, x: Tensor) -> Tensor:
        """Graph inputs: x."""
        out = self.model(x)
        return out

    def export_inputs(self, x) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x,)


INPUT_NAMES = ("x",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[RotaryMixerExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = RotaryMixerExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("moved_table.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
