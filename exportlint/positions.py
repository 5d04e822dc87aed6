"""Line and column of libcst nodes, several times faster than resolving libcst's PositionProvider.

PositionProvider runs the whole metadata machinery and builds two objects per node. Here one
code-generation pass counts lines and columns in plain integers and keeps a tuple per node; the
ranges are the same "syntactic" ranges PositionProvider gives (tests compare them on real code).

Findings sit in a few methods of a file, so `Positions` generates only the method (or else the
top-level statement) holding the function or class a finding was found in (`root`), starting from
the line CPython's own parse gives for that statement. Without a root, or when the statement
lines cannot be trusted, it falls back to one pass over the whole file. Only files with findings
pay for this.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

Span = tuple[int, int, int, int]  # start line, start column, end line, end column

_NEWLINE_RE = re.compile(r"\r\n?|\n")
_COMPOUND_WORDS = ("def", "async", "class", "if", "for", "while", "with", "try", "match")


class Positions:
    """The spans of one module's nodes, generated a method or a top-level statement at a time."""

    def __init__(self, module: cst.Module, syntax: ast.Module | None = None, text: str | None = None) -> None:
        self.module = module
        self.syntax = syntax  # CPython's parse of the same text: gives each statement's line
        self.lines = _NEWLINE_RE.split(text) if text is not None else None
        self.spans: dict[cst.CSTNode, Span] = {}
        self._generated: set[cst.CSTNode] = set()
        self._complete = False
        self._units: dict[cst.CSTNode, list[_Unit]] | None = None

    def span(self, node: cst.CSTNode, root: cst.CSTNode | None = None) -> Span:
        """The span of `node`, found inside `root` (a function or class holding it) when given.

        Raises:
            KeyError: `node` is not part of the module.
        """
        if node is self.module:
            r = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)[self.module]
            return (r.start.line, r.start.column, r.end.line, r.end.column)
        found = self.spans.get(node)
        # The method holding the finding, then its whole top-level statement, then the file.
        for unit in self._units_of(root) if found is None and root is not None and not self._complete else ():
            self._generate(unit)
            found = self.spans.get(node)
            if found is not None:
                break
        if found is None and not self._complete:
            state = _SpanState(self.module.default_indent, self.module.default_newline)
            self.module._codegen(state)
            self.spans, self._complete = state.spans, True
            found = self.spans.get(node)
        if found is None:
            raise KeyError(node)
        return found

    def _generate(self, unit: _Unit) -> None:
        if unit.statement in self._generated:
            return
        self._generated.add(unit.statement)
        state = _SpanState(self.module.default_indent, self.module.default_newline, line=unit.line)
        state.indent_tokens = list(unit.indent)
        unit.statement._codegen(state)
        self.spans.update(state.spans)

    def _units_of(self, root: cst.CSTNode) -> list[_Unit]:
        if self._units is None:
            self._units = self._index_units()
        return self._units.get(root, [])

    def _index_units(self) -> dict[cst.CSTNode, list[_Unit]]:
        """Top-level functions and classes, and the methods of top-level classes -> what to generate
        for them, smallest first. Empty when CPython's statements do not line up with libcst's."""
        units: dict[cst.CSTNode, list[_Unit]] = {}
        if self.syntax is None or self.lines is None:
            return units
        starts = _statement_starts(self.module.body, self.syntax.body, self.lines)
        for stmt, line, j in zip(self.module.body, starts, _ast_indexes(self.module.body)):
            top = _Unit(stmt, line, ())
            if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                units[stmt] = [top]
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                indent = (stmt.body.indent if stmt.body.indent is not None else self.module.default_indent,)
                found = self.syntax.body[j] if j < len(self.syntax.body) else None
                inner = _statement_starts(stmt.body.body, found.body, self.lines) if isinstance(found, ast.ClassDef) else []
                for member, start in zip(stmt.body.body, inner):
                    if isinstance(member, cst.FunctionDef):
                        units[member] = [_Unit(member, start, indent), top]
                for nested in _nested_definitions(stmt):
                    units.setdefault(nested, [top])
        return units


@dataclass(frozen=True)
class _Unit:
    """A statement that can be generated on its own: where its code starts, inside which indent."""

    statement: cst.CSTNode
    line: int
    indent: tuple[str, ...]


def _nested_definitions(cls: cst.ClassDef) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            found.append(node)
        if isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            stack.extend(node.body.body)
    return found


def _ast_indexes(statements: Sequence[cst.BaseStatement]) -> list[int]:
    """For each of libcst's statements, the index of its first statement in CPython's body (a
    line of `a; b` is one statement to libcst and two to CPython)."""
    indexes: list[int] = []
    j = 0
    for stmt in statements:
        indexes.append(j)
        j += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
    return indexes


def _statement_starts(statements: Sequence[cst.BaseStatement], body: list[ast.stmt], lines: list[str]) -> list[int]:
    """The line each statement's code starts on (its leading blank and comment lines included);
    empty when CPython's statements do not line up with libcst's."""
    starts: list[int] = []
    j = 0
    for stmt in statements:
        if j >= len(body):
            return []
        first = body[j]
        line = first.lineno
        leading = len(getattr(stmt, "leading_lines", ()))
        decorators = getattr(stmt, "decorators", ())
        if decorators:
            line = min((d.lineno for d in getattr(first, "decorator_list", ())), default=0)
            leading += len(decorators[0].leading_lines)
            if not (0 < line <= len(lines) and lines[line - 1].lstrip().startswith("@")):
                return []
        elif isinstance(stmt, cst.BaseCompoundStatement) and not (
            0 < line <= len(lines) and lines[line - 1].lstrip().startswith(_COMPOUND_WORDS)
        ):
            return []
        starts.append(line - leading)
        j += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
    return starts if j == len(body) else []


def node_span(module: cst.Module, node: cst.CSTNode) -> Span:
    """The (start line, start column, end line, end column) of a node of `module` (one full pass).

    Raises:
        KeyError: `node` is not part of `module`.
    """
    global _last
    # NOTE: callers ask for many nodes of one module in a row; one pass serves them all.
    if _last is None or _last.module is not module:
        _last = Positions(module)
    return _last.span(node)


_last: Positions | None = None


def as_range(span: Span) -> CodeRange:
    """A span as libcst's CodeRange."""
    sl, sc, el, ec = span
    return CodeRange(CodePosition(sl, sc), CodePosition(el, ec))


class _SpanState(CodegenState):
    """A code generator that only counts: no tokens are kept, one tuple per node is."""

    def __init__(self, default_indent: str, default_newline: str, line: int = 1) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = line
        self.column = 0
        self.starts: list[tuple[int, int]] = []
        self.spans: dict[cst.CSTNode, Span] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\r" in value:
            parts = _NEWLINE_RE.split(value)
            if len(parts) > 1:
                self.line += len(parts) - 1
                self.column = len(parts[-1])
                return
        newlines = value.count("\n")
        if newlines:
            self.line += newlines
            self.column = len(value) - value.rfind("\n") - 1
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        """Only the module's own end moves; its span is taken from libcst (see `node_span`)."""

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.starts.pop()
        if node not in self.spans:
            self.spans[node] = (start[0], start[1], self.line, self.column)

    @contextmanager
    def record_syntactic_position(
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> Iterator[None]:
        start = (self.line, self.column)
        try:
            yield
        finally:
            end = (self.line, self.column)
            if start_node is not None:
                first = self.spans[start_node]
                start = (first[0], first[1])
            if end_node is not None:
                last = self.spans[end_node]
                end = (last[2], last[3])
            self.spans[node] = (start[0], start[1], end[0], end[1])
