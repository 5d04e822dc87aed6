"""Read and parse a source file once: text, libcst module, lazily computed positions."""

from __future__ import annotations

import ast
import gc
import io
import re
import tokenize
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange

from exportlint.chunks import LARGE_CHARS, parse_in_pieces
from exportlint.errors import SourceError
from exportlint.positions import Positions, as_range


@dataclass
class SourceFile:
    """One parsed file. Positions are computed only when a finding needs them."""

    path: str
    text: str
    module: cst.Module
    syntax: ast.Module | None = field(default=None, repr=False)  # CPython's parse of `text`
    _positions: Positions | None = field(default=None, repr=False)

    @property
    def tree(self) -> cst.Module:
        """The tree rules see and positions are resolved in (the parsed module itself)."""
        return self.module

    def position(self, node: cst.CSTNode, root: cst.CSTNode | None = None) -> CodeRange:
        """The code range of a node of `tree`; `root`: a function or class that holds it, so only
        the top-level statement around it needs generating."""
        if self._positions is None:
            self._positions = Positions(self.tree, self.syntax, self.text)
        return as_range(self._positions.span(node, root))


def read_source(path: Path, data: bytes | None = None) -> str:
    """Read a file as text in its PEP 263 encoding (`data`: its bytes, when the caller has read them).

    UTF-8 unless a BOM or a `# -*- coding: ... -*-` line in the first two lines says otherwise.

    Raises:
        SourceError: the file is missing or unreadable, or its bytes are not in its encoding.
    """
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise SourceError(f"{path}: cannot read file ({e.strerror or e})") from e
    encoding = source_encoding(path, data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as e:
        declared = "UTF-8" if encoding == "utf-8-sig" else encoding
        raise SourceError(f"{path}: not {declared} text (byte {e.start}); re-encode it or declare its "
                          "encoding (PEP 263)") from e


def source_encoding(path: Path, data: bytes) -> str:
    """The codec that decodes a source file's bytes: `utf-8-sig` (a BOM is dropped) or the declared one.

    Raises:
        SourceError: the coding declaration names an unknown encoding or contradicts the BOM.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:  # an unknown codec, a cookie against the BOM, or bytes that are not UTF-8
        if "unknown encoding" in str(e) or "encoding problem" in str(e):
            raise SourceError(f"{path}: {e.msg}: fix its coding declaration (PEP 263)") from e
        return "utf-8-sig"  # decoding then names the first bad byte
    return "utf-8-sig" if encoding in ("utf-8", "utf-8-sig") else encoding


def check_syntax(path: str, text: str) -> ast.Module:
    """Parse text with CPython's own parser, the one that will run (and export) this code.

    It is several times faster than libcst's and rejects the pathological nesting that makes
    libcst's native parser crash the process, so it runs first.

    Raises:
        SourceError: the text is not valid Python, or too deeply nested to analyse.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. are the scanned code's business
            with _collector_paused():
                return ast.parse(text, filename=path)
    except SyntaxError as e:
        where = f"{path}:{e.lineno}:{e.offset or 1}" if e.lineno else path  # 1-based, as editors count
        raise SourceError(f"{where}: syntax error: {e.msg}") from e
    except (RecursionError, MemoryError) as e:
        raise SourceError(f"{path}: too deeply nested to parse ({type(e).__name__})") from e
    except ValueError as e:  # source code string cannot contain null bytes
        raise SourceError(f"{path}: not Python source ({e})") from e


def parse_source(path: str, text: str, checked: bool = False, syntax: ast.Module | None = None) -> SourceFile:
    """Parse text into a SourceFile (`checked`: `check_syntax` passed already, `syntax` its result).

    Raises:
        SourceError: the text is not valid Python.
    """
    if not checked:
        syntax = check_syntax(path, text)
    try:
        try:
            module = _parse_cst(text, syntax)
        except cst.ParserSyntaxError:
            # CPython passed it: libcst's tokenizer counts a form feed in an indentation as a
            # column where CPython's restarts the count, so retry with CPython's indentation.
            if "\f" not in text:
                raise
            module = _parse_cst(cpython_indentation(text), syntax)
    except cst.ParserSyntaxError as e:
        raise SourceError(
            f"{path}:{e.raw_line}:{e.raw_column}: syntax error: {e.message}"
        ) from e
    except RecursionError as e:
        raise SourceError(f"{path}: too deeply nested to parse") from e
    return SourceFile(path=path, text=text, module=module, syntax=syntax)


def _parse_cst(text: str, syntax: ast.Module | None) -> cst.Module:
    with _collector_paused():
        return parse_in_pieces(text, syntax) if syntax is not None and len(text) > LARGE_CHARS else cst.parse_module(text)


_FORM_FEED_INDENT = re.compile(r"^[ \t\f]*\f", re.MULTILINE)


def cpython_indentation(text: str) -> str:
    """`text` with each line's indentation cut to what follows its last form feed, which is the
    indentation CPython's tokenizer sees. Lines are kept (a form feed does not end a line in
    Python); columns on those lines move left by the characters dropped."""
    return _FORM_FEED_INDENT.sub("", text)


def outline(tree: ast.Module) -> ast.Module:
    """Drop the bodies of `tree`'s functions and methods, in place: what is left (top-level
    statements, class members, their lines) is all that positions and pieces need, and the bodies
    are most of the memory a large file's CPython tree holds while libcst parses it."""
    for stmt in tree.body:
        members = stmt.body if isinstance(stmt, ast.ClassDef) else [stmt]
        for member in members:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                member.body = [ast.Pass(lineno=member.lineno, col_offset=member.col_offset)]
    return tree


def statement_column(path: str, line: int) -> int:
    """The 0-based column where the code of `line` starts (0 when the file cannot be read)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = next((t for n, t in enumerate(handle, 1) if n == line), "")
    except (OSError, UnicodeDecodeError):
        return 0
    return len(text) - len(text.lstrip())


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a parser builds a tree.

    NOTE: every node a parser creates survives, so the collections its allocations trigger find
    nothing to free; each one walks all nodes made so far, and they were 40 % of the parse time of
    a 1 MB file (more for larger ones). Trees hold no reference cycles; collection resumes after.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
