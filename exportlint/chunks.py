"""Parse a large file with libcst a few top-level statements at a time, and join the pieces.

libcst's native parser holds about 500 bytes of intermediate state per byte of source until a
parse returns (tokens and an untyped tree, beside the Python nodes it builds), so one parse of a
1 MB file peaks near 600 MB. Parsed in pieces of `CHUNK_CHARS`, only one piece's intermediate
state exists at a time; the Python nodes, about a tenth of that, are what stays.

A piece starts at a line where a top-level statement starts (CPython's parse gives these lines),
so every piece is a valid module on its own. Joined, the pieces make the module one parse of the
whole text gives, except where comment and blank lines between two pieces hang: here they lead the
next piece's first statement, as they do in a whole parse. The generated code is the text itself
(tests check it on real files). When the pieces disagree on the file's indent or newline, or the
lines cannot be trusted, the whole text is parsed at once.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

CHUNK_CHARS = 64 * 1024  # characters per piece; one piece's parse peaks near 35 MB
LARGE_CHARS = 2 * CHUNK_CHARS  # texts larger than this are parsed in pieces


def parse_in_pieces(text: str, syntax: ast.Module) -> cst.Module:
    """The libcst module of `text`, parsed a piece at a time (`syntax`: CPython's parse of it).

    Raises:
        libcst.ParserSyntaxError: a piece is not valid to libcst (the whole text is not either).
    """
    pieces = _pieces(text, split_lines(syntax, text))
    if len(pieces) < 2:
        return cst.parse_module(text)
    modules = [cst.parse_module(piece) for piece in pieces]
    first = modules[0]
    if any(m.default_indent != first.default_indent or m.default_newline != first.default_newline for m in modules):
        return cst.parse_module(text)
    body: list[cst.BaseStatement] = list(first.body)
    pending: list[cst.EmptyLine] = list(first.footer)  # lines after the last statement of a piece
    for module in modules[1:]:
        lines = [*pending, *module.header]
        statements = list(module.body)
        if statements:
            statements[0] = _lead_with(statements[0], lines)
            pending = list(module.footer)
        else:
            pending = [*lines, *module.footer]
        body.extend(statements)
    return first.with_changes(body=body, footer=pending, has_trailing_newline=modules[-1].has_trailing_newline)


def split_lines(syntax: ast.Module, text: str) -> list[int]:
    """The 1-based lines where a piece may start: those where a top-level statement (its first
    decorator included) is the first code, at column 0, after the previous statement ended."""
    starts: list[int] = []
    previous_end = 0
    for stmt in syntax.body:
        decorators = getattr(stmt, "decorator_list", ())
        line = min([stmt.lineno, *(d.lineno for d in decorators)])
        column = stmt.col_offset if not decorators else 0
        if line > previous_end and column == 0:
            starts.append(line)
        previous_end = stmt.end_lineno or stmt.lineno
    return starts


def _pieces(text: str, starts: Sequence[int]) -> list[str]:
    """`text` cut at some of `starts`, into pieces of at least `CHUNK_CHARS` (the last may be less)."""
    lines = text.splitlines(keepends=True)
    # NOTE: str.splitlines also breaks at form feeds and other separators CPython does not count
    # as line ends; then line numbers would not match, so the text is not cut.
    if any(not line.endswith(("\n", "\r")) for line in lines[:-1]) or len(lines) < (max(starts, default=0)):
        return [text]
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    cuts = [0]
    for line in starts:
        offset = offsets[line - 1]
        if offset - cuts[-1] >= CHUNK_CHARS:
            cuts.append(offset)
    cuts.append(len(text))
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]


def _lead_with(stmt: cst.BaseStatement, lines: list[cst.EmptyLine]) -> cst.BaseStatement:
    """`stmt` with `lines` before its own leading lines (which come before its decorators)."""
    return stmt.with_changes(leading_lines=[*lines, *stmt.leading_lines]) if lines else stmt
