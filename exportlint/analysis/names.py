"""Dotted names, the import table of a module, and the source text of a node for messages."""

from __future__ import annotations

import libcst as cst


def dotted_name(node: cst.BaseExpression | None) -> str | None:
    """`torch.nn.Module` -> "torch.nn.Module"; None for anything that is not a plain dotted name."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def collect_imports(module: cst.Module) -> dict[str, str]:
    """Map each locally bound import name to the dotted path it stands for.

    `import torch.nn as nn` -> {"nn": "torch.nn"}; `from torch import nn` -> {"nn": "torch.nn"};
    `from .layers import Block` -> {"Block": ".layers.Block"}. Only top-level imports are read.
    """
    table: dict[str, str] = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Import):
                _add_import(table, small)
            elif isinstance(small, cst.ImportFrom):
                _add_import_from(table, small)
    return table


def _add_import(table: dict[str, str], node: cst.Import) -> None:
    for alias in node.names:
        full = dotted_name(alias.name) or ""
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            table[alias.asname.name.value] = full
        else:
            head = full.split(".")[0]
            table[head] = head


def _add_import_from(table: dict[str, str], node: cst.ImportFrom) -> None:
    if isinstance(node.names, cst.ImportStar):
        return
    base = "." * len(node.relative) + (dotted_name(node.module) or "")
    for alias in node.names:
        name = dotted_name(alias.name) or ""
        bound = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            bound = alias.asname.name.value
        sep = "" if base.endswith(".") or not base else "."
        table[bound] = f"{base}{sep}{name}"


def resolve(name: str | None, imports: dict[str, str]) -> str | None:
    """Expand the first part of a dotted name through the import table."""
    if not name:
        return None
    head, _, rest = name.partition(".")
    full = imports.get(head, head)
    return f"{full}.{rest}" if rest else full


def source_text(node: cst.CSTNode, width: int = 60) -> str:
    """A node's source text on one line, cut to `width` characters (ending in `...`) for messages."""
    text = " ".join(cst.Module([]).code_for_node(node).split())
    return text if len(text) <= width else text[: width - 3] + "..."
