"""hardcoded-device fixer: no CUDA-only calls in the exported forward.

In a copy of each method that runs: `.pin_memory()` is dropped; `.cuda()`, `.to("cuda")` and
`device="cuda"` / `torch.device("cuda")` become the device of a tensor the method receives
(the first parameter that held a tensor when the traced forward called it), so the graph
follows its inputs and needs no GPU to export. A method that receives no tensor (SAM3's
memory gathering takes a frame number and a dict) keeps the tensor `.cuda()` / `.to("cuda")`
moves where it already is: the call is dropped.
"""

from __future__ import annotations

import libcst as cst

from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens
from exportlint.fixers.wrapper.fixer import FixContext, Fixer, nodes_of
from exportlint.fixers.wrapper.plan import WrapperPlan


class HardcodedDeviceFixer(Fixer):
    rule = "hardcoded-device"
    title = "Drop pin_memory and follow the input's device instead of CUDA"
    safety = "safe"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        for symbol, method in plan.index.methods.items():
            if not plan.facts.ran(symbol):
                continue
            calls = [c for c in nodes_of(ctx, symbol, cst.Call) if isinstance(c, cst.Call)]
            hits = [c for c in calls if _kind(c)]
            if not hits:
                continue
            ref = _reference(method.node, plan.facts.tensor_params.get(symbol))
            for call in hits:
                line = plan.index.positions[call].start.line
                if _kind(call) == "pin_memory":
                    _fix(plan, symbol, call, ref or "", line)  # dropped: needs no device
                    continue
                if ref is None and _kind(call) in ("cuda", "to"):
                    plan.edit(symbol, call, _receiver())
                    code = " ".join(cst.Module([]).code_for_node(call).split())
                    plan.note(self.rule, f"`{code}` is dropped: the method receives no tensor to "
                              "take a device from, so the value stays on its device.", line)
                    continue
                if ref is None:
                    plan.needs_manual(self.rule, line, symbol, "no tensor parameter to take the "
                                      "device from; pass the device in explicitly.")
                    continue
                _fix(plan, symbol, call, ref, line)


def _kind(call: cst.Call) -> str:
    func = call.func
    attr = func.attr.value if isinstance(func, cst.Attribute) else ""
    if attr == "pin_memory":
        return "pin_memory"
    if attr == "cuda":
        return "cuda"
    if attr == "to" and any(_is_cuda(a.value) for a in call.args if a.keyword is None):
        return "to"
    if any(a.keyword and a.keyword.value == "device" and _is_cuda(a.value) for a in call.args):
        return "device"
    if cst.Module([]).code_for_node(func) == "torch.device" and call.args and _is_cuda(call.args[0].value):
        return "torch.device"
    return ""


def _is_cuda(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString):
        return "cuda" in expr.evaluated_value if isinstance(expr.evaluated_value, str) else False
    if isinstance(expr, cst.Call) and cst.Module([]).code_for_node(expr.func) == "torch.device":
        return bool(expr.args) and _is_cuda(expr.args[0].value)
    return False


def _reference(method: cst.FunctionDef, seen: list[str] | None) -> str | None:
    """The parameter whose device calls follow: the first that held a tensor when the method
    ran (`seen`), else the first annotated as a tensor, else the first parameter."""
    if seen is not None:
        return seen[0] if seen else None
    params = [p for p in method.params.params if p.name.value != "self"]
    annotated = [p for p in params if p.annotation is not None and
                 "Tensor" in cst.Module([]).code_for_node(p.annotation.annotation)]
    chosen = (annotated or params)[:1]
    return chosen[0].name.value if chosen else None


def _fix(plan: WrapperPlan, symbol: str, call: cst.Call, ref: str, line: int) -> None:
    kind = _kind(call)
    device = f"{ref}.device"
    code = " ".join(cst.Module([]).code_for_node(call).split())
    if kind == "pin_memory":
        plan.edit(symbol, call, _receiver())
        text = "`.pin_memory()` is dropped (host memory pinning has no meaning in a graph)"
    elif kind == "torch.device":
        plan.edit(symbol, call, lambda node: keep_parens(node, cst.parse_expression(device)))  # type: ignore[arg-type]
        text = f"`{code}` becomes `{device}`"
    else:
        plan.edit(symbol, call, _to_device(kind, device))
        text = f"`{code}` now follows `{device}`"
    plan.note(HardcodedDeviceFixer.rule, text + ".", line)


def _receiver() -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        return keep_parens(node, node.func.value)

    return edit


def _to_device(kind: str, device: str) -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        value = cst.parse_expression(device)
        if kind == "cuda":
            assert isinstance(node.func, cst.Attribute)
            return node.with_changes(func=node.func.with_changes(attr=cst.Name("to")),
                                     args=[cst.Arg(value)])
        args = []
        for arg in node.args:
            if arg.keyword and arg.keyword.value == "non_blocking":
                continue
            if _is_cuda(arg.value) and (arg.keyword is None or arg.keyword.value == "device"):
                arg = arg.with_changes(value=value)
            args.append(arg)
        if args:
            args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return node.with_changes(args=args)

    return edit
