"""ONNX export wrapper for `KeypointDecoder`, written by `exportlint fix`.

Target: tests/fixers/tensor_to_python/keypoint_scale.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- tensor-to-python (keypoint_scale.in.py:28): `KeypointDecoder.forward` computes with numpy
  between tensors: rewritten with the torch ops of the same meaning (`.numpy()` and
  `torch.from_numpy` dropped, `axis=` as `dim=`), so the math stays in the graph.

Graph inputs: x.
Graph outputs: output_0, output_1.
Run this file to export `keypoint_scale.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "keypoint_scale.in.py"
_USER_MODULE = "exportlint_target_tensor_to_python_keypoint_scale"


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
KeypointDecoder = _user.KeypointDecoder
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


class KeypointDecoderForExport(KeypointDecoder):
    """`KeypointDecoder` with rewritten copies of: forward."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        heat = self.heat(x)
        b, k, h, w = heat.shape
        flat = heat.flatten(2)
        idx = flat.argmax(-1)
        ys = (idx // w).float()
        xs = (idx % w).float()
        off = self.offset(x).view(b, k, 2, h * w)
        picked = off.gather(3, idx[:, :, None, None].expand(b, k, 2, 1)).squeeze(-1)
        coords = torch.stack([xs + picked[..., 0], ys + picked[..., 1]], dim=-1)
        coords = coords * torch.tensor([self.image_w / w, self.image_h / h])
        arr = coords.detach()
        arr = torch.clamp(arr, 0, self.image_w - 1)
        return arr, flat.max(-1).values.sigmoid()


class KeypointDecoderExport(nn.Module):
    """Export view of `KeypointDecoder`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: KeypointDecoder) -> None:
        super().__init__()
        self.model = _adopt(model, {"": KeypointDecoderForExport})

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Graph inputs: x."""
        out = self.model(x)
        return out[0], out[1]

    def export_inputs(self, x) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x,)


INPUT_NAMES = ("x",)
OUTPUT_NAMES = ("output_0", "output_1")
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[KeypointDecoderExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = KeypointDecoderExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("keypoint_scale.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
