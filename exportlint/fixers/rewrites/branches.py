"""Branch rewrites for the dynamic-branch fixer: frozen `if`/`elif` chains and torch.where merges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens, parse_expr
from exportlint.fixers.rewrites.loops import loaded_names

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


@dataclass(frozen=True)
class Merge:
    """A nested test merged with torch.where under the predicate `name`.

    `unseen`: the test never ran while the example was traced, so whether it is a tensor is not
    known; the predicate is `torch.as_tensor(test)`, which a Python bool becomes a constant of.
    """

    name: str
    unseen: bool = False


Decision = bool | Merge  # a nested test frozen to this value, or merged


def inner_ifs(node: cst.If) -> list[cst.If]:
    """The `if` statements directly in `node`'s branches and its `elif` clauses, nested ones
    included, in the order the merge visits them (body first, then the `else` side)."""
    found: list[cst.If] = []

    def walk(clause: cst.If) -> None:
        for side in _sides(clause):
            for stmt in side:
                if isinstance(stmt, cst.If):
                    found.append(stmt)
                    walk(stmt)

    walk(node)
    return found


def _sides(node: cst.If) -> list[list[cst.BaseStatement]]:
    """The statements of each branch; an `elif` clause is the `else` side's only statement."""
    sides = [statements_of(node.body.body)]
    if isinstance(node.orelse, cst.If):
        sides.append([node.orelse])
    elif isinstance(node.orelse, cst.Else):
        sides.append(statements_of(node.orelse.body.body))
    return sides


def _frozen(node: cst.If, truth: bool) -> list[cst.BaseStatement]:
    """What a nested `if` frozen to `truth` leaves in its block."""
    if truth:
        return statements_of(node.body.body)
    if isinstance(node.orelse, cst.If):
        return [node.orelse]
    return statements_of(node.orelse.body.body) if isinstance(node.orelse, cst.Else) else []


def _expanded(body: Sequence[cst.BaseStatement], decisions: dict[cst.If, Decision]
              ) -> list[cst.BaseStatement]:
    """A branch's statements with each nested `if` that `decisions` freezes replaced by what it
    leaves (recursively); merged ones stay, for the caller to merge."""
    out: list[cst.BaseStatement] = []
    for stmt in body:
        decision = decisions.get(stmt) if isinstance(stmt, cst.If) else None
        if isinstance(decision, bool):
            out.extend(_expanded(_frozen(stmt, decision), decisions))  # type: ignore[arg-type]
        else:
            out.append(stmt)
    return out


def mergeable(node: cst.If, returns: bool = False, decisions: Sequence[Decision] = ()) -> str | None:
    """Why an `if` on tensor data cannot be merged with torch.where, or None when it can.

    Mergeable: an `if`/`elif`/`else` chain whose branches hold only assignments to names,
    `lst.append(v)` calls (the same lists, in the same order, on both sides, so no list's length
    depends on the test) and nested `if` statements of the same kind; `decisions` gives, in
    `inner_ifs` order, each nested test's frozen value or merged predicate. With `returns`, each
    branch ends with a `return` of the same arity.
    """
    summary = _summary(node, returns, dict(zip(inner_ifs(node), decisions)))
    return summary if isinstance(summary, str) else None


def _summary(node: cst.If, returns: bool, decisions: dict[cst.If, Decision]
             ) -> str | tuple[list[str], int | None]:
    """Why `node` cannot be merged, or the lists its branches append to and its return arity."""
    appended: list[list[str]] = []
    arities: list[int | None] = []
    for side in _sides(node):
        lists: list[str] = []
        arity: int | None = None
        work = _expanded(side, decisions)
        for k, stmt in enumerate(work):
            last = k == len(work) - 1
            if isinstance(stmt, cst.If) and stmt in decisions:
                inner = _summary(stmt, returns and last, decisions)
                if isinstance(inner, str):
                    return inner
                lists.extend(inner[0])
                arity = inner[1] if last else arity
                continue
            if isinstance(stmt, _BLOCK) or not isinstance(stmt, cst.SimpleStatementLine):
                return "a branch holds a loop or another block"
            for small in stmt.body:
                may_return = returns and last and small is stmt.body[-1]
                reason = _small_reason(small, may_return, lists)
                if reason is not None:
                    return reason
                if isinstance(small, cst.Return) and small.value is not None:
                    arity = len(_returned(small.value))
        appended.append(lists)
        arities.append(arity)
    if len(appended) == 1 and appended[0] or len(appended) == 2 and appended[0] != appended[1]:
        return "its branches append to lists differently (a list's length would depend on tensor data)"
    if returns and (len(arities) != 2 or arities[0] is None or arities[0] != arities[1]):
        return "its branches do not both return the same number of values"
    return appended[0], arities[0] if returns else None


def _small_reason(small: cst.BaseSmallStatement, may_return: bool, lists: list[str]) -> str | None:
    if isinstance(small, cst.Expr) and _appended_list(small) is not None:
        lists.append(_appended_list(small) or "")
        return None
    if isinstance(small, cst.Return) and may_return and small.value is not None:
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


def where_if(node: cst.CSTNode, pred_name: str, drop: frozenset[str] = frozenset(),
             decisions: Sequence[Decision] = ()) -> Replacement:
    """Compute both branches under renamed targets, then select each name with torch.where.

    `if p: y = f(x) else: y = g(x)` becomes `pred = p; y_if_true = f(x); y_if_false = g(x);
    y = torch.where(pred, y_if_true, y_if_false)`; a name only one branch assigns keeps its
    earlier value on the other side; names in `drop` (read nowhere outside the branch) are not
    merged. An `elif` clause is the `else` side's nested `if`; a nested `if` is merged the same
    way inside its branch under its own predicate, or frozen, as `decisions` (in `inner_ifs`
    order) say, so `if a: ... elif b: ... else: ...` selects with two nested torch.where.
    """
    assert isinstance(node, cst.If)
    merged = _merge(node, pred_name, drop, dict(zip(inner_ifs(node), decisions)), {})
    return cst.FlattenSentinel([*merged.stmts, *_epilogue(merged.appends, merged.returned)])


@dataclass
class _Merged:
    """One merged `if`: its statements and what an enclosing merge must know of them."""

    stmts: list[cst.BaseStatement]  # the predicate, both branches renamed, the torch.where merges
    appends: list[tuple[str, str]]  # (list, merged temporary) appended after the merge
    returned: list[str] | None  # the merged names a `return` ending both branches gives
    private: set[str]  # temporaries of this merge, which no enclosing merge selects


def _merge(node: cst.If, pred_name: str, drop: frozenset[str], decisions: dict[cst.If, Decision],
           start: dict[str, int], nested: bool = False, unseen: bool = False) -> _Merged:
    test = bare(node.test)
    if unseen:
        test = cst.Call(parse_expr("torch.as_tensor"), [cst.Arg(test)])
    pred = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(pred_name))], test)],
                                   leading_lines=node.leading_lines)
    sides = _sides(node)
    # A nested merge's temporaries are named after its predicate (`out_17_true`), so no
    # enclosing branch renames them or mixes them up with its own (`out_if_true`).
    tag = pred_name.removeprefix("pred_")
    yes, no = (f"_{tag}_true", f"_{tag}_false") if nested else ("_if_true", "_if_false")
    true = rename_branch(sides[0], yes, decisions, drop, start)
    false = rename_branch(sides[1] if len(sides) > 1 else [], no, decisions, drop, start)
    private = true.private | false.private
    merged = []
    for name in dict.fromkeys(n for n in [*true.renames, *false.renames] if n not in drop | private):
        yes = true.renames.get(name, name)
        no = false.renames.get(name, name)
        merged.append(cst.parse_statement(f"{name} = torch.where({pred_name}, {yes}, {no})"))
    temporaries = {pred_name, *true.renames.values(), *false.renames.values(), *private}
    return _Merged([pred, *true.stmts, *false.stmts, *merged], true.appends, true.returned, temporaries)


@dataclass
class _Branch:
    """One branch with its stores renamed; appends and a return become stores of temporaries."""

    stmts: list[cst.BaseStatement]
    renames: dict[str, str]
    appends: list[tuple[str, str]] = field(default_factory=list)  # (list, temporary)
    returned: list[str] | None = None  # the temporaries a `return` ending the branch returns
    start: dict[str, int] = field(default_factory=dict)  # appends an enclosing branch made before
    private: set[str] = field(default_factory=set)  # nested merges' temporaries (never selected)

    def epilogue(self) -> list[cst.BaseStatement]:
        return _epilogue(self.appends, self.returned)

    def appended(self, lst: str) -> int:
        """How many items this branch has appended to `lst` so far (an enclosing one's included)."""
        return self.start.get(lst, 0) + sum(1 for a in self.appends if a[0] == lst)


def _epilogue(appends: Sequence[tuple[str, str]], returned: Sequence[str] | None) -> list[cst.BaseStatement]:
    """The appends of the merged temporaries, then the return of the merged values."""
    out = [cst.parse_statement(f"{lst}.append({temp})") for lst, temp in appends]
    if returned is not None:
        value = returned[0] if len(returned) == 1 else ", ".join(returned)
        out.append(cst.parse_statement(f"return {value}"))
    return out


def statements_of(body: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]
                ) -> list[cst.BaseStatement]:
    return [s for s in body if isinstance(s, cst.BaseStatement)]


def rename_branch(body: Sequence[cst.BaseStatement], suffix: str,
                  decisions: dict[cst.If, Decision] | None = None, drop: frozenset[str] = frozenset(),
                  start: dict[str, int] | None = None) -> _Branch:
    """Statements with every assigned name renamed (`y` -> `y<suffix>`) from its first store on;
    `lst.append(v)` stores `v` in `lst_item<k>`, `return v` in `returned` (`returned_<i>`).

    A nested `if` in `decisions` is spliced in frozen, or merged first (`_merge`) and its
    statements renamed like the others; its temporaries are recorded as private.
    """
    branch = _Branch([], {}, start=dict(start or {}))
    decisions = decisions or {}
    work = _expanded(body, decisions)
    for k, stmt in enumerate(work):
        decision = decisions.get(stmt) if isinstance(stmt, cst.If) else None
        if isinstance(decision, Merge):
            counts = {lst: branch.appended(lst) for lst in {*branch.start, *(a[0] for a in branch.appends)}}
            inner = _merge(stmt, decision.name, drop - loaded_names(work[k + 1:]), decisions, counts,
                           nested=True, unseen=decision.unseen)
            branch.appends.extend(inner.appends)
            branch.returned = inner.returned if inner.returned is not None else branch.returned
            branch.private |= inner.private
            for line in inner.stmts:
                _rename_line(line, branch, suffix)
            continue
        if isinstance(stmt, cst.SimpleStatementLine):
            _rename_line(stmt, branch, suffix)
    return branch


def _rename_line(stmt: cst.BaseStatement, branch: _Branch, suffix: str) -> None:
    assert isinstance(stmt, cst.SimpleStatementLine)
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
            if name not in branch.private:
                branch.renames.setdefault(name, f"{name}{suffix}")
        small_out.append(_retarget(small, value, branch.renames))
    if small_out:
        branch.stmts.append(stmt.with_changes(body=small_out))


def _as_store(small: cst.BaseSmallStatement, branch: _Branch) -> cst.BaseSmallStatement:
    """An append or a return as an assignment to a temporary (recorded on `branch`)."""
    if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
        lst = _appended_list(small)
        assert lst is not None  # checked by `mergeable`
        temp = f"{lst}_item{branch.appended(lst)}"
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
