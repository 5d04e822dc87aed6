"""hardcoded-device: `.cuda()`, `.pin_memory()`, `device="cuda"` and friends in forward or __init__."""

from __future__ import annotations

import re

import libcst as cst

from exportlint.analysis import FileFacts
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.uses import Parents, mentions
from exportlint.model import Outcomes
from exportlint.analysis.names import source_text
from exportlint.rules.base import Invalid, Rule, Valid, forward

_ACCELERATOR = re.compile(r"^(cuda|mps|xpu|npu|hpu|mtia|xla)(:\d+)?$")
# torch.cuda calls that need a CUDA runtime (measured: each raises on a CPU-only torch).
_CUDA_CALLS = {"synchronize", "current_device", "set_device", "Stream", "Event", "stream", "FloatTensor",
               "LongTensor", "HalfTensor", "IntTensor", "BoolTensor", "ByteTensor", "DoubleTensor"}
# Tests that mean the code only runs where the device exists.
_GUARDS = ("is_available", "device_count", "is_cuda", "is_initialized")

_HINT = ("Follow the input's device (`x.to(other.device)`, `torch.zeros(..., device=x.device)`) and move the "
         "whole model with `model.to(device)` outside forward (`exportlint fix --rule hardcoded-device`).")
_PIN_HINT = ("Drop `.pin_memory()` from the export path: pinned memory has no meaning in an ONNX graph "
             "(`exportlint fix --rule hardcoded-device`).")
_FAILS = ("on a machine without {dev} both exporters fail (legacy: 'Torch not compiled with CUDA enabled' or "
          "'Cannot access accelerator device'; dynamo: torch.export fails on this call), and the eager forward "
          "fails there too")
_INIT = ("in `__init__`: the module cannot even be built on a machine without {dev}, so neither exporter gets "
         "to run")


class HardcodedDevice(Rule):
    """## What it does
    Checks code reachable from `forward`, and `__init__`, for hard-coded accelerator devices:
    `.cuda()`, `.pin_memory()`, `.to("cuda")`, `device="cuda"`/`"cuda:0"`, `torch.device("cuda")`
    and `torch.cuda` calls that need a GPU (`synchronize`, `current_device`, `Stream`...).
    Code under `if torch.cuda.is_available():` (or `x.is_cuda`) is left alone, and so is
    following the input: `x.to(other.device)`, `device=x.device`.

    ## Why is this bad?
    Exports usually run on CPU machines (CI, conversion servers). There, measured with a
    CPU-only torch 2.13:
    - `.cuda()`, `.pin_memory()`, `device="cuda"`, `torch.cuda.synchronize()`: the legacy
      tracer (`dynamo=False`) fails ("Torch not compiled with CUDA enabled", "Cannot access
      accelerator device when none is available"); the dynamo exporter
      (`torch.onnx.export(dynamo=True)`) fails as well, in torch.export or at conversion. Error.
    - `.to("cuda:0")` with an explicit index: legacy fails; dynamo exports (the ONNX graph
      drops the copy) but the eager module, and so any parity check, cannot run. Error.
    - in `__init__`: the module cannot be constructed without the device. Error.
    On a GPU machine the export may work, but the model still cannot run where it is checked.

    ## Example
        def forward(self, x):
            pos = torch.zeros(x.shape, device="cuda")
            return x.cuda() + pos
    Use instead:
        def forward(self, x):
            return x + torch.zeros(x.shape, device=x.device)

    ## Known problems
    Only literal device names are recognised: a device string passed in through a variable or
    a constructor argument is not followed.

    ## Fix safety
    Safe: the hardcoded-device fixer exports a wrapper whose copy of each affected method drops
    `.pin_memory()` and takes the device from a tensor the method receives instead of CUDA.
    It rewrites the methods that run in forward; an `__init__` that needs CUDA is changed by hand.
    """

    code = "EXL303"
    name = "hardcoded-device"
    summary = "Hard-coded accelerator device (.cuda(), .pin_memory(), device=\"cuda\")"
    probe_hint = "use the device of an input tensor instead of .cuda() / 'cuda'"
    hint = _HINT
    scopes = ("forward", "init")
    VALID = [
        Valid(forward("x, y", "return x.to(y.device)")),
        Valid(forward("x", "return torch.zeros(3, device=x.device) + x")),
        Valid(forward("x", "return x.cuda() if torch.cuda.is_available() else x")),
        Valid(forward("x", 'return x.to("cuda" if torch.cuda.is_available() else "cpu")')),
        Valid(forward("x", 'return x.cpu().to("cpu")')),
        Valid(forward("x", 'return x * 2 if x.device == torch.device("cuda") else x')),
    ]
    INVALID = [
        Invalid(forward("x", "return x.cuda() * 2"), line=7, severity="error", column=15,
                message="`x.cuda()` pins the CUDA device"),
        Invalid(forward("x", "return x.pin_memory()"), line=7, severity="error", column=15,
                message="`x.pin_memory()` needs pinned host memory"),
        Invalid(forward("x", 'return x + torch.zeros(3, device="cuda")'),
                line=7, severity="error", column=19,
                message="`torch.zeros(3, device=\"cuda\")` pins the CUDA device"),
        Invalid(forward("x", 'return x.to("cuda:0")'), line=7, severity="error", column=15,
                message="`x.to(\"cuda:0\")`: legacy fails on a machine without CUDA"),
        Invalid(forward("x", 'return x.to(torch.device("cuda"))'),
                line=7, severity="error", column=15,
                message="`x.to(torch.device(\"cuda\"))` pins the CUDA device"),
        Invalid(forward("x", "torch.cuda.synchronize()\n        return x"),
                line=7, severity="error", column=8,
                message="`torch.cuda.synchronize()` pins the CUDA device"),
        Invalid(
            "from torch import nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n"
            "        super().__init__()\n        self.lin = nn.Linear(3, 3).cuda()\n\n"
            "    def forward(self, x):\n        return self.lin(x)\n",
            line=7,
            severity="error", column=19, message="`nn.Linear(3, 3).cuda()` in `__init__`",
        ),
    ]

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)

    def visit_Call(self, node: cst.Call) -> None:
        if self.flow is None:
            return
        found = self._pinned(node)
        if found is None:
            return
        device, outcomes, hint = found
        parents = Parents.of(self.flow.fn)
        if any(mentions(test, *_GUARDS) for test in parents.enclosing_tests(node)):
            return
        label = _label(device)
        if self.scope == "init":
            message = f"`{source_text(node)}` {_INIT.format(dev=label)}"
            outcomes = Outcomes.same("fails")
        elif outcomes.dynamo == "ok":
            message = (f"`{source_text(node)}`: legacy fails on a machine without CUDA ('Torch not compiled with "
                       "CUDA enabled'); dynamo exports there (the ONNX graph drops the copy) but the eager "
                       "module, and so any parity check, cannot run")
        else:
            what = "needs pinned host memory" if device == "pinned memory" else f"pins the {label} device"
            message = f"`{source_text(node)}` {what}: {_FAILS.format(dev=label)}"
        self.report(node, message, outcomes, hint=hint)

    def _pinned(self, node: cst.Call) -> tuple[str, Outcomes, str] | None:
        """The device a call hard-codes, what the exporters do, and the hint; None if it follows its input."""
        fails = Outcomes.same("fails")
        func = node.func
        name = resolve(dotted_name(func), self.flow.imports if self.flow else {}) or ""
        if name.startswith("torch.cuda.") and name.rsplit(".", 1)[-1] in _CUDA_CALLS:
            return "CUDA", fails, _HINT
        if isinstance(func, cst.Attribute) and not name.startswith("torch."):
            attr = func.attr.value
            if attr == "cuda":
                return "CUDA", fails, _HINT
            if attr == "pin_memory":
                return "pinned memory", fails, _PIN_HINT
            if attr == "to":
                target = node.args[0].value if node.args and node.args[0].keyword is None else _keyword(node, "device")
                device = _literal_device(target, self.flow.imports if self.flow else {})
                if device is not None:
                    indexed = device.startswith("cuda:")
                    return device, Outcomes(dynamo="ok", legacy="fails") if indexed else fails, _HINT
                return None
        device = _literal_device(_keyword(node, "device"), self.flow.imports if self.flow else {})
        if device is not None:
            return device, fails, _HINT
        if name == "torch.device" and not self._is_device_argument(node) and not self._compared(node):
            device = _literal_device(node, self.flow.imports if self.flow else {})
            return (device, fails, _HINT) if device is not None else None
        return None

    def _compared(self, node: cst.Call) -> bool:
        """`x.device == torch.device("cuda")` only asks where a tensor is."""
        assert self.flow is not None
        parents = Parents.of(self.flow.fn)
        return any(isinstance(up, cst.Comparison) for up in parents.ancestors(node)[:2])

    def _is_device_argument(self, node: cst.Call) -> bool:
        """True when `torch.device(...)` is itself the argument of a `.to(...)` or `device=` reported above."""
        assert self.flow is not None
        parents = Parents.of(self.flow.fn)
        arg = parents.parent(node)
        call = parents.parent(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(arg, cst.Arg) or not isinstance(call, cst.Call):
            return False
        is_to = isinstance(call.func, cst.Attribute) and call.func.attr.value == "to"
        return is_to or (arg.keyword is not None and arg.keyword.value == "device")


def _label(device: str) -> str:
    """"cuda:0" -> "CUDA"; pinned memory needs an accelerator."""
    if device == "pinned memory":
        return "an accelerator"
    return device.split(":", 1)[0].upper()


def _keyword(node: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _literal_device(expr: cst.BaseExpression | None, imports: dict[str, str]) -> str | None:
    """`"cuda:0"` -> "cuda:0"; `torch.device("cuda", 0)` -> "cuda:0"; None for anything else."""
    if isinstance(expr, cst.SimpleString):
        value = str(expr.evaluated_value)
        return value if _ACCELERATOR.match(value) else None
    if isinstance(expr, cst.Call) and resolve(dotted_name(expr.func), imports) == "torch.device" and expr.args:
        first = _literal_device(expr.args[0].value, imports)
        index = expr.args[1].value if len(expr.args) > 1 else None
        if first is not None and isinstance(index, cst.Integer) and ":" not in first:
            return f"{first}:{index.value}"
        return first
    return None
