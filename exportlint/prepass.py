"""The cheap pre-pass over every scanned file: which classes may be nn.Modules, on text and CPython's AST.

Nothing here imports libcst. A warm scan runs only the textual half (or reads its output from the
cache), and workers use the AST half to skip the libcst analysis of files that cannot matter.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence

# (class name, base expressions as written) for each top-level `class Name(bases):` of a file.
ClassIndex = tuple[tuple[str, tuple[str, ...]], ...]

_CLASS_RE = re.compile(r"^class\s+(\w+)\s*\(([^)]*)\)", re.MULTILINE)
_IDENT_RE = re.compile(r"[^\W\d]\w*")
_NON_MODULE_NN = {"Parameter", "parameter", "functional", "init", "utils", "Buffer"}


def is_torch_module_base(base: str) -> bool:
    """True for `torch.nn.Module` and the torch.nn container/layer classes."""
    if base in ("nn.Module", "Module"):
        return True
    for prefix in ("torch.nn.", "nn."):
        if base.startswith(prefix):
            rest = base[len(prefix):]
            head = rest.split(".")[0]
            return bool(head) and head[0].isupper() and head not in _NON_MODULE_NN
    return False


def class_index(text: str) -> ClassIndex:
    """The top-level classes of a file and their bases, found with a regular expression."""
    return tuple(
        (name, tuple(b.strip() for b in bases.split(",") if b.strip())) for name, bases in _CLASS_RE.findall(text)
    )


def identifiers(text: str) -> frozenset[str]:
    """Every identifier-like word of a file: a superset of the names its analysis can look up."""
    return frozenset(_IDENT_RE.findall(text))


def known_from_index(indexes: Iterable[ClassIndex]) -> frozenset[str]:
    """Class names that derive from nn.Module, directly or through other classes of the scanned tree."""
    bases: dict[str, set[str]] = {}
    known: set[str] = set()
    for index in indexes:
        for name, base_list in index:
            bases.setdefault(name, set()).update(b.rsplit(".", 1)[-1] for b in base_list)
            if any(is_torch_module_base(b) for b in base_list):
                known.add(name)
    known.update(n for n, bs in bases.items() if "Module" in bs)
    # Spread to subclasses, each name once (passes until nothing changed were quadratic in a chain).
    subclasses: dict[str, list[str]] = {}
    for name, short_bases in bases.items():
        for base in short_bases:
            subclasses.setdefault(base, []).append(name)
    todo = list(known)
    while todo:
        for sub in subclasses.get(todo.pop(), ()):
            if sub not in known:
                known.add(sub)
                todo.append(sub)
    return frozenset(known)


def known_module_classes(texts: Sequence[str]) -> frozenset[str]:
    """Class names in the scanned tree that derive from nn.Module, found by a cheap textual pass."""
    return known_from_index(class_index(t) for t in texts)


def may_define_module(tree: ast.Module, known: frozenset[str]) -> bool:
    """Whether the libcst analysis could find an nn.Module class in this file.

    Mirrors `analysis.classes.mark_modules` on CPython's AST (same top-level imports, same
    resolution), widened to any base that resolves into `torch`: a False here means the full
    analysis would find no module class, so a file with no reached functions can be skipped.
    """
    # NOTE: a class is a module through a local base only when that base is one already, so the
    # file has a module class exactly when some class has a base that is one without local help:
    # one pass, where following chains of local bases to a fixed point was quadratic in their length.
    imports = _top_level_imports(tree)
    classes = {s.name: s.bases for s in tree.body if isinstance(s, ast.ClassDef)}  # the last of a name counts
    return any(_module_base(_resolve(ast_dotted_name(b), imports), known) for bases in classes.values() for b in bases)


def _module_base(base: str, known: frozenset[str]) -> bool:
    short = base.rsplit(".", 1)[-1]
    return (
        is_torch_module_base(base)
        or base == "torch"
        or base.startswith("torch.")
        or base in known
        or short in known
    )


def _top_level_imports(tree: ast.Module) -> dict[str, str]:
    table: dict[str, str] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    table[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    table[head] = head
        elif isinstance(stmt, ast.ImportFrom):
            base = "." * stmt.level + (stmt.module or "")
            sep = "" if base.endswith(".") or not base else "."
            for alias in stmt.names:
                if alias.name != "*":
                    table[alias.asname or alias.name] = f"{base}{sep}{alias.name}"
    return table


def ast_dotted_name(node: ast.expr) -> str:
    """`a.b.c` for a name or attribute chain of CPython's AST (a starred one unwrapped), else ""."""
    if isinstance(node, ast.Starred):
        return ast_dotted_name(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = ast_dotted_name(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _resolve(name: str, imports: dict[str, str]) -> str:
    if not name:
        return ""
    head, _, rest = name.partition(".")
    full = imports.get(head, head)
    return f"{full}.{rest}" if rest else full
