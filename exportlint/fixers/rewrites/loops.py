"""Masked bounded loops: a loop whose exit depends on tensor data runs a static number of times.

`while test: body` and a loop whose body holds `if cond: break` become a `for` loop with a
static bound in which a boolean tensor `done_<line>` turns true once the original would have
stopped. From then on every loop-carried name keeps its value (`torch.where(done, kept, new)`)
and a write into a slice writes back what was there, so the result equals the original's for
every input that stops within the bound.

The counter that gives a `while` its bound (`t = 0` before, `t += 1` once in the body, `while
t < self.max_len`) is not frozen: it stays a Python int counting every iteration, masked ones
included. While the original runs it has the original's value, and after the exit every write
it indexes is masked, so `buf[:, t] = v` stays a static index (a tensor index is a data-dependent
guard for the dynamo exporter). Code after the loop that reads the counter gets the count where
the original stopped, kept beside it as a tensor (`<name>_exit_<line>`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange

from exportlint.fixers.rewrites.codemods import Replacement

Loop = cst.While | cst.For


@dataclass(frozen=True)
class LoopPlan:
    """What the masked rewrite of one loop needs, decided on the original tree."""

    tag: str  # the loop's line: names `done_<tag>`, `<name>_kept_<tag>`
    bound: str  # a `while`'s static bound (an expression); a `for`'s iterable as written
    bound_source: str  # "configuration" (the loop's own) | "option" (`--max-iters`)
    carried: tuple[str, ...]  # names bound before the loop that the loop reassigns (frozen)
    counter: str | None = None  # the bounding counter of a `while`: stays a Python int
    counter_read_after: bool = False  # code after the loop reads it: `<counter>_exit_<tag>`


def is_break_if(node: cst.CSTNode, kind: type[cst.Break | cst.Continue] = cst.Break) -> bool:
    """`if cond: break` (or `continue`, with `kind=cst.Continue`) with nothing else in it."""
    if not isinstance(node, cst.If) or node.orelse is not None or len(node.body.body) != 1:
        return False
    line = node.body.body[0]
    return isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1 and \
        isinstance(line.body[0], kind)


def enclosing_loop(method: cst.FunctionDef, node: cst.CSTNode) -> Loop | None:
    """The loop whose body holds `node` as one of its own statements, or None."""
    found: list[Loop] = []

    class _Find(cst.CSTVisitor):
        def on_visit(self, candidate: cst.CSTNode) -> bool:
            if isinstance(candidate, (cst.While, cst.For)) and node in candidate.body.body:
                found.append(candidate)
            return not found

    method.visit(_Find())
    return found[0] if found else None


def plan_loop(method: cst.FunctionDef, loop: Loop, positions: Mapping[cst.CSTNode, CodeRange],
              max_iters: int) -> LoopPlan | str:
    """The masked rewrite of `loop`, or why it would not be faithful."""
    reason = _unsupported(loop)
    if reason is not None:
        return reason
    where = positions[loop]
    before, after = split_method(method, where, positions)
    bound_before = stored_names(before) | {p.name.value for p in method_params(method)}
    stored = stored_names(loop.body.body)
    if isinstance(loop, cst.For):
        targets = set(_target_names(loop.target))
        if targets & loaded_names(after):
            return f"the loop variable `{sorted(targets & loaded_names(after))[0]}` is read after the loop"
    late = sorted((stored - bound_before) & loaded_names(after))
    if late:
        return f"`{late[0]}` is first assigned inside the loop and read after it"
    carried = tuple(sorted(stored & bound_before))
    tag = str(where.start.line)
    if isinstance(loop, cst.For):
        return LoopPlan(tag, cst.Module([]).code_for_node(loop.iter), "configuration", carried)
    counted = _counter_bound(loop, before)
    if counted is not None:
        counter, bound = counted
        return LoopPlan(tag, bound, "configuration", tuple(n for n in carried if n != counter),
                        counter, counter in loaded_names(after))
    return LoopPlan(tag, str(max_iters), "option", carried)


def _unsupported(loop: Loop) -> str | None:
    if loop.orelse is not None:
        return "the loop has an `else` clause"
    problems: list[str] = []
    top = set(loop.body.body)

    class _Check(cst.CSTVisitor):
        def __init__(self) -> None:
            self.depth = 0

        def visit_If(self, node: cst.If) -> bool:
            return not (node in top and is_break_if(node))

        def visit_For(self, node: cst.For) -> bool:
            return False  # an inner loop's own break/continue is its own business

        def visit_While(self, node: cst.While) -> bool:
            return False

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Break(self, node: cst.Break) -> None:
            problems.append("a `break` is nested inside another block")

        def visit_Continue(self, node: cst.Continue) -> None:
            problems.append("a `continue` depends on the iteration")

        def visit_Return(self, node: cst.Return) -> None:
            problems.append("it returns from inside the loop")

        def visit_Expr(self, node: cst.Expr) -> None:
            if isinstance(node.value, cst.Call):
                func = cst.Module([]).code_for_node(node.value.func)
                grows = func.endswith((".append", ".extend", ".insert"))
                problems.append(f"`{func}(...)` grows a list by a data-dependent count" if grows
                                else f"the call statement `{func}(...)` has side effects")

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            if isinstance(node.target, cst.Attribute):
                problems.append("it assigns to an attribute")

    for stmt in loop.body.body:
        stmt.visit(_Check())
    return problems[0] if problems else None


def method_params(method: cst.FunctionDef) -> list[cst.Param]:
    params = method.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def split_method(method: cst.FunctionDef, where: CodeRange,
                  positions: Mapping[cst.CSTNode, CodeRange]
                  ) -> tuple[list[cst.CSTNode], list[cst.CSTNode]]:
    """Statements of the method that end before the loop starts, and those that start after it."""
    before: list[cst.CSTNode] = []
    after: list[cst.CSTNode] = []

    class _Lines(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if not isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return True
            span = positions.get(node)
            if span is None:
                return True
            if span.end.line < where.start.line:
                before.append(node)
                return False
            if span.start.line > where.end.line:
                after.append(node)
                return False
            return True

    method.body.visit(_Lines())
    return before, after


def stored_names(nodes: Sequence[cst.CSTNode]) -> set[str]:
    names: set[str] = set()

    class _Stores(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            names.update(_target_names(node.target))

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            names.update(_target_names(node.target))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            names.update(_target_names(node.target))

        def visit_For(self, node: cst.For) -> None:
            names.update(_target_names(node.target))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            names.add(node.name.value)
            return False

    for node in nodes:
        node.visit(_Stores())
    return names


def loaded_names(nodes: Sequence[cst.CSTNode]) -> set[str]:
    names: set[str] = set()

    class _Loads(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

    for node in nodes:
        node.visit(_Loads())
    return names


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    return []


def _conjuncts(test: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return [*_conjuncts(test.left), *_conjuncts(test.right)]
    return [test]


def _counter_bound(loop: cst.While, before: Sequence[cst.CSTNode]) -> tuple[str, str] | None:
    """`while n < self.max_steps and ...` with `n = 0` before and `n += 1` in the body: the
    counter and the bound the configuration gives (`"n"`, `"self.max_steps"`), or None."""
    code = cst.Module([]).code_for_node
    for part in _conjuncts(loop.test):
        if not (isinstance(part, cst.Comparison) and isinstance(part.left, cst.Name)
                and len(part.comparisons) == 1):
            continue
        op, limit = part.comparisons[0].operator, part.comparisons[0].comparator
        name = part.left.value
        start = _int_assigned(before, name)
        if not isinstance(op, (cst.LessThan, cst.LessThanEqual)) or start is None or \
                not _static(limit) or not _counts_up(loop.body.body, name):
            continue
        text = code(limit)
        extra = (1 if isinstance(op, cst.LessThanEqual) else 0) - start
        return name, text if extra == 0 else f"{text} {'+' if extra > 0 else '-'} {abs(extra)}"
    return None


def _static(expr: cst.BaseExpression) -> bool:
    """An integer literal, or an attribute chain on `self` read with constant keys
    (`self.max_steps`, `self.cfg["max_iter"]`): configuration, not data."""
    if isinstance(expr, cst.Integer):
        return True
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        if isinstance(expr, cst.Subscript) and not all(
                isinstance(e.slice, cst.Index) and isinstance(e.slice.value, (cst.SimpleString, cst.Integer))
                for e in expr.slice):
            return False
        expr = expr.value
    return isinstance(expr, cst.Name) and expr.value == "self"


def _int_assigned(before: Sequence[cst.CSTNode], name: str) -> int | None:
    value: int | None = None
    for node in before:
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                if isinstance(small, cst.Assign) and name in stored_names([node]):
                    value = int(small.value.value) if isinstance(small.value, cst.Integer) else None
    return value


def _counts_up(body: Sequence[cst.BaseStatement], name: str) -> bool:
    increments = 0
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name) and \
                        small.target.value == name and isinstance(small.operator, cst.AddAssign) \
                        and isinstance(small.value, cst.Integer) and small.value.value == "1":
                    increments += 1
    return increments == 1 and name not in stored_names([s for s in body if not _is_increment(s, name)])


def _is_increment(stmt: cst.BaseStatement, name: str) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, cst.AugAssign) and isinstance(s.target, cst.Name) and s.target.value == name
        for s in stmt.body)
