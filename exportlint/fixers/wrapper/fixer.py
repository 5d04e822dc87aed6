"""The Fixer base class and what a fixer is given to work with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst

from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.model import ExporterChoice, Finding, selected_exporters


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
        """The scan's findings of `rule`, less those on lines a fixer replaced as a whole
        (the memory gathering moved to the host, say)."""
        return [f for f in self.findings if f.rule == rule and not self.plan.is_claimed(f.location.line)]

    def blocks(self, finding: Finding) -> bool:
        """Whether the pattern fails or goes wrong under a chosen exporter. One that every
        chosen exporter converts faithfully (`nonzero`, a `.numpy()` constant, FFTs under
        dynamo) is no manual work: verification shows the export as it is."""
        return any(finding.outcomes.of(e) in ("fails", "wrong") for e in selected_exporters(self.exporter))


class Fixer:
    """One rule's remedy: changes a `WrapperPlan` so the wrapper exports faithfully.

    Subclasses set `rule` (the rule's slug), `title` and `safety`, and implement `apply`. A
    fixer records what it froze or rewrote with `plan.note` and what it could not do with
    `plan.needs_manual`; it never edits the user's files.
    """

    rule: ClassVar[str]
    title: ClassVar[str]
    safety: ClassVar[str] = "unsafe"
    # Every rule that `apply` fixes (empty: just `rule`). One remedy can fix several rules:
    # the fixed-slot memory rewrite fixes dict-access, dynamic-loop and variable-length-cat,
    # and each of those rules' fixers inherits it. `select_fixers` applies the first selected
    # fixer and skips the later ones whose rule it already fixes.
    fixes: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def fixed_rules(cls) -> tuple[str, ...]:
        """The rules this fixer's `apply` fixes, its own first."""
        return (cls.rule, *(r for r in cls.fixes if r != cls.rule))

    def apply(self, ctx: FixContext) -> None:
        raise NotImplementedError


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
