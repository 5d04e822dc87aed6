"""The control structure of one function: parents, source order, loop exits and the sites where
local names are bound or where local lists grow.

Rules use it to ask "what decides whether this statement runs, and how often": the branches and
loops around it, and the `break`/`continue` statements of those loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import libcst as cst

from exportlint.cstwalk import visit

SiteKind = Literal["assign", "grow", "bind"]

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_SUITES = (cst.IndentedBlock, cst.SimpleStatementSuite)
_MAX_ROOT_DEPTH = 4
# List methods that change how many items a list holds.
GROW_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear"})


@dataclass(frozen=True, slots=True)
class Site:
    """Where a local name gets a value ("assign"), is bound by a loop or `with` ("bind"), or
    where the list it holds changes length ("grow": `.append`, `.extend`, `+=`, ...)."""

    kind: SiteKind
    name: str
    node: cst.CSTNode
    value: cst.BaseExpression | None
    order: int
    method: str = ""


@dataclass(frozen=True, slots=True)
class Exit:
    """A `break` or `continue` of a loop, with the `if` tests it sits under (innermost first)."""

    node: cst.Break | cst.Continue
    tests: tuple[cst.BaseExpression, ...]

    @property
    def word(self) -> str:
        return "break" if isinstance(self.node, cst.Break) else "continue"


class Structure:
    """Parent links, pre-order positions, binding sites and loop exits of one function."""

    def __init__(self, fn: cst.FunctionDef) -> None:
        self.fn = fn
        self.parent: dict[cst.CSTNode, cst.CSTNode] = {}
        self.order: dict[cst.CSTNode, int] = {}
        self.sites: dict[str, list[Site]] = {}
        self.exit_nodes: list[cst.Break | cst.Continue] = []
        visit(fn, _Walker(self))

    def ancestors(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """The parents of `node`, nearest first."""
        chain: list[cst.CSTNode] = []
        current = self.parent.get(node)
        while current is not None:
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def reaching(self, name: str, use: cst.CSTNode) -> list[Site]:
        """The sites of `name` before `use`, from the last assignment that always runs before it."""
        where = self.order.get(use, 1 << 30)
        around = set(self.ancestors(use))
        # A statement's own value is read before it binds (`xs = xs + [y]`); a loop body runs after.
        before = [s for s in self.sites.get(name, []) if s.order < where
                  and (s.node not in around or (isinstance(s.node, cst.For) and s.node.body in around))]
        start = 0
        for i, site in enumerate(before):
            if site.kind != "grow" and self.dominates(site.node, use):
                start = i
        return before[start:]

    def roots(self, expr: cst.CSTNode, depth: int = 0) -> set[str]:
        """The variables `expr` is computed from, following local assignments and the sequences
        that loops and comprehensions iterate (`k` in `for k in sorted(d)` comes from `d`)."""
        found: set[str] = set()
        for name in names_read(expr):
            found.add(name.value)
            if depth >= _MAX_ROOT_DEPTH:
                continue
            for source in self._sources(name):
                found |= self.roots(source, depth + 1)
        return found

    def _sources(self, name: cst.Name) -> list[cst.CSTNode]:
        for up in self.ancestors(name):
            if isinstance(up, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
                for_in: cst.CompFor | None = up.for_in
                while for_in is not None:
                    if name.value in {n.value for n in names_read(for_in.target)}:
                        return [for_in.iter]
                    for_in = for_in.inner_for_in
        found: list[cst.CSTNode] = []
        for site in self.reaching(name.value, name):
            if site.value is not None:
                found.append(site.value)
            elif isinstance(site.node, cst.For):
                found.append(site.node.iter)
        return found

    def dominates(self, first: cst.CSTNode, later: cst.CSTNode) -> bool:
        """True when `first` sits in a block that encloses `later` (no branch or loop between)."""
        return self._suites(first) <= self._suites(later)

    def controls(self, node: cst.CSTNode, since: cst.CSTNode | None) -> list[cst.If | cst.For | cst.While]:
        """The `if`/`for`/`while` statements whose body holds `node` but not `since`, nearest first."""
        outer = set(self.ancestors(since)) if since is not None else set()
        found: list[cst.If | cst.For | cst.While] = []
        child = node
        for up in self.ancestors(node):
            if up in outer:
                break
            if isinstance(up, _SCOPES):
                break
            if isinstance(up, (cst.If, cst.For, cst.While)) and _runs_under(up, child):
                found.append(up)
            child = up
        return found

    def exits(self, loop: cst.For | cst.While) -> list[Exit]:
        """The `break`/`continue` statements that leave or restart `loop` itself."""
        result: list[Exit] = []
        for node in self.exit_nodes:
            tests: list[cst.BaseExpression] = []
            child: cst.CSTNode = node
            for up in self.ancestors(node):
                if isinstance(up, (cst.For, cst.While, *_SCOPES)):
                    if up is loop and child is not getattr(up, "orelse", None):
                        result.append(Exit(node, tuple(tests)))
                    break
                if isinstance(up, cst.If) and child is not up.test:
                    tests.append(up.test)
                child = up
        return result

    def items_per_pass(self, owner: cst.If | cst.For | cst.While, name: str) -> int | None:
        """How many items one run of `owner` (an `if` statement, or one iteration of a loop body)
        appends to the list `name`, when every path through it appends the same number.

        None when paths differ (`if t: xs.append(a)` without an else), when a path leaves the loop
        (`break`, `return`), or when the list changes otherwise (`extend`, `pop`, a new value). An
        `if` holding a `continue` is judged with its loop, where the skipped appends are seen.
        """
        body = _statements(owner.body)
        if isinstance(owner, cst.If):
            body = [owner]
        touched = [s.node for s in self.sites.get(name, [])]
        ends = self._passes(body, name, touched, frozenset({0}))
        if ends is None:
            return None
        running, continued = ends
        if isinstance(owner, cst.If) and continued:
            return None
        counts = running | continued
        return next(iter(counts)) if len(counts) == 1 else None

    def _passes(self, body: list[cst.CSTNode], name: str, touched: list[cst.CSTNode],
                running: frozenset[int]) -> tuple[frozenset[int], frozenset[int]] | None:
        """The item counts of the paths through `body` that run to its end, and of those that
        reach a `continue`; None when the count cannot be followed."""
        continued: frozenset[int] = frozenset()
        for stmt in body:
            if not running:
                break
            if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                for small in stmt.body:
                    step = self._step(small, name, touched)
                    if step is None:
                        return None
                    if step < 0:  # `continue` (-1) or `raise` (-2): this path ends here
                        continued |= running if step == -1 else frozenset()
                        running = frozenset()
                        break
                    running = frozenset(c + step for c in running)
            elif isinstance(stmt, cst.If):
                orelse = stmt.orelse
                other = [orelse] if isinstance(orelse, cst.If) else _statements(orelse.body) if orelse else []
                then = self._passes(_statements(stmt.body), name, touched, running)
                rest = self._passes(other, name, touched, running)
                if then is None or rest is None or self._holds(stmt.test, touched):
                    return None
                running, continued = then[0] | rest[0], continued | then[1] | rest[1]
            elif isinstance(stmt, cst.With):
                inner = self._passes(_statements(stmt.body), name, touched, running)
                if inner is None:
                    return None
                running, continued = inner[0], continued | inner[1]
            elif self._holds(stmt, touched) or _leaves(stmt):
                return None
        return running, continued

    def _step(self, small: cst.CSTNode, name: str, touched: list[cst.CSTNode]) -> int | None:
        """Items one small statement adds: 1 for `name.append(...)`, 0 when it leaves `name`
        alone, -1 for `continue`, -2 for `raise`; None for `break`/`return` or another change."""
        if isinstance(small, cst.Continue):
            return -1
        if isinstance(small, cst.Raise):
            return -2
        if isinstance(small, (cst.Break, cst.Return)):
            return None
        call = small.value if isinstance(small, cst.Expr) else None
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and isinstance(call.func.value, cst.Name) and call.func.value.value == name
                and call.func.attr.value in ("append", "insert")
                and not any(self._holds(a.value, touched) for a in call.args)):
            return 1
        return None if self._holds(small, touched) else 0

    def _holds(self, node: cst.CSTNode, touched: list[cst.CSTNode]) -> bool:
        return any(t is node or node in self.ancestors(t) for t in touched)

    def _suites(self, node: cst.CSTNode) -> set[cst.CSTNode]:
        return {a for a in self.ancestors(node) if isinstance(a, _SUITES)}


def _statements(block: cst.BaseSuite) -> list[cst.CSTNode]:
    """The statements of a block; a one-line suite (`if t: a(); b()`) is one statement line."""
    return list(block.body) if isinstance(block, cst.IndentedBlock) else [block]


def _leaves(stmt: cst.CSTNode) -> bool:
    """True when a compound statement holds a `return`, or a `break`/`continue` of a loop around it."""
    class _V(cst.CSTVisitor):
        found = False

        def visit_Return(self, node: cst.Return) -> None:
            self.found = True

        def visit_Continue(self, node: cst.Continue) -> None:
            self.found = self.found or not isinstance(stmt, (cst.For, cst.While))

        def visit_Break(self, node: cst.Break) -> None:
            self.found = self.found or not isinstance(stmt, (cst.For, cst.While))

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

    v = _V()
    stmt.visit(v)
    return v.found


def _runs_under(ctrl: cst.If | cst.For | cst.While, child: cst.CSTNode) -> bool:
    """True when `child` (a direct child of `ctrl`) runs only as `ctrl` decides: a branch or loop body."""
    if isinstance(ctrl, cst.For):
        return child is not ctrl.iter and child is not ctrl.target
    return child is not ctrl.test


class _Walker(cst.CSTVisitor):
    """Fills a Structure: parents, order, exits, and the sites of names outside nested scopes."""

    def __init__(self, out: Structure) -> None:
        self.out = out
        self.stack: list[cst.CSTNode] = []
        self.nested = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.out.parent[node] = self.stack[-1]
        self.out.order[node] = len(self.out.order)
        self.stack.append(node)
        inner = isinstance(node, _SCOPES) and len(self.stack) > 1
        self.nested += int(inner)
        if self.nested == 0:
            self._record(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, _SCOPES) and self.stack:
            self.nested -= 1

    def _record(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.Break, cst.Continue)):
            self.out.exit_nodes.append(node)
        elif isinstance(node, cst.Assign):
            for target in node.targets:
                self._assign(node, target.target, node.value)
        elif isinstance(node, (cst.AnnAssign, cst.NamedExpr)) and node.value is not None:
            self._assign(node, node.target, node.value)
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            self._add("grow", node.target.value, node, node.value, "+=")
        elif isinstance(node, cst.For):
            self._bind(node, node.target)
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            self._bind(node, node.asname.name)
        elif isinstance(node, cst.Call):
            self._call(node)

    def _assign(self, stmt: cst.CSTNode, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._add("assign", target.value, stmt, value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            parts = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            plain = parts is not None and len(parts) == len(target.elements) and not any(
                isinstance(p, cst.StarredElement) for p in [*parts, *target.elements])
            for i, el in enumerate(target.elements):
                if plain and parts is not None:
                    self._assign(stmt, el.value, parts[i].value)
                else:
                    self._bind(stmt, el.value)

    def _bind(self, stmt: cst.CSTNode, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._add("bind", target.value, stmt, None)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self._bind(stmt, el.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(stmt, target.value)

    def _call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in GROW_METHODS:
            value = node.args[-1].value if node.args else None
            self._add("grow", func.value.value, node, value, func.attr.value)

    def _add(self, kind: SiteKind, name: str, node: cst.CSTNode, value: cst.BaseExpression | None,
             method: str = "") -> None:
        site = Site(kind, name, node, value, self.out.order[node], method)
        self.out.sites.setdefault(name, []).append(site)


def names_read(expr: cst.CSTNode) -> list[cst.Name]:
    """The variable names in an expression (attribute names and keywords excluded)."""
    names: list[cst.Name] = []

    class _V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            visit(node.value, self)
            return False

        def visit_Arg(self, node: cst.Arg) -> bool:
            visit(node.value, self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            names.append(node)

    visit(expr, _V())
    return names
