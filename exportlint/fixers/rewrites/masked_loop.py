"""The masked loop's code: a static `for`, a `done` tensor, and loop-carried names frozen by it.

    while test:                      done_L = torch.zeros((), dtype=torch.bool)
        x = f(x)              ->     for _step_L in range(BOUND):
                                         done_L = torch.logical_or(done_L, torch.logical_not(torch.as_tensor(test)))
                                         x_kept_L = x
                                         x = f(x)
                                         x = _keep(done_L, x_kept_L, x)

`_keep` is torch.where, through uint8 for boolean tensors (onnxruntime has no boolean Where).
Each top-level `if cond: break` ends a segment: `done_L` takes `cond` in, and the statements
after it are frozen by the updated `done_L`. `buf[i] = v` writes `_keep(done_L, buf[i], v)`;
`x += v` becomes `x = x + v` so the kept value is never changed in place.

The `while`'s own counter (`LoopPlan.counter`) is left as written, a Python int. When code after
the loop reads it, `t_exit_L = torch.as_tensor(t)` before the loop follows it while not done,
and `t = t_exit_L` after the loop hands that code the count where the original stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from exportlint.fixers.rewrites.codemods import Edit, Replacement, parse_expr
from exportlint.fixers.rewrites.loops import LoopPlan, stored_names, is_break_if

_BINARY: dict[type, type] = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.MatrixMultiplyAssign: cst.MatrixMultiply,
    cst.PowerAssign: cst.Power, cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo,
    cst.BitOrAssign: cst.BitOr, cst.BitAndAssign: cst.BitAnd,
}


KEEP_HELPER = '''
def _keep(done: Tensor, kept: Tensor, new: Tensor) -> Tensor:
    """`torch.where(done, kept, new)`: the value from before the step once the loop is done. A
    boolean tensor goes through uint8 and back (onnxruntime has no boolean Where kernel); a
    Python number carried by the loop becomes a tensor."""
    kept, new = torch.as_tensor(kept), torch.as_tensor(new)
    if new.dtype == torch.bool:
        return torch.where(done, kept.to(torch.uint8), new.to(torch.uint8)).to(torch.bool)
    return torch.where(done, kept, new)
'''


def masked_loop(plan: LoopPlan) -> Edit:
    """The edit that rewrites the loop (`While` or `For`) `plan` was made for."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, (cst.While, cst.For))
        done = f"done_{plan.tag}"
        body: list[cst.BaseStatement] = []
        if isinstance(node, cst.While):
            body.append(_line(f"{done} = torch.logical_or({done}, torch.logical_not("
                              f"{tensor_test(node.test)}))"))
        for segment, stop in _segments(node.body.body):
            body.extend(_frozen_segment(segment, plan, done))
            if stop is not None:
                body.append(_line(f"{done} = torch.logical_or({done}, {tensor_test(stop)})"))
        block = node.body.with_changes(body=body)
        if isinstance(node, cst.While):
            loop: cst.For = cst.parse_statement(  # type: ignore[assignment]
                f"for _step_{plan.tag} in range({plan.bound}):\n    pass\n")
            loop = loop.with_changes(body=block)
        else:
            loop = node.with_changes(body=block, leading_lines=[])
        init = _line(f"{done} = torch.zeros((), dtype=torch.bool)").with_changes(
            leading_lines=node.leading_lines)
        if not plan.counter_read_after:
            return cst.FlattenSentinel([init, loop])
        exit_count = f"{plan.counter}_exit_{plan.tag}"
        return cst.FlattenSentinel([init, _line(f"{exit_count} = torch.as_tensor({plan.counter})"),
                                    loop, _line(f"{plan.counter} = {exit_count}")])

    return edit


def tensor_test(test: cst.BaseExpression) -> str:
    """`test` as a bool tensor: `and` / `or` / `not` become tensor logic (no Python bool is taken
    of a tensor) and each operand goes through torch.as_tensor (a Python bool such as
    `step < self.max_steps` stays valid; measured: the legacy tracer rejects `tensor & bool`)."""
    if isinstance(test, cst.BooleanOperation):
        fn = "logical_and" if isinstance(test.operator, cst.And) else "logical_or"
        return f"torch.{fn}({tensor_test(test.left)}, {tensor_test(test.right)})"
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return f"torch.logical_not({tensor_test(test.expression)})"
    bare = test.with_changes(lpar=[], rpar=[]) if test.lpar else test
    return f"torch.as_tensor({_code(bare)})"


def _segments(body: Sequence[cst.BaseStatement]
              ) -> list[tuple[list[cst.BaseStatement], cst.BaseExpression | None]]:
    """The body cut at each top-level `if cond: break`: (statements, cond or None at the end)."""
    out: list[tuple[list[cst.BaseStatement], cst.BaseExpression | None]] = []
    current: list[cst.BaseStatement] = []
    for stmt in body:
        if is_break_if(stmt):
            assert isinstance(stmt, cst.If)
            out.append((current, stmt.test))
            current = []
        else:
            current.append(stmt)
    if current:
        out.append((current, None))
    return out


def _frozen_segment(segment: list[cst.BaseStatement], plan: LoopPlan, done: str
                    ) -> list[cst.BaseStatement]:
    frozen = [n for n in plan.carried if n in stored_names(segment)]
    kept = [_line(f"{n}_kept_{plan.tag} = {n}") for n in frozen]
    rewritten = [s.visit(_MaskWrites(done)) for s in segment]
    merged = [_line(f"{n} = _keep({done}, {n}_kept_{plan.tag}, {n})") for n in frozen]
    if plan.counter_read_after and plan.counter in stored_names(segment):
        exit_count = f"{plan.counter}_exit_{plan.tag}"
        merged.append(_line(f"{exit_count} = torch.where({done}, {exit_count}, {plan.counter})"))
    if kept and rewritten:
        first = rewritten[0]
        assert isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement))
        kept[0] = kept[0].with_changes(leading_lines=first.leading_lines)
        rewritten[0] = first.with_changes(leading_lines=[])
    return [*kept, *rewritten, *merged]  # type: ignore[list-item]


class _MaskWrites(cst.CSTTransformer):
    """Slice writes write back the old value once done; `x += v` rebinds instead of mutating."""

    def __init__(self, done: str) -> None:
        self.done = done

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        if len(updated_node.targets) != 1 or not isinstance(updated_node.targets[0].target, cst.Subscript):
            return updated_node
        target = updated_node.targets[0].target
        return updated_node.with_changes(value=self._masked(target, updated_node.value))

    def leave_AugAssign(self, original_node: cst.AugAssign, updated_node: cst.AugAssign
                        ) -> cst.BaseSmallStatement:
        target = updated_node.target
        op = _BINARY.get(type(updated_node.operator))
        if op is None:
            return updated_node
        value = cst.BinaryOperation(target.with_changes(lpar=[], rpar=[]), op(),
                                    _paren(updated_node.value))
        if isinstance(target, cst.Subscript):
            return cst.Assign([cst.AssignTarget(target)], self._masked(target, value))
        return cst.Assign([cst.AssignTarget(target)], value)

    def _masked(self, target: cst.BaseExpression, value: cst.BaseExpression) -> cst.BaseExpression:
        return parse_expr(f"_keep({self.done}, {_code(target)}, {_code(value)})")


def _paren(expr: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation, cst.Comparison, cst.IfExp,
                         cst.UnaryOperation)) and not expr.lpar:
        return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expr


def _line(text: str) -> cst.SimpleStatementLine:
    stmt = cst.parse_statement(text)
    assert isinstance(stmt, cst.SimpleStatementLine)
    return stmt


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
