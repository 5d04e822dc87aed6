"""The static side of a fix: the user's file as a libcst tree, its methods and decision sites.

A decision site is the test of an `if`, `elif`, `while` or conditional expression. Fixers find
the site a finding points at by position, and the runtime trace evaluates each site's test
text in the frame that reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from exportlint.errors import SourceError

SiteKind = Literal["if", "ifexp", "while"]


@dataclass(frozen=True, slots=True)
class Site:
    """One decision: where its test starts and the test's source text."""

    kind: SiteKind
    symbol: str  # "Class.method"
    line: int  # 1-based line of the test expression
    column: int  # 0-based column of the test expression
    test: str  # source text of the test expression, as written
    stmt_line: int  # line of the `if` / `while` keyword or of the conditional expression

    @property
    def display(self) -> str:
        """The test on one line, for reports."""
        return " ".join(self.test.split())

    @property
    def key(self) -> tuple[int, int]:
        return (self.line, self.column)


@dataclass
class MethodInfo:
    """A method of a class in the user's file."""

    cls: str
    name: str
    node: cst.FunctionDef
    line: int
    end_line: int

    @property
    def symbol(self) -> str:
        return f"{self.cls}.{self.name}"


@dataclass
class SourceIndex:
    """Classes, methods and decision sites of one user file, with node positions."""

    path: Path
    text: str
    module: cst.Module
    methods: dict[str, MethodInfo] = field(default_factory=dict)
    sites: list[Site] = field(default_factory=list)
    positions: dict[cst.CSTNode, CodeRange] = field(default_factory=dict)
    classes: dict[str, cst.ClassDef] = field(default_factory=dict)
    functions: dict[str, cst.FunctionDef] = field(default_factory=dict)  # module level

    def method_at(self, line: int) -> MethodInfo | None:
        """The method whose body spans `line`, if any."""
        for method in self.methods.values():
            if method.line <= line <= method.end_line:
                return method
        return None

    def sites_in(self, symbol: str) -> list[Site]:
        return [s for s in self.sites if s.symbol == symbol]

    def site_at(self, line: int, column: int | None = None) -> Site | None:
        """The site whose test or statement starts on `line` (closest column when several)."""
        found = [s for s in self.sites if line in (s.line, s.stmt_line)]
        if not found:
            return None
        if column is None:
            return found[0]
        return min(found, key=lambda s: abs(s.column - column))

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


def index_source(path: Path) -> SourceIndex:
    """Parse `path` and index its classes, methods and decision sites.

    Raises:
        SourceError: the file cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8")
        module = cst.parse_module(text)
    except (OSError, UnicodeDecodeError, cst.ParserSyntaxError) as e:
        raise SourceError(f"{path}: cannot read or parse the target file ({e})") from e
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = dict(wrapper.resolve(PositionProvider))
    index = SourceIndex(path, text, module, positions=positions)
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            index.classes[stmt.name.value] = stmt
            _index_class(index, stmt)
        elif isinstance(stmt, cst.FunctionDef):
            index.functions[stmt.name.value] = stmt
    return index


def _index_class(index: SourceIndex, node: cst.ClassDef) -> None:
    for item in node.body.body:
        if not isinstance(item, cst.FunctionDef):
            continue
        where = index.positions[item]
        method = MethodInfo(node.name.value, item.name.value, item, where.start.line,
                            where.end.line)
        index.methods[method.symbol] = method
        collector = _SiteCollector(index, method.symbol)
        item.visit(collector)
        index.sites.extend(collector.sites)


class _SiteCollector(cst.CSTVisitor):
    def __init__(self, index: SourceIndex, symbol: str) -> None:
        self.index = index
        self.symbol = symbol
        self.sites: list[Site] = []

    def _add(self, kind: SiteKind, owner: cst.CSTNode, test: cst.BaseExpression) -> None:
        start = self.index.positions[test].start
        stmt = self.index.positions[owner].start
        text = self.index.code(test)
        self.sites.append(Site(kind, self.symbol, start.line, start.column, text, stmt.line))

    def visit_If(self, node: cst.If) -> None:
        self._add("if", node, node.test)

    def visit_While(self, node: cst.While) -> None:
        self._add("while", node, node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._add("ifexp", node, node.test)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # Nested functions belong to their method: keep collecting inside them.
        return True
