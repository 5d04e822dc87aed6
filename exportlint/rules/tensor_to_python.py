"""tensor-to-python: tensor values turned into Python numbers, lists or numpy arrays in forward."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import FileFacts, Form
from exportlint.analysis.dataflow import NOT_VALUE_TESTS, FunctionFlow
from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.params import ARGUMENT, param_names
from exportlint.analysis.uses import Parents
from exportlint.cstwalk import nodes_in, visit
from exportlint.model import Outcomes
from exportlint.analysis.names import source_text
from exportlint.rules.base import Invalid, Rule, Valid, forward

_METHODS = {"item": "number", "tolist": "list", "numpy": "numpy array"}
_CASTS = {"int": "int", "float": "float", "bool": "bool"}
_NUMPY_CONVERTERS = {"numpy.array", "numpy.asarray", "numpy.asanyarray"}
# Python functions whose result is still a Python value derived from their argument.
_PY_PASSTHROUGH = {"int", "float", "bool", "round", "min", "max", "abs", "sum", "list", "tuple", "sorted",
                   "reversed", "enumerate", "zip", "math.floor", "math.ceil", "math.sqrt", "math.prod"}
# Float functions of `math` that torch.export (log, exp) or its ONNX conversion (sqrt) cannot
# express for a data-dependent number; integer rounding (ceil, floor) and arithmetic can.
_MATH_FUNCS = {f"math.{name}" for name in ("sqrt", "log", "log2", "log10", "log1p", "exp", "expm1",
                                           "sin", "cos", "tan", "atan", "atan2", "tanh", "pow", "hypot")}
_INERT = {"print", "str", "repr", "format", "len", "isinstance"}
# Declarations of a data-dependent value's range for torch.export, not control flow.
_CHECKS = {"torch._check", "torch._check_is_size", "torch._check_with", "torch._constrain_as_size"}
_MAX_DEPTH = 3
_TENSOR_DEPTH = 8

_HINT = ("Keep the value a tensor: index or slice with the tensor itself, use torch ops instead of "
         "Python arithmetic, and take sizes from `x.shape` (`exportlint fix --rule tensor-to-python` "
         "does it for arithmetic).")
_SIZE_HINT = ("Use integer arithmetic on the size (`(n + 1) // 2`, `min(n, 4)` via `x[:4]`) or `int(...)`: "
              "both exporters take it; torch.sym_* and round() need the dynamo exporter.")
_CONTROL_HINT = ("Keep it a tensor and express the decision in the graph (torch.where, a mask, "
                 "torch.cond); ONNX loop counts and container keys cannot depend on tensor values.")


class TensorToPython(Rule):
    """## What it does
    Checks for `.item()`, `.tolist()`, `.numpy()` (also `.cpu().numpy()`, `np.asarray(t)`) and
    `int()` / `float()` / `bool()` of tensors in code reachable from `forward`, and follows the
    Python value to where it is used.

    ## Why is this bad?
    Outside the tensor, the value is a plain Python number, and what the exporters do depends
    on where it goes (measured with torch 2.13, onnxruntime against eager on a second input):
    - into tensor operations (an index `x[i.item()]`, a slice bound, a size, `torch.split`
      sizes from `.tolist()`, arithmetic): the dynamo exporter (`torch.onnx.export(dynamo=True)`,
      `torch.export`) keeps it symbolic and stays right; the legacy tracer (`dynamo=False`)
      records the example's value as a constant and is silently wrong on other inputs. Error.
    - into Python control flow (`range(int(n))`, a key of a dict or list, a comparison):
      dynamo fails (it cannot guard on a data-dependent value); legacy bakes the value and is
      silently wrong. Error.
    - a numpy round trip (`torch.from_numpy(np.exp(x.numpy()))`): dynamo traces the numpy
      calls as torch ops (one without an ONNX counterpart, like `np.sort`, then fails at
      conversion); legacy records the result as a constant, silently wrong. Error.
    - `.item()` of a parameter or buffer: a constant for export, right under both (info); if
      it decides control flow, dynamo fails while legacy stays right.
    - bounded by `torch._check(n >= 1)` (or `torch._check_is_size`): dynamo keeps it symbolic
      within the declared range and stays right; legacy fails, since `torch._check` receives a
      traced tensor there. An error for `--exporter both`, info for dynamo alone.
    - into a float function of `math` (`1 / math.sqrt(n)`, `math.log(n)`, `math.exp(-n)`):
      dynamo fails (torch.export for log/exp, the ONNX conversion for sqrt); legacy records
      the value. `math.ceil`/`math.floor` and arithmetic are tensor uses, as above. Error.
    - a size that tensor values decide (`kept = scores[scores > t]`, `nonzero`) made a Python
      number by `len(kept)` or Python's `min`/`max` (`k = min(self.max_det, kept.numel())`,
      then `kept.topk(k)`): dynamo keeps it symbolic and stays right; legacy records the
      example's size and is silently wrong (onnxruntime's TopK rejects a k above the size). A
      bare `kept.shape[0]` or `kept.numel()` stays a traced size under legacy and is not
      reported; tests, loop counts and slice bounds on such sizes are dynamic-branch,
      dynamic-loop and data-dependent-index findings. Error.
    - a size made a Python number by `torch.sym_min` / `sym_max` or `round()` of a size
      (`round(x.shape[1] / 2)`): dynamo keeps it symbolic and stays right; legacy fails (sizes
      are traced tensors there). An error for `--exporter both`, info for dynamo alone.
    A conversion written directly in an `if`/`while` test is left to `dynamic-branch`.

    ## Example
        def forward(self, x, lengths):
            n = lengths.max().item()
            return x[:, :n]
    Use instead:
        def forward(self, x, lengths):
            keep = torch.arange(x.shape[1]) < lengths.max()
            return x * keep

    ## Known problems
    Uses are followed through local names, Python arithmetic and loops up to three steps, not
    into other functions: a value passed to a helper counts as a tensor use. `int()`/`float()`
    are reported only for values that are tensors by construction (inputs, parameters, buffers,
    torch calls, tensor methods, submodule outputs), not for results of unknown helpers.

    ## Fix safety
    Unsafe: the tensor-to-python fixer keeps the tensor where the Python number only fed
    arithmetic (`x * w.sum().item()` becomes `x * w.sum()`), which computes the same; a number
    that sizes, slices, indexes or keys something has no static-shape equivalent and is
    reported as manual work. The wrapper is kept only if onnxruntime matches eager.
    """

    code = "EXL204"
    name = "tensor-to-python"
    summary = "Tensor value turned into a Python number, list or numpy array"
    probe_hint = "keep the value a tensor; avoid int() / .item() / .tolist() in forward"
    hint = _HINT
    VALID = [
        Valid(forward("x", "return x.view(int(x.shape[0]), -1)")),
        Valid(forward("x", "return x * float(self.eps)")),
        # a conversion inside a branch test is dynamic-branch's finding
        Valid(forward("x", "return x * 2 if x.sum().item() > 0 else x")),
        Valid(forward("x", "return x.size(0) * x")),
        # a bare size of a selection stays a traced size under legacy
        Valid(forward("x", "kept = x[x > 0]\n        return kept.topk(kept.shape[0])[0]")),
    ]
    INVALID = [
        Invalid(forward("x, n", "return x[: n.sum().item()]"), line=7, severity="error", column=19,
                message="`n.sum().item()` turns a tensor into a Python number used"),
        Invalid(forward("x, n", "k = int(n.sum())\n        return x[:k].sum() / math.sqrt(k)"),
                line=7, severity="error", column=12,
                message="`int(n.sum())` turns a tensor into a Python int that a `math` function takes"),
        Invalid(forward("x", "kept = x[x > 0]\n        return kept.topk(min(5, kept.numel()))[0]"),
                line=8, severity="error", column=25,
                message="`min(5, kept.numel())` makes a size that tensor values decide a Python number"),
        # a count of a mask (a comparison of tensors), capped by configuration
        Invalid(forward("x", "keep = x > 0\n        return x[: min(int(keep.sum()), 3)]"),
                line=8, severity="error", column=23,
                message="`int(keep.sum())` turns a tensor into a Python int used"),
        Invalid(forward("x, n", "return [x * i for i in range(int(n.max()))]"),
                line=7, severity="error", column=37,
                message="`int(n.max())` turns a tensor into a Python int that"),
        Invalid(forward("x", "return torch.from_numpy(x.cpu().numpy() * 2)"),
                line=7, severity="error", column=32,
                message="`x.cpu().numpy()` turns a tensor into a Python numpy array"),
        # a local computed through a chain of other locals is still a tensor
        Invalid(forward("x", "y = x * 2.0\n        p = y.sigmoid()\n        c = p.abs().mean()\n"
                        "        t = float(c) + 1.0\n        return x / t"),
                line=10, severity="error", column=12,
                message="`float(c)` turns a tensor into a Python float used in tensor operations"),
        Invalid(forward("x, sizes", "return torch.split(x, sizes.tolist())"),
                line=7, severity="error", column=30,
                message="`sizes.tolist()` turns a tensor into a Python list used in"),
        Invalid(
            "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self):\n        super().__init__()\n"
            "        self.scale = nn.Parameter(torch.ones(()))\n\n"
            "    def forward(self, x):\n        return x * self.scale.item()\n",
            line=11,
            severity="info", column=19,
            message="`self.scale.item()` turns a tensor into a Python number",
        ),
        Invalid(forward("x, frame_idx", "table = {0: 1.0, 1: 2.0}\n        return x * table[int(frame_idx)]"),
                line=8, severity="error", column=25,
                message="`int(frame_idx)` turns a tensor into a Python int that decides Python control flow"),
        Invalid(forward("x, memory: dict, t: torch.Tensor", "prev = memory.get(int(t) - 1)\n"
                        "        return x if prev is None else x + prev"),
                line=7, severity="error", column=26,
                message="`int(t)` turns a tensor into a Python int that decides Python control flow"),
        Invalid(forward("x", "return x[: torch.sym_min(x.shape[0], 3)]"),
                line=7, severity="error", column=19, message="`torch.sym_min(x.shape[0], 3)` takes a size"),
        Invalid(forward("x", "return x[:, : round(x.shape[1] / 2)]"),
                line=7, severity="error", column=22, message="`round(x.shape[1] / 2)` rounds a size"),
        Invalid(forward("x, k", "n = k.item()\n        torch._check(n >= 1)\n        return x[:n]"),
                line=7, severity="error", column=12,
                message="`k.item()` turns a tensor into a Python number whose range `torch._check` declares"),
    ]

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)

    def visit_Call(self, node: cst.Call) -> None:
        flow = self.flow
        if flow is None:
            return
        full = resolve(dotted_name(node.func), flow.imports) or ""
        if full in ("torch.sym_min", "torch.sym_max") or (
                full == "round" and node.args and _mentions_size(node.args[0].value)):
            what = "rounds a size" if full == "round" else "takes a size as a Python number"
            self.report(node, f"`{source_text(node)}` {what}: dynamo keeps the size symbolic and stays "
                        "right; legacy fails (sizes are traced tensors there, which "
                        f"{'have no __round__' if full == 'round' else 'torch.sym_* rejects'})",
                        Outcomes(dynamo="ok", legacy="fails"), hint=_SIZE_HINT)
            return
        if self._data_size(node, full, flow):
            return
        found = _conversion(node, flow)
        if found is None:
            return
        what, source = found
        parents = Parents.of(flow.fn)
        if parents.in_test(node):
            return
        uses = {"control"} if what == "bool" else _use_kinds(node, parents, flow, 0)
        state = _from_state(source, flow)
        message, outcomes = _verdict(what, uses, state)
        hint = _CONTROL_HINT if "control" in uses else _HINT
        self.report(node, f"`{source_text(node)}` turns a tensor into a Python {what}{message}", outcomes, hint=hint)


    def _data_size(self, node: cst.Call, full: str, flow: FunctionFlow) -> bool:
        """`min(self.max_det, kept.numel())` or `len(kept)` of a tensor whose size tensor values
        decide (`kept = scores[scores > t]`), used as a size or in arithmetic. Measured: a bare
        size (`kept.shape[0]`, `kept.numel()`) stays a traced size under legacy, but `len()` and
        Python's min/max make it a number the legacy tracer records; dynamo keeps it symbolic."""
        if full not in ("min", "max", "len"):
            return False
        if full == "len":
            sizes: list[cst.BaseExpression] = [node] if _ragged_size(node, flow) else []
        else:
            sizes = [a.value for a in node.args if _ragged_size(a.value, flow)]
        if not sizes:
            return False
        parents = Parents.of(flow.fn)
        holder = parents.parent(node)
        up = parents.parent(holder or node)
        if full == "len" and isinstance(up, cst.Call) and dotted_name(up.func) in ("min", "max"):
            return True  # reported as the min/max around it
        if parents.in_test(node):
            return True  # a test on the size: dynamic-branch's finding
        if isinstance(up, (cst.Index, cst.Slice)) or isinstance(holder, (cst.Index, cst.Slice)):
            return True  # a slice bound or an index: data-dependent-index's finding
        uses = _use_kinds(node, parents, flow, 0)
        if "control" in uses or "tensor" not in uses:
            return True  # a loop count or a branch (dynamic-loop, dynamic-branch), or no use
        which = "" if sizes[0] is node else f" (`{source_text(sizes[0])}`)"
        self.report(node, f"`{source_text(node)}` makes a size that tensor values decide a Python number"
                    f"{which}{_DATA_SIZE}", Outcomes(dynamo="ok", legacy="wrong"), hint=_HINT)
        return True


def _ragged_first_axis(expr: cst.BaseExpression, flow: FunctionFlow) -> bool:
    value = flow.value(expr)
    return value.form is Form.TENSOR and value.ragged


def _ragged_size(expr: cst.BaseExpression, flow: FunctionFlow) -> bool:
    """`kept.numel()`, `kept.size(0)`, `kept.shape[0]`, `len(kept)` of a tensor whose first axis
    tensor values decide."""
    if isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Name) and func.value == "len" and expr.args:
            return _ragged_first_axis(expr.args[0].value, flow)
        if isinstance(func, cst.Attribute) and func.attr.value in ("numel", "nelement", "size"):
            first = not expr.args or (isinstance(expr.args[0].value, cst.Integer) and expr.args[0].value.value == "0")
            return first and _ragged_first_axis(func.value, flow)
        return False
    if isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Attribute) and expr.value.attr.value == "shape":
        index = expr.slice[0].slice if len(expr.slice) == 1 else None
        return (isinstance(index, cst.Index) and isinstance(index.value, cst.Integer)
                and index.value.value == "0" and _ragged_first_axis(expr.value.value, flow))
    return False


def _conversion(node: cst.Call, flow: FunctionFlow) -> tuple[str, cst.BaseExpression] | None:
    """What a call converts a tensor into, and the tensor expression, or None."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in _METHODS and not node.args:
        if flow.value(func.value).form is Form.TENSOR:
            return _METHODS[func.attr.value], func.value
        return None
    if len(node.args) != 1 or node.args[0].star:
        return None
    arg = node.args[0].value
    # NOTE: the dataflow calls anything computed from a tensor a tensor; a cast of the result of an
    # unknown function (`int(round(h / 2))` with `h` from a helper) is usually a Python number.
    if isinstance(func, cst.Name) and func.value in ("int", "float") and _untyped_param(arg, flow):
        return _CASTS[func.value], arg
    if flow.value(arg).form is not Form.TENSOR or not _surely_tensor(arg, flow, 0):
        return None
    if isinstance(func, cst.Name) and func.value in _CASTS:
        return _CASTS[func.value], arg
    if (resolve(dotted_name(func), flow.imports) or "") in _NUMPY_CONVERTERS:
        return "numpy array", arg
    return None


def _mentions_size(expr: cst.BaseExpression) -> bool:
    """Whether an expression reads a tensor size (`x.shape[1]`, `x.size(0)`)."""
    return any((isinstance(n, cst.Attribute) and n.attr.value == "shape") or
               (isinstance(n, cst.Call) and isinstance(n.func, cst.Attribute) and n.func.attr.value == "size")
               for n in nodes_in(expr))


def _untyped_param(arg: cst.BaseExpression, flow: FunctionFlow) -> bool:
    """`int(frame_idx)` of a parameter with neither annotation nor default, which the analysis
    took for a Python number by its name: casting it says it may well be a tensor. Either way the
    legacy tracer makes it a tensor and bakes the cast; a tensor also fails under dynamo."""
    if not isinstance(arg, cst.Name) or flow.env.get(arg.value) != ARGUMENT:
        return False
    for param in flow.fn.params.params:
        if param.name.value == arg.value:
            return param.annotation is None and param.default is None
    return False


_NOT_TENSOR_METHODS = {"item", "tolist", "numpy", "size", "dim", "numel", "nelement", "stride", "ndimension",
                       "is_floating_point", "is_complex", "get_device", "is_contiguous", "element_size"}


def _surely_tensor(expr: cst.BaseExpression, flow: FunctionFlow, depth: int) -> bool:
    """True when `expr` is a tensor by construction: parameters, buffers, torch calls, tensor methods."""
    if depth > _TENSOR_DEPTH:
        return False
    if isinstance(expr, cst.Name):
        return _surely_tensor_name(expr.value, flow, depth)
    if isinstance(expr, cst.Attribute):
        if isinstance(expr.value, cst.Name) and expr.value.value == "self":
            return flow.value(expr).form is Form.TENSOR
        return expr.attr.value in ("T", "mT", "data", "grad", "real", "imag") and _surely_tensor(expr.value, flow, depth)
    if isinstance(expr, cst.Call):
        full = resolve(dotted_name(expr.func), flow.imports) or ""
        if full.startswith("torch.") and flow.value(expr).form is Form.TENSOR:
            return True
        func = expr.func
        if flow.value(func).form in (Form.MODULE, Form.METHOD):
            return flow.value(expr).form is Form.TENSOR  # a submodule or a method of self
        return (isinstance(func, cst.Attribute) and func.attr.value not in _NOT_TENSOR_METHODS
                and _surely_tensor(func.value, flow, depth + 1))
    if isinstance(expr, cst.Subscript):
        return _surely_tensor(expr.value, flow, depth + 1)
    if isinstance(expr, cst.BinaryOperation):
        return any(_surely_tensor(e, flow, depth + 1) for e in (expr.left, expr.right))
    if isinstance(expr, cst.UnaryOperation):
        return _surely_tensor(expr.expression, flow, depth + 1)
    if isinstance(expr, cst.Comparison):  # `scores > self.thr`: a boolean tensor
        return not any(isinstance(c.operator, NOT_VALUE_TESTS) for c in expr.comparisons) \
            and any(_surely_tensor(e, flow, depth + 1) for e in [expr.left, *(c.comparator for c in expr.comparisons)])
    return False


def _surely_tensor_name(name: str, flow: FunctionFlow, depth: int) -> bool:
    if name in param_names(flow.fn):
        return flow.env.get(name) is not None and flow.env[name].form is Form.TENSOR
    values = [n.value for n in nodes_in(flow.fn.body) if isinstance(n, cst.Assign)
              and any(isinstance(t.target, cst.Name) and t.target.value == name for t in n.targets)]
    return bool(values) and all(_surely_tensor(v, flow, depth + 1) for v in values)


def _from_state(expr: cst.BaseExpression, flow: FunctionFlow) -> bool:
    """True when the tensor comes only from `self` (parameters, buffers), not from forward's inputs."""
    names: list[str] = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            visit(node.value, self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            names.append(node.value)

    visit(expr, _V())
    data = [n for n in names if n != "self" and n in flow.env and flow.env[n].form in (Form.TENSOR, Form.TLIST, Form.DICT)]
    return "self" in names and not data


def _use_kinds(node: cst.CSTNode, parents: Parents, flow: FunctionFlow, depth: int) -> set[str]:
    """Where a Python value goes: "control" (branch, loop count, key), "tensor" (tensor ops), "inert"."""
    child = node
    while True:
        up = parents.parent(child)
        if up is None or isinstance(up, cst.Return):
            return {"tensor"}
        step = _step(up, child, parents, flow, depth, node)
        if isinstance(step, set):
            return step
        child = step


def _step(up: cst.CSTNode, child: cst.CSTNode, parents: Parents, flow: FunctionFlow,
          depth: int, origin: cst.CSTNode | None = None) -> set[str] | cst.CSTNode:
    """One step up from `child`: a verdict, or the node to keep climbing from."""
    if isinstance(up, cst.IfExp):
        return {"control"} if up.test is child else up
    if isinstance(up, (cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation)) and _in_check(up, parents, flow):
        return {"checked"}
    if isinstance(up, (cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.If, cst.While, cst.Assert)):
        return {"control"}
    if isinstance(up, cst.Arg):
        return _argument(up, parents, flow)
    if isinstance(up, (cst.Index, cst.Slice)):
        subscript = parents.parent(parents.parent(up) or up)
        if isinstance(subscript, cst.Subscript):
            return {"tensor"} if flow.value(subscript.value).form is Form.TENSOR else {"control"}
        return {"tensor"}
    if isinstance(up, cst.DictElement):
        return {"control"} if up.key is child else {"tensor"}
    if isinstance(up, (cst.For, cst.CompFor)) and origin is not None and up.iter is child:
        return _through_names(up, parents, flow, depth, _fed_by(up.target, child, origin, parents))
    if isinstance(up, (cst.Assign, cst.For, cst.CompFor)):
        return _through_names(up, parents, flow, depth)
    if isinstance(up, (cst.BinaryOperation, cst.UnaryOperation, cst.Element, cst.Tuple, cst.List,
                       cst.Attribute, cst.Subscript, cst.SubscriptElement, cst.StarredElement)):
        return up
    if isinstance(up, cst.Call) and up.func is child:
        return up
    return {"tensor"}


def _argument(arg: cst.Arg, parents: Parents, flow: FunctionFlow) -> set[str] | cst.CSTNode:
    call = parents.parent(arg)
    if not isinstance(call, cst.Call):
        return {"tensor"}
    name = resolve(dotted_name(call.func), flow.imports) or ""
    if name == "range":
        return {"control"}
    if name in _CHECKS:
        return {"checked"}
    if name in _INERT or name.startswith(("logging.", "logger.")):
        return {"inert"}
    if name in _MATH_FUNCS:
        return {"math"}
    if name in _PY_PASSTHROUGH:
        return call
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("get", "pop", "setdefault") and \
            arg is (call.args[0] if call.args else None) and flow.value(func.value).form is Form.DICT:
        return {"control"}  # the key of a runtime dict lookup (`memory.get(int(t) - 1)`)
    return {"tensor"}


def _in_check(node: cst.CSTNode, parents: Parents, flow: FunctionFlow) -> bool:
    """Whether a test is (part of) an argument of `torch._check(...)` and the like."""
    up = parents.parent(node)
    while isinstance(up, (cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.UnaryOperation)):
        up = parents.parent(up)
    call = parents.parent(up) if isinstance(up, cst.Arg) else None
    return isinstance(call, cst.Call) and (resolve(dotted_name(call.func), flow.imports) or "") in _CHECKS


def _fed_by(target: cst.BaseExpression, iterable: cst.BaseExpression, origin: cst.CSTNode,
            parents: Parents) -> cst.BaseExpression:
    """The part of a loop target that the value at `origin` feeds: in
    `for i, (chunk, (h, w)) in enumerate(zip(chunks, shapes.tolist()))` the `.tolist()` feeds
    `(h, w)` only; `i` counts passes and `chunk` comes from `chunks`."""
    while isinstance(iterable, cst.Call) and isinstance(target, (cst.Tuple, cst.List)):
        name = dotted_name(iterable.func)
        args = [a.value for a in iterable.args if a.keyword is None and not a.star]
        parts = [e.value for e in target.elements]
        if name == "enumerate" and len(args) == 1 and len(parts) == 2:
            iterable, target = args[0], parts[1]
        elif name == "zip" and len(args) == len(parts):
            holder = next((a for a in args if a is origin or a in parents.ancestors(origin)), None)
            if holder is None:
                break
            target, iterable = parts[args.index(holder)], holder
        else:
            break
    return target


def _through_names(up: cst.CSTNode, parents: Parents, flow: FunctionFlow, depth: int,
                   fed: cst.BaseExpression | None = None) -> set[str]:
    """Follow an assignment or loop binding to the reads of the names it binds (of the loop
    target, only the part `fed` that the followed value feeds, when given)."""
    if depth >= _MAX_DEPTH:
        return {"tensor"}
    if isinstance(up, cst.Assign):
        targets: list[cst.BaseExpression] = [t.target for t in up.targets]
    else:
        targets = [fed if fed is not None else up.target]  # type: ignore[attr-defined]
    kinds: set[str] = set()
    for name in _bound_names(targets):
        for load in parents.loads(name):
            kinds |= _use_kinds(load, parents, flow, depth + 1)
    return kinds or {"inert"}


def _bound_names(targets: list[cst.BaseExpression]) -> list[str]:
    names: list[str] = []
    for target in targets:
        if isinstance(target, cst.Name):
            names.append(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            names.extend(_bound_names([el.value for el in target.elements]))
        elif isinstance(target, cst.StarredElement):
            names.extend(_bound_names([target.value]))
    return names


def _verdict(what: str, uses: set[str], state: bool) -> tuple[str, Outcomes]:
    """The message tail and the outcomes for a conversion, from its uses and its source."""
    if "control" in uses and state:
        return _STATE_CONTROL, Outcomes(dynamo="fails", legacy="ok")
    if "control" in uses:
        return _DATA_CONTROL, Outcomes(dynamo="fails", legacy="wrong")
    if "math" in uses:
        return _MATH, Outcomes(dynamo="fails", legacy="wrong")
    if "checked" in uses:
        return _CHECKED, Outcomes(dynamo="ok", legacy="fails")
    if "tensor" not in uses:
        return " that is only printed or unused: harmless for export", Outcomes.same("ok")
    if state:
        return " from a parameter or buffer: a constant for export, both exporters stay right", Outcomes.same("ok")
    if what == "numpy array":
        return _NUMPY, Outcomes(dynamo="ok", legacy="wrong")
    return _DATA_TENSOR, Outcomes(dynamo="ok", legacy="wrong")


_STATE_CONTROL = (" from a parameter or buffer that decides Python control flow: dynamo fails (it cannot guard "
                  "on a parameter's value); legacy bakes the value, right for these weights")
_DATA_CONTROL = (" that decides Python control flow (a branch, a loop count or a container key): dynamo fails "
                 "(it cannot guard on a data-dependent value); legacy bakes the example's value, silently wrong "
                 "on other inputs")
_CHECKED = (" whose range `torch._check` declares: dynamo keeps it symbolic within that range and stays "
            "right; legacy fails (`torch._check` receives a traced tensor, not a bool)")
_NUMPY = (": dynamo traces the numpy code as torch ops (a numpy function without an ONNX counterpart, like "
          "np.sort, fails at conversion); legacy records the result as a constant, silently wrong on other inputs")
_MATH = (" that a `math` function takes (`math.sqrt`, `math.log`, ...): dynamo fails (torch.export or its ONNX "
         "conversion has no form for a float function of a data-dependent number); legacy records the "
         "example's value as a constant, silently wrong on other inputs")
_DATA_SIZE = (" used in tensor operations (a size, a slice bound, arithmetic): dynamo keeps it symbolic "
              "and stays right; legacy records the example's size as a constant, silently wrong on other "
              "inputs (a bare `kept.shape[0]` or `kept.numel()` stays a traced size there)")
_DATA_TENSOR = (" used in tensor operations (an index, a slice bound, a size, arithmetic): dynamo keeps it "
                "symbolic and stays right; legacy records the example's value as a constant, silently wrong "
                "on other inputs")
