"""Branch rewrites for the dynamic-branch fixer: frozen `if`/`elif` chains and torch.where merges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens, parse_expr

_BLOCK = (cst.If, cst.For, cst.While, cst.With, cst.Try, cst.FunctionDef, cst.ClassDef)


def if_chain(head: cst.If) -> list[cst.If]:
    """`head` followed by its `elif` clauses."""
    chain = [head]
    while isinstance(chain[-1].orelse, cst.If):
        chain.append(chain[-1].orelse)
    return chain


def freeze_chain(truths: Sequence[bool | None]) -> Edit:
    """Resolve an if/elif chain whose clause tests have the given truths (None: keep the test).

    The first clause known true wins; clauses known false are dropped; from the first clause
    whose test is kept, the rest of the chain stays as written.
    """

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.If)
        clauses = if_chain(node)
        for clause, truth in zip(clauses, truths):
            if truth is None:
                return clause.with_changes(leading_lines=node.leading_lines)
            if truth:
                return _splice(clause.body.body, node.leading_lines)
        last = clauses[-1].orelse
        if isinstance(last, cst.Else):
            return _splice(last.body.body, node.leading_lines)
        return cst.RemoveFromParent()

    return edit


def _splice(body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
            leading: Sequence[cst.EmptyLine]) -> Replacement:
    statements: list[cst.BaseStatement] = [s for s in body if isinstance(s, cst.BaseStatement)]
    if not statements:
        return cst.RemoveFromParent()
    first = statements[0]
    own = first.leading_lines if isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) else ()
    statements[0] = first.with_changes(leading_lines=[*leading, *own])
    return cst.FlattenSentinel(statements)


def where_ifexp(node: cst.CSTNode) -> Replacement:
    """`a if pred else b` -> `torch.where(pred, a, b)` (both computed, one selected)."""
    assert isinstance(node, cst.IfExp)
    call = cst.Call(parse_expr("torch.where"), [cst.Arg(bare(node.test)), cst.Arg(bare(node.body)),
                                                cst.Arg(bare(node.orelse))])
    return keep_parens(node, call)


def bare(expr: cst.BaseExpression) -> cst.BaseExpression:
    return expr.with_changes(lpar=[], rpar=[]) if expr.lpar and not isinstance(
        expr, (cst.GeneratorExp, cst.Tuple)) else expr


def mergeable(node: cst.If, returns: bool = False) -> str | None:
    """Why an `if` on tensor data cannot be merged with torch.where, or None when it can.

    Mergeable: one `if`/`else` (no `elif`) whose branches hold only assignments to names and
    `lst.append(v)` calls (the same lists, in the same order, on both sides, so no list's length
    depends on the test); with `returns`, each branch ends with a `return` of the same arity.
    """
    if isinstance(node.orelse, cst.If):
        return "an elif chain on tensor data"
    blocks = [node.body] + ([node.orelse.body] if isinstance(node.orelse, cst.Else) else [])
    appended: list[list[str]] = []
    arities: list[int] = []
    for block in blocks:
        lists: list[str] = []
        for k, stmt in enumerate(block.body):
            if isinstance(stmt, _BLOCK) or not isinstance(stmt, cst.SimpleStatementLine):
                return "a branch holds nested blocks"
            for small in stmt.body:
                last = k == len(block.body) - 1 and small is stmt.body[-1]
                reason = _small_reason(small, returns and last, lists, arities)
                if reason is not None:
                    return reason
        appended.append(lists)
    if len(appended) == 1 and appended[0] or len(appended) == 2 and appended[0] != appended[1]:
        return "its branches append to lists differently (a list's length would depend on tensor data)"
    if returns and (len(arities) != 2 or arities[0] != arities[1]):
        return "its branches do not both return the same number of values"
    return None


def _small_reason(small: cst.BaseSmallStatement, may_return: bool, lists: list[str],
                  arities: list[int]) -> str | None:
    if isinstance(small, cst.Expr) and _appended_list(small) is not None:
        lists.append(_appended_list(small) or "")
        return None
    if isinstance(small, cst.Return) and may_return and small.value is not None:
        arities.append(len(_returned(small.value)))
        return None
    if not isinstance(small, (cst.Assign, cst.AugAssign, cst.Pass)):
        kind = type(small).__name__.lower()
        return f"a branch holds a `{kind}` statement (only assignments and appends can be merged)"
    if isinstance(small, cst.Assign) and not all(isinstance(t.target, cst.Name) for t in small.targets):
        return "a branch assigns to something other than a plain name"
    return None


def _appended_list(small: cst.Expr) -> str | None:
    """`lst` for the statement `lst.append(v)`, else None."""
    call = small.value
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
            call.func.attr.value == "append" and isinstance(call.func.value, cst.Name) and \
            len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star:
        return call.func.value.value
    return None


def _returned(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values a `return` gives: a tuple's elements, merged one by one."""
    return [el.value for el in value.elements] if isinstance(value, cst.Tuple) else [value]


def with_tail(node: cst.If, tail: Sequence[cst.BaseStatement]) -> cst.If:
    """`if p: ...; return a` followed by `tail` (ending in `return b`) as one if/else."""
    return node.with_changes(orelse=cst.Else(cst.IndentedBlock(list(tail))))


def where_if(node: cst.CSTNode, pred_name: str, drop: frozenset[str] = frozenset()) -> Replacement:
    """Compute both branches under renamed targets, then select each name with torch.where.

    `if p: y = f(x) else: y = g(x)` becomes `pred = p; y_if_true = f(x); y_if_false = g(x);
    y = torch.where(pred, y_if_true, y_if_false)`; a name only one branch assigns keeps its
    earlier value on the other side; names in `drop` (read nowhere outside the branch) are not
    merged.
    """
    assert isinstance(node, cst.If)
    pred = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(pred_name))],
                                               bare(node.test))], leading_lines=node.leading_lines)
    true = rename_branch(statements_of(node.body.body), "_if_true")
    false_body = statements_of(node.orelse.body.body) if isinstance(node.orelse, cst.Else) else []
    false = rename_branch(false_body, "_if_false")
    merged = []
    for name in dict.fromkeys(n for n in [*true.renames, *false.renames] if n not in drop):
        yes = true.renames.get(name, name)
        no = false.renames.get(name, name)
        merged.append(cst.parse_statement(f"{name} = torch.where({pred_name}, {yes}, {no})"))
    return cst.FlattenSentinel([pred, *true.stmts, *false.stmts, *merged, *true.epilogue()])


@dataclass
class _Branch:
    """One branch with its stores renamed; appends and a return become stores of temporaries."""

    stmts: list[cst.BaseStatement]
    renames: dict[str, str]
    appends: list[tuple[str, str]] = field(default_factory=list)  # (list, temporary)
    returned: list[str] | None = None  # the temporaries a `return` ending the branch returns

    def epilogue(self) -> list[cst.BaseStatement]:
        """The appends of the merged temporaries, then the return of the merged values."""
        out = [cst.parse_statement(f"{lst}.append({temp})") for lst, temp in self.appends]
        if self.returned is not None:
            value = self.returned[0] if len(self.returned) == 1 else ", ".join(self.returned)
            out.append(cst.parse_statement(f"return {value}"))
        return out


def statements_of(body: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]
                ) -> list[cst.BaseStatement]:
    return [s for s in body if isinstance(s, cst.BaseStatement)]


def rename_branch(body: Sequence[cst.BaseStatement], suffix: str) -> _Branch:
    """Statements with every assigned name renamed (`y` -> `y<suffix>`) from its first store on;
    `lst.append(v)` stores `v` in `lst_item<k>`, `return v` in `returned` (`returned_<i>`)."""
    branch = _Branch([], {})
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        small_out = []
        for small in stmt.body:
            small = _as_store(small, branch)
            if isinstance(small, cst.Pass):
                continue
            assert isinstance(small, (cst.Assign, cst.AugAssign))  # checked by `mergeable`
            value = small.value.visit(_Rename(branch.renames))
            assert isinstance(value, cst.BaseExpression)
            if isinstance(small, cst.AugAssign):
                # `y += v` reads the current `y` (the outer one on its first store in the branch).
                value = cst.BinaryOperation(_Rename(branch.renames).current(small.target),
                                            _BINARY[type(small.operator)](), value)
            for name in _store_names(small):
                branch.renames.setdefault(name, f"{name}{suffix}")
            small_out.append(_retarget(small, value, branch.renames))
        if small_out:
            branch.stmts.append(stmt.with_changes(body=small_out))
    return branch


def _as_store(small: cst.BaseSmallStatement, branch: _Branch) -> cst.BaseSmallStatement:
    """An append or a return as an assignment to a temporary (recorded on `branch`)."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        lst = _appended_list(small)
        assert lst is not None  # checked by `mergeable`
        temp = f"{lst}_item{sum(1 for a in branch.appends if a[0] == lst)}"
        branch.appends.append((lst, temp))
        return cst.Assign([cst.AssignTarget(cst.Name(temp))], small.value.args[0].value)
    if isinstance(small, cst.Return) and small.value is not None:
        values = _returned(small.value)
        branch.returned = ["returned"] if len(values) == 1 else [f"returned_{i}" for i in range(len(values))]
        if len(values) == 1:
            return cst.Assign([cst.AssignTarget(cst.Name("returned"))], values[0])
        targets = cst.Tuple([cst.Element(cst.Name(n)) for n in branch.returned], lpar=[], rpar=[])
        return cst.Assign([cst.AssignTarget(targets)], cst.Tuple(
            [cst.Element(v) for v in values], lpar=[], rpar=[]))
    return small


def _store_names(small: cst.BaseSmallStatement) -> list[str]:
    if isinstance(small, cst.Assign):
        return [n for t in small.targets for n in _names(t.target)]
    if isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
        return [small.target.value]
    return []


def _names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple):
        return [n for el in target.elements for n in _names(el.value)]
    return []


def _retarget(small: cst.BaseSmallStatement, value: cst.BaseExpression,
              renames: dict[str, str]) -> cst.BaseSmallStatement:
    if isinstance(small, cst.Assign):
        targets = [t.with_changes(target=t.target.visit(_Rename(renames))) for t in small.targets]
        return small.with_changes(targets=targets, value=value)
    assert isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name)
    return cst.Assign([cst.AssignTarget(cst.Name(renames[small.target.value]))], value)


class _Rename(cst.CSTTransformer):
    def __init__(self, renames: dict[str, str]) -> None:
        self.renames = dict(renames)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        return True

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute
                        ) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return cst.Name(self.renames.get(updated_node.value, updated_node.value))

    def current(self, target: cst.BaseAssignTargetExpression) -> cst.Name:
        assert isinstance(target, cst.Name)
        return cst.Name(self.renames.get(target.value, target.value))


_BINARY: dict[type, type] = {
    cst.AddAssign: cst.Add, cst.SubtractAssign: cst.Subtract, cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide, cst.MatrixMultiplyAssign: cst.MatrixMultiply,
    cst.PowerAssign: cst.Power, cst.FloorDivideAssign: cst.FloorDivide, cst.ModuloAssign: cst.Modulo,
}
