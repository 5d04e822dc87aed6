"""ONNX export wrapper for `MaskedStats`, written by `exportlint fix`.

Target: tests/fixers/data_dependent_index/mask_ops.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- data-dependent-index (mask_ops.in.py:16): the boolean-mask write `h[h < 0] = ...` becomes
  torch.where (nothing is selected, so no size depends on values).
- data-dependent-index (mask_ops.in.py:17): `h[valid].sum()` becomes masked arithmetic on the
  whole tensor.
- data-dependent-index (mask_ops.in.py:18): `h[valid].mean()` becomes masked arithmetic on the
  whole tensor.

Graph inputs: x, valid.
Graph outputs: output.
Run this file to export `mask_ops.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "mask_ops.in.py"
_USER_MODULE = "exportlint_target_data_dependent_index_mask_ops"


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
MaskedStats = _user.MaskedStats
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


def _as_mask(mask: Tensor, like: Tensor) -> Tensor:
    """A boolean mask over leading dimensions, broadcast over the trailing ones of `like`."""
    return mask.reshape(*mask.shape, *([1] * (like.dim() - mask.dim())))


class MaskedStatsForExport(MaskedStats):
    """`MaskedStats` with rewritten copies of: forward."""

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        h = self.proj(x)
        h = torch.where(_as_mask(h < 0, h), 0.0, h)
        total = torch.where(_as_mask(valid, h), h, 0).sum()
        average = (torch.where(_as_mask(valid, h), h, 0).sum() / _as_mask(valid, h).expand_as(h).sum())
        return h * total + average


class MaskedStatsExport(nn.Module):
    """Export view of `MaskedStats`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: MaskedStats) -> None:
        super().__init__()
        self.model = _adopt(model, {"": MaskedStatsForExport})

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        """Graph inputs: x, valid."""
        out = self.model(x, valid)
        return out

    def export_inputs(self, x, valid) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x, valid)


INPUT_NAMES = ("x", "valid")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[MaskedStatsExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = MaskedStatsExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("mask_ops.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
