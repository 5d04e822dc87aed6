"""The `Class.method` that encloses a source line, the same symbol the static scan reports."""

from __future__ import annotations

import ast
from functools import lru_cache


def enclosing_symbol(path: str, line: int, fallback: str = "") -> str:
    """`Class.method` (or `function`) whose body holds `line` in `path`; `fallback` if none."""
    for start, end, name in _definitions(path):
        if start <= line <= end:
            return name
    return fallback


@lru_cache(maxsize=64)
def _definitions(path: str) -> tuple[tuple[int, int, str], ...]:
    """Every function of a file with its qualified name, innermost first."""
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return ()
    found: list[tuple[int, int, str]] = []
    _collect(tree, "", found)
    found.sort(key=lambda d: d[1] - d[0])
    return tuple(found)


def _collect(node: ast.AST, prefix: str, found: list[tuple[int, int, str]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = f"{prefix}{child.name}"
            found.append((child.lineno, child.end_lineno or child.lineno, name))
            _collect(child, f"{name}.", found)
        elif isinstance(child, ast.ClassDef):
            _collect(child, f"{prefix}{child.name}.", found)
