"""The Fixer base class and what a fixer is given to work with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst

from exportlint.fixers.plan import WrapperPlan
from exportlint.fixers.source_index import Site
from exportlint.model import ExporterChoice, Finding, Location


@dataclass
class FixContext:
    """Static and runtime facts for one target.

    `findings` are the static scan's findings in the target's file (all rules); `module`,
    `args` and `kwargs` are what the factory built, for fixers that read runtime values.
    """

    plan: WrapperPlan
    findings: list[Finding]
    module: Any
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    exporter: ExporterChoice = "dynamo"

    def findings_for(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]


class Fixer:
    """One rule's remedy: changes a `WrapperPlan` so the wrapper exports faithfully.

    Subclasses set `rule` (the rule's slug), `title` and `safety`, and implement `apply`. A
    fixer records what it froze or rewrote with `plan.note` and what it could not do with
    `plan.needs_manual`; it never edits the user's files.
    """

    rule: ClassVar[str]
    title: ClassVar[str]
    safety: ClassVar[str] = "unsafe"
    # Fixers sharing a key form one remedy (the tracker memory pattern): applied once.
    group: ClassVar[str] = ""

    def apply(self, ctx: FixContext) -> None:
        raise NotImplementedError


def site_for(ctx: FixContext, location: Location) -> Site | None:
    """The decision site a finding points at."""
    return ctx.plan.index.site_at(location.line, location.column)


def node_at(ctx: FixContext, line: int, column: int, kind: type[cst.CSTNode]) -> cst.CSTNode | None:
    """The node of type `kind` in the original tree that starts at (line, column)."""
    for node, where in ctx.plan.index.positions.items():
        if isinstance(node, kind) and where.start.line == line and where.start.column == column:
            return node
    return None


def nodes_of(ctx: FixContext, symbol: str, kind: type[cst.CSTNode]) -> list[cst.CSTNode]:
    """Every node of type `kind` in method `symbol`, in source order."""
    method = ctx.plan.index.methods.get(symbol)
    if method is None:
        return []
    found: list[cst.CSTNode] = []

    class _Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, kind):
                found.append(node)
            return True

    method.node.visit(_Collect())
    return found
