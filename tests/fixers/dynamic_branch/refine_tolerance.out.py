"""ONNX export wrapper for `FlowRefiner`, written by `exportlint fix`.

Target: tests/fixers/dynamic_branch/refine_tolerance.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- dynamic-branch (refine_tolerance.in.py:17): `delta.abs().max() > self.tol` depends on tensor
  data: the loop becomes a `for` of 16 iterations (`--max-iters`; inputs that need more than 16
  iterations give different results), and once the original would have stopped, `done_17` freezes
  `delta`, `flow` with torch.where, `_keep` (exact for every input that stops within the bound).

Graph inputs: feat, flow.
Graph outputs: output.
Run this file to export `refine_tolerance.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "refine_tolerance.in.py"
_USER_MODULE = "exportlint_target_dynamic_branch_refine_tolerance"


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
FlowRefiner = _user.FlowRefiner
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


def _keep(done: Tensor, kept: Tensor, new: Tensor) -> Tensor:
    """`torch.where(done, kept, new)`: the value from before the step once the loop is done. A
    boolean tensor goes through uint8 and back (onnxruntime has no boolean Where kernel); a
    Python number carried by the loop becomes a tensor."""
    kept, new = torch.as_tensor(kept), torch.as_tensor(new)
    if new.dtype == torch.bool:
        return torch.where(done, kept.to(torch.uint8), new.to(torch.uint8)).to(torch.bool)
    return torch.where(done, kept, new)


class FlowRefinerForExport(FlowRefiner):
    """`FlowRefiner` with rewritten copies of: forward."""

    def forward(self, feat: Tensor, flow: Tensor) -> Tensor:
        delta = torch.ones_like(flow)
        done_17 = torch.zeros((), dtype=torch.bool)
        for _step_17 in range(16):
            done_17 = torch.logical_or(done_17, torch.logical_not(torch.as_tensor(delta.abs().max() > self.tol)))
            delta_kept_17 = delta
            flow_kept_17 = flow
            delta = 0.5 * torch.tanh(self.update(torch.cat([feat, flow], dim=1))) * delta.abs().mean()
            flow = flow + delta
            delta = _keep(done_17, delta_kept_17, delta)
            flow = _keep(done_17, flow_kept_17, flow)
        return flow


class FlowRefinerExport(nn.Module):
    """Export view of `FlowRefiner`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: FlowRefiner) -> None:
        super().__init__()
        self.model = _adopt(model, {"": FlowRefinerForExport})

    def forward(self, feat: Tensor, flow: Tensor) -> Tensor:
        """Graph inputs: feat, flow."""
        out = self.model(feat, flow)
        return out

    def export_inputs(self, feat, flow) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (feat, flow)


INPUT_NAMES = ("feat", "flow")
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[FlowRefinerExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = FlowRefinerExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("refine_tolerance.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
