"""Read and parse a source file once: text, libcst module, lazily computed positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from exportlint.errors import SourceError


@dataclass
class SourceFile:
    """One parsed file. Positions are computed only when a finding needs them."""

    path: str
    text: str
    module: cst.Module
    _wrapper: MetadataWrapper | None = field(default=None, repr=False)
    _positions: dict[cst.CSTNode, CodeRange] | None = field(default=None, repr=False)

    @property
    def tree(self) -> cst.Module:
        """The tree whose nodes rules see (the metadata wrapper's copy, so positions resolve)."""
        return self._ensure_wrapper().module

    def position(self, node: cst.CSTNode) -> CodeRange:
        """Return the code range of a node of `tree`."""
        if self._positions is None:
            self._positions = dict(self._ensure_wrapper().resolve(PositionProvider))
        return self._positions[node]

    def _ensure_wrapper(self) -> MetadataWrapper:
        if self._wrapper is None:
            # NOTE: unsafe_skip_copy: the tree was parsed here and nobody else holds it.
            self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return self._wrapper


def read_source(path: Path) -> str:
    """Read a file as UTF-8 text.

    Raises:
        SourceError: the file is missing, unreadable or not UTF-8.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(f"{path}: cannot read file ({e.strerror or e})") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(f"{path}: not UTF-8 text (byte {e.start}); re-encode it as UTF-8") from e


def parse_source(path: str, text: str) -> SourceFile:
    """Parse text into a SourceFile.

    Raises:
        SourceError: the text is not valid Python.
    """
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as e:
        raise SourceError(
            f"{path}:{e.raw_line}:{e.raw_column}: syntax error: {e.message}"
        ) from e
    except RecursionError as e:
        raise SourceError(f"{path}: too deeply nested to parse") from e
    return SourceFile(path=path, text=text, module=module)


def load_source(path: Path, display: str | None = None) -> SourceFile:
    """Read and parse one file; `display` is the path shown in reports."""
    name = display or str(path)
    return parse_source(name, read_source(path))
