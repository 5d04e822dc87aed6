"""tensor-to-python fixer: keep values as tensors where a Python number was only arithmetic.

`x * w.sum().item()` and `x / float(t)` compute the same with the tensor itself, which keeps
the value in the graph instead of baking the example's number. A Python number that sizes,
slices, indexes or keys something (`int(n)` in a slice, `.tolist()` driving a split) has no
static-shape equivalent: that is reported as manual work, with the reason. A numpy round trip
(`t.numpy()`, numpy math, `torch.from_numpy`) is rewritten with torch ops of the same meaning
(`rewrites/numpy_torch.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from exportlint.analysis.uses import Parents
from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens
from exportlint.fixers.rewrites.numpy_torch import NumpyToTorch, numpy_in
from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.model import Finding

_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.Power)


class TensorToPythonFixer(Fixer):
    rule = "tensor-to-python"
    title = "Keep tensor values as tensors in arithmetic"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        handled: set[str] = set()  # methods whose numpy round trip was rewritten or reported
        for finding in ctx.findings_for(self.rule):
            if not plan.facts.ran(finding.symbol):
                continue
            call = _call_at(plan, finding)
            tensor = _tensor_of(call) if call is not None else None
            parent = _parent(plan, finding.symbol, call) if call is not None else None
            text = " ".join(plan.index.code(call).split()) if call is not None else finding.message
            if call is not None and tensor is not None and (
                    (isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, _ARITHMETIC))
                    or _named_for_arithmetic(plan, finding.symbol, parent)):
                plan.edit(finding.symbol, call, _to_tensor())
                plan.note(self.rule, f"`{text}` only feeds arithmetic: the tensor is used "
                          "directly, so its value stays in the graph.", finding.location.line)
                continue
            bound = _clamped(plan, finding.symbol, call, parent) if call is not None else None
            if bound is not None:
                outer, index, limit = bound
                plan.edit(finding.symbol, outer, _to_clamped_index(index, limit))
                plan.note(self.rule, f"`{' '.join(plan.index.code(outer).split())}` only bounds "
                          f"slices: written `.long().clamp({limit}=...)`, a 0-d tensor, so the sliced "
                          "size follows the data under both exporters instead of the example's number.",
                          finding.location.line)
                continue
            if call is not None and _integer_of(call) is not None and (
                    isinstance(parent, cst.Slice) or _named_for_slices(plan, finding.symbol, parent)):
                plan.edit(finding.symbol, call, _to_index_tensor())
                plan.note(self.rule, f"`{text}` only bounds slices: the tensor bounds them itself "
                          "(`.long()`), so the sliced size follows the data under both exporters "
                          "(a Slice with a computed end) instead of the example's number.",
                          finding.location.line)
                continue
            if not ctx.blocks(finding):
                continue  # every chosen exporter keeps it right: verification shows it
            if text.endswith(".numpy()"):
                if finding.symbol in handled or _numpy_to_torch(plan, finding):
                    handled.add(finding.symbol)
                    continue
                plan.needs_manual(self.rule, finding.location.line, finding.symbol, f"`{text}` "
                                  "leaves the graph: the numpy code after it runs on the host, so "
                                  "the legacy tracer records its result for the example as a "
                                  "constant; rewrite that numpy math with torch ops (np.exp -> "
                                  "torch.exp, np.clip -> torch.clamp, axis= -> dim=).")
                continue
            if finding.outcomes.of("dynamo") == "ok" and ctx.exporter != "dynamo":
                legacy = ("fails on it (sizes are traced tensors there)"
                          if finding.outcomes.of("legacy") == "fails" else
                          "records the example's values as constants (silently wrong on others)")
                plan.needs_manual(self.rule, finding.location.line, finding.symbol, f"`{text}` "
                                  f"gives Python sizes or indices: the legacy tracer {legacy} and "
                                  "no rewrite keeps them for it; the dynamo exporter keeps them "
                                  "symbolic: run fix with `--exporter dynamo` to export it as "
                                  "written.")
                continue
            plan.needs_manual(self.rule, finding.location.line, finding.symbol, f"`{text}` "
                              "becomes a Python number that decides sizes, indices or control "
                              "flow; dynamo keeps it symbolic or fails, legacy bakes the example's "
                              "value. There is no static-shape equivalent.")


_NUMPY_ALIAS = re.compile(r"^\s*import numpy as (\w+)\s*$|^\s*import (numpy)\s*$", re.MULTILINE)


def _numpy_to_torch(plan: WrapperPlan, finding: Finding) -> bool:
    """Rewrite the numpy round trip of the finding's method with torch ops (`numpy_torch`), or,
    when some numpy call there has no torch twin, report that as the method's manual item: True
    either way. False when the finding is not in a method that uses numpy."""
    method = plan.index.methods.get(finding.symbol)
    if method is None:
        return False
    match = _NUMPY_ALIAS.search(plan.index.text)
    alias = next((g for g in match.groups() if g), "np") if match else "np"
    dry = NumpyToTorch(alias)
    method.node.visit(dry)
    if dry.unsupported:
        plan.needs_manual(TensorToPythonFixer.rule, finding.location.line, finding.symbol,
                          f"a numpy round trip with no torch rewrite: {'; '.join(dry.unsupported)}.")
        return True  # reported, with its reason
    if not numpy_in(method.node, alias):
        return False
    earlier = plan.edits.get(finding.symbol, {}).get(method.node)  # another fixer's, kept

    def edit(node: cst.CSTNode) -> Replacement:
        node = node.visit(NumpyToTorch(alias))
        return earlier(node) if earlier is not None else node

    plan.edit(finding.symbol, method.node, edit)
    plan.note(TensorToPythonFixer.rule, f"`{finding.symbol}` computes with numpy between tensors: "
              "rewritten with the torch ops of the same meaning (`.numpy()` and "
              "`torch.from_numpy` dropped, `axis=` as `dim=`), so the math stays in the graph.",
              finding.location.line)
    return True


def _named_for_arithmetic(plan: WrapperPlan, symbol: str, parent: cst.CSTNode | None) -> bool:
    """`s = float(t)` where `s` is assigned once in the method and every read of it is an
    operand of arithmetic (`x * s`, `s + 1`, `-s`): the number never leaves arithmetic."""
    return _named_for(plan, symbol, parent, _in_arithmetic)


def _named_for_slices(plan: WrapperPlan, symbol: str, parent: cst.CSTNode | None) -> bool:
    """`n = int(t)` assigned once in the method, every read of it a slice bound (`x[:, :n]`)."""
    return _named_for(plan, symbol, parent, lambda read: isinstance(read, cst.Slice))


def _named_for(plan: WrapperPlan, symbol: str, parent: cst.CSTNode | None,
               use: Callable[[cst.CSTNode | None], bool]) -> bool:
    """`parent` assigns one name, bound once in the method, and `use` holds for every read of
    it (given the read's parent)."""
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)):
        return False
    name = parent.targets[0].target.value
    stores, reads = _uses(plan.index.methods[symbol].node, name)
    return stores == 1 and bool(reads) and all(use(r) for r in reads)


def _clamped(plan: WrapperPlan, symbol: str, call: cst.Call, parent: cst.CSTNode | None
             ) -> tuple[cst.Call, int, str] | None:
    """`min(int(t), k)` / `max(int(t), k)` bounding slices only (`x[:n]` with `n` named for
    slices): the min/max call, the position of `int(t)` in it, and clamp's keyword ("max" for
    min); None otherwise."""
    if _integer_of(call) is None or not isinstance(parent, cst.Arg):
        return None
    outer = _parent(plan, symbol, parent)
    if not (isinstance(outer, cst.Call) and isinstance(outer.func, cst.Name)
            and outer.func.value in ("min", "max") and len(outer.args) == 2
            and all(a.keyword is None and not a.star for a in outer.args)):
        return None
    above = _parent(plan, symbol, outer)
    if not (isinstance(above, cst.Slice) or _named_for_slices(plan, symbol, above)):
        return None
    return outer, list(outer.args).index(parent), "max" if outer.func.value == "min" else "min"


def _to_clamped_index(index: int, limit: str) -> Edit:
    """`min(int(t), k)` -> `t.long().clamp(max=k)` (max -> clamp(min=k)): a 0-d integer tensor."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        inner = node.args[index].value
        other = node.args[1 - index].value
        tensor = _integer_of(inner) if isinstance(inner, cst.Call) else None
        if tensor is None:
            return node
        clamp = cst.Call(cst.Attribute(_long(tensor), cst.Name("clamp")),
                         [cst.Arg(other, keyword=cst.Name(limit), equal=cst.AssignEqual(
                             whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))])
        return keep_parens(node, clamp)

    return edit


def _integer_of(call: cst.Call) -> cst.BaseExpression | None:
    """`int(t)` -> t; `t.item()` -> t; None otherwise."""
    func = call.func
    if isinstance(func, cst.Name) and func.value == "int" and len(call.args) == 1:
        return call.args[0].value
    if isinstance(func, cst.Attribute) and func.attr.value == "item" and not call.args:
        return func.value
    return None


def _to_index_tensor() -> Edit:
    """`int(t)` / `t.item()` -> `t.long()`: a 0-d integer tensor, which slices like the int."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        tensor = _integer_of(node)
        assert tensor is not None
        return keep_parens(node, _long(tensor))

    return edit


def _long(tensor: cst.BaseExpression) -> cst.Call:
    """`tensor.long()`, parenthesising an operand that needs it (`(a + b).long()`)."""
    inner = tensor if isinstance(tensor, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) \
        else tensor.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(cst.Attribute(inner, cst.Name("long")), [])


def _uses(method: cst.CSTNode, name: str) -> tuple[int, list[cst.CSTNode | None]]:
    """How often `name` is bound in `method`, and the parent of each read of it."""
    parents = Parents(method)
    named = [n for n in parents.nodes if isinstance(n, cst.Name) and n.value == name]
    reads = [n for n in named if parents.is_load(n)]
    stores = [n for n in named if not parents.is_load(n) and not _a_label(n, parents.parent(n))]
    return len(stores), [parents.parent(n) for n in reads]


def _a_label(node: cst.Name, parent: cst.CSTNode | None) -> bool:
    """An attribute's name (`obj.s`) or a keyword (`f(s=1)`): the same text, not the variable."""
    return (isinstance(parent, cst.Attribute) and parent.attr is node) or \
        (isinstance(parent, cst.Arg) and parent.keyword is node)


def _in_arithmetic(parent: cst.CSTNode | None) -> bool:
    if isinstance(parent, cst.BinaryOperation):
        return isinstance(parent.operator, _ARITHMETIC)
    return isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, (cst.Minus, cst.Plus))


def _call_at(plan: WrapperPlan, finding: Finding) -> cst.Call | None:
    """The outermost call starting where the finding points (`t.sum().item()`, not `t.sum()`)."""
    where = (finding.location.line, finding.location.column)
    found = [(pos.end.line, pos.end.column, node) for node, pos in plan.index.positions.items()
             if isinstance(node, cst.Call) and (pos.start.line, pos.start.column) == where]
    if not found:
        return None
    node = max(found, key=lambda item: (item[0], item[1]))[2]
    assert isinstance(node, cst.Call)
    return node


def _tensor_of(call: cst.Call) -> cst.BaseExpression | None:
    """`t.item()` -> t; `float(t)` -> t; None for int()/bool()/.tolist() and the like."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "item" and not call.args:
        return func.value
    if isinstance(func, cst.Name) and func.value == "float" and len(call.args) == 1:
        return call.args[0].value
    return None


def _parent(plan: WrapperPlan, symbol: str, target: cst.CSTNode | None) -> cst.CSTNode | None:
    found: list[cst.CSTNode] = []

    class _Parent(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if target in node.children:
                found.append(node)
            return not found

    plan.index.methods[symbol].node.visit(_Parent())
    return found[0] if found else None


def _to_tensor() -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        tensor = _tensor_of(node)
        assert tensor is not None
        return keep_parens(node, tensor)

    return edit
