"""ONNX export wrapper for `CachedRotary`, written by `exportlint fix`.

Target: tests/fixers/unsupported_op/cached_on_device.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- unsupported-op (cached_on_device.in.py:21): `CachedRotary.forward` uses complex tensors:
  rewritten on real (re, im) pairs.
- unsupported-op: `CachedRotary.freqs_cis` is complex: the rewritten code reads the real view
  `freqs_cis_pairs` (torch.view_as_real, shares its memory).

Graph inputs: x.
Graph outputs: output.
Run this file to export `cached_on_device.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "cached_on_device.in.py"
_USER_MODULE = "exportlint_target_unsupported_op_cached_on_device"


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
CachedRotary = _user.CachedRotary
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


class CachedRotaryForExport(CachedRotary):
    """`CachedRotary` with rewritten copies of: forward."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.freqs_cis_pairs = self.freqs_cis_pairs.to(device=x.device)
        h = self.proj(x)
        hc = h.float().reshape(*h.shape[:-1], -1, 2)
        turned = _complex_mul(hc, self.freqs_cis_pairs[: h.shape[1]]).flatten(-2)
        return turned.type_as(x) + x


class CachedRotaryExport(nn.Module):
    """Export view of `CachedRotary`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: CachedRotary) -> None:
        super().__init__()
        self.model = _adopt(model, {"": CachedRotaryForExport})
        self.model.freqs_cis_pairs = torch.view_as_real(self.model.freqs_cis)

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


def make_export() -> tuple[CachedRotaryExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = CachedRotaryExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("cached_on_device.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
