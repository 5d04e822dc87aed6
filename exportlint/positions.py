"""Line and column of libcst nodes, about twice as fast as resolving libcst's PositionProvider.

PositionProvider runs the whole metadata machinery and builds two objects per node. Here one
code-generation pass counts lines and columns in plain integers and keeps a tuple per node; the
ranges are the same "syntactic" ranges PositionProvider gives (a test compares them on real code).
Only files with findings pay for this, once, however many findings and rules ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

Span = tuple[int, int, int, int]  # start line, start column, end line, end column

_NEWLINE_RE = re.compile(r"\r\n?|\n")
_last: tuple[cst.Module, dict[cst.CSTNode, Span]] | None = None


def node_span(module: cst.Module, node: cst.CSTNode) -> Span:
    """The (start line, start column, end line, end column) of a node of `module`.

    Raises:
        KeyError: `node` is not part of `module`.
    """
    if node is module:
        r = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)[module]
        return (r.start.line, r.start.column, r.end.line, r.end.column)
    return _spans(module)[node]


def node_range(module: cst.Module, node: cst.CSTNode) -> CodeRange:
    """`node_span` as libcst's CodeRange."""
    sl, sc, el, ec = node_span(module, node)
    return CodeRange(CodePosition(sl, sc), CodePosition(el, ec))


def _spans(module: cst.Module) -> dict[cst.CSTNode, Span]:
    global _last
    # NOTE: one file is analysed at a time per process; keeping the last file's spans lets the
    # engine and the analysis share one pass.
    if _last is None or _last[0] is not module:
        state = _SpanState(default_indent=module.default_indent, default_newline=module.default_newline)
        module._codegen(state)
        _last = (module, state.spans)
    return _last[1]


class _SpanState(CodegenState):
    """A code generator that only counts: no tokens are kept, one tuple per node is."""

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = 1
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
