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


def last_return(path: str, def_line: int) -> int | None:
    """The line of the last `return <value>` directly in the body of the function defined at
    `def_line` of `path` (None: no such function, or it returns nothing)."""
    tree = _tree(path)
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno == def_line:
            returns = [s for s in node.body if isinstance(s, ast.Return) and s.value is not None]
            return returns[-1].lineno if returns else None
    return None


@lru_cache(maxsize=64)
def _tree(path: str) -> ast.Module | None:
    try:
        with open(path, encoding="utf-8") as f:
            return ast.parse(f.read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None


@lru_cache(maxsize=64)
def _definitions(path: str) -> tuple[tuple[int, int, str], ...]:
    """Every function of a file with its qualified name, innermost first."""
    tree = _tree(path)
    if tree is None:
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


def source_tree(path: str) -> ast.Module | None:
    """The parsed module of `path` (cached; None when it cannot be read or parsed)."""
    return _tree(path)
