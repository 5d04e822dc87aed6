"""Walk a function body in statement order, updating the environment of a function's flow.

Straight-line assignments replace a name's value; branches are walked on copies and joined;
loop bodies are walked until the environment stops changing, then joined with the state before
the loop (it may run zero times). Every expression is evaluated at its own program point, so a
name reused for different things (`t_pos` in two loops) keeps each meaning where it is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import libcst as cst

from exportlint.analysis.names import dotted_name
from exportlint.analysis.values import CONST, Form, Val, join

Env = dict[str, Val]
_LOOP_ROUNDS = 3


class Flow(Protocol):
    """What the interpreter needs of a function's flow (`dataflow.FunctionFlow`, which sits above
    this module and runs it)."""

    env: Env

    def value(self, expr: cst.BaseExpression) -> Val: ...

    def iter_element(self, expr: cst.BaseExpression) -> Val: ...

    def assign(self, target: cst.BaseExpression, val: Val, value: cst.BaseExpression | None, loop: bool = False) -> None: ...


def join_env(a: Env, b: Env) -> Env:
    """Names bound on either side; values bound on both are joined."""
    out = dict(a)
    for name, val in b.items():
        out[name] = join(out[name], val) if name in out and out[name] != val else val
    return out


def bind_loop_target(flow: Flow, target: cst.BaseExpression, it: cst.BaseExpression) -> None:
    """Bind the target of `for target in it`, pairing up `enumerate` and `zip` targets: the
    counter of `enumerate` is a plain int (a constant in each unrolled iteration) and each name of
    `for a, b in zip(xs, ys)` gets the elements of its own sequence."""
    els = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) else []
    args = [a.value for a in it.args if a.keyword is None and not a.star] if isinstance(it, cst.Call) else []
    name = dotted_name(it.func) if isinstance(it, cst.Call) else None
    if name == "enumerate" and len(els) == 2 and args:
        flow.assign(els[0], CONST, None, loop=True)
        bind_loop_target(flow, els[1], args[0])
    elif name == "zip" and els and len(els) == len(args):
        for el, arg in zip(els, args):
            bind_loop_target(flow, el, arg)
    else:
        flow.assign(target, flow.iter_element(it), it, loop=True)


class Interpreter:
    """Executes statements abstractly against `flow.env`."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    def run(self, body: cst.BaseSuite) -> None:
        self._suite(body)

    # -- statements -----------------------------------------------------------------------------
    def _suite(self, suite: cst.BaseSuite | None) -> None:
        if suite is None:
            return
        if isinstance(suite, cst.IndentedBlock):
            self._stmts(suite.body)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self._small(small)

    def _stmts(self, stmts: Sequence[cst.BaseStatement]) -> None:
        for stmt in stmts:
            self._stmt(stmt)

    def _stmt(self, stmt: cst.BaseStatement) -> None:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small)
        elif isinstance(stmt, cst.If):
            self._if(stmt)
        elif isinstance(stmt, (cst.For, cst.While)):
            self._loop(stmt)
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                val = self.flow.value(item.item)
                if item.asname is not None:
                    self.flow.assign(item.asname.name, val, item.item)
            self._suite(stmt.body)
        elif isinstance(stmt, cst.Try):
            self._try(stmt)
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return
        else:
            self._generic(stmt)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        flow = self.flow
        if isinstance(small, cst.Assign):
            val = flow.value(small.value)
            for target in small.targets:
                flow.assign(target.target, val, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                flow.assign(small.target, flow.value(small.value), small.value)
        elif isinstance(small, cst.AugAssign):
            val = flow.value(small.value)
            if isinstance(small.target, cst.Name):
                old = flow.env.get(small.target.value)
                new = val if old is None else Val(Form.TLIST, max(old.dep, val.dep)) if old.form is Form.TLIST else join(old, val)
                flow.env[small.target.value] = new
            else:
                flow.value(small.target)
        else:
            self._generic(small)

    def _generic(self, node: cst.CSTNode) -> None:
        """Evaluate every outermost expression of a statement (return, expression, assert, ...)."""
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self.flow.value(child)
            elif isinstance(child, (cst.BaseSmallStatement, cst.BaseSuite)):
                self._generic(child)

    def _if(self, stmt: cst.If) -> None:
        self.flow.value(stmt.test)
        before = dict(self.flow.env)
        self._suite(stmt.body)
        after_body = self.flow.env
        self.flow.env = dict(before)
        if isinstance(stmt.orelse, cst.If):
            self._if(stmt.orelse)
        elif isinstance(stmt.orelse, cst.Else):
            self._suite(stmt.orelse.body)
        self.flow.env = join_env(after_body, self.flow.env)

    def _loop(self, stmt: cst.For | cst.While) -> None:
        before = dict(self.flow.env)
        for _ in range(_LOOP_ROUNDS):
            start = dict(self.flow.env)
            if isinstance(stmt, cst.For):
                bind_loop_target(self.flow, stmt.target, stmt.iter)
            else:
                self.flow.value(stmt.test)
            self._suite(stmt.body)
            self.flow.env = join_env(start, self.flow.env)
            if self.flow.env == start:
                break
        if stmt.orelse is not None:
            self._suite(stmt.orelse.body)
        self.flow.env = join_env(before, self.flow.env)

    def _try(self, stmt: cst.Try) -> None:
        before = dict(self.flow.env)
        self._suite(stmt.body)
        merged = join_env(before, self.flow.env)
        for handler in stmt.handlers:
            self.flow.env = dict(merged)
            self._suite(handler.body)
            merged = join_env(merged, self.flow.env)
        self.flow.env = merged
        if stmt.orelse is not None:
            self._suite(stmt.orelse.body)
        if stmt.finalbody is not None:
            self._suite(stmt.finalbody.body)
