"""The Rule base class, its test-case types and the shared helpers rules use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import libcst as cst

from exportlint.analysis import Dep, FileFacts
from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.model import Outcomes

Scope = Literal["forward", "init"]

# A module whose forward body is one line: `{params}` and `{body}` are filled in by tests.
FORWARD = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, {params}):
        {body}
"""

DEFAULT_FORWARD_BODY = "return x"

# The tracker memory pattern (a loop over memory slots, dict lookups keyed by a forward int,
# `continue` on a miss, then a cat of what was found), shared by the rules it concerns.
MEMORY_LOOP = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x, frame_idx: int, memory: dict):
        parts = [x]
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t, None)
            if out is None:
                continue
            parts.append(out)
        return torch.cat(parts)
"""



@dataclass(frozen=True, slots=True)
class Valid:
    """Source that must produce no finding of the rule."""

    code: str


@dataclass(frozen=True, slots=True)
class Invalid:
    """Source that must produce exactly one finding of the rule on `line` (1-based), at `column`
    (0-based, as `Location.column`), with `severity`, its message starting with `message`; and
    no finding of the rule elsewhere, except on the lines in `also`."""

    code: str
    line: int
    severity: str
    column: int
    message: str
    also: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Pending:
    """A finding before positions are resolved: the node and what to say about it."""

    node: cst.CSTNode
    message: str
    outcomes: Outcomes
    symbol: str
    hint: str
    root: cst.CSTNode | None = None  # the function or class the rule was checking


def forward(params: str = "x", body: str = DEFAULT_FORWARD_BODY) -> str:
    """Fill the FORWARD template."""
    return FORWARD.format(params=params, body=body)


class Rule(cst.CSTVisitor):
    """A check over the code reachable from `forward` (and, with scope "init", constructors).

    Subclasses set the metadata class attributes, implement `visit_*` methods that read
    `self.flow` (the dataflow of the function being visited) and call `self.report`, and may
    override `check_class` for checks on a class as a whole.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    hint: ClassVar[str] = ""
    # What to do when a probe pins an exporter failure to this rule (the probe knows the
    # failing line, not the static cause, so this hint is broader than the static ones).
    probe_hint: ClassVar[str] = ""
    scopes: ClassVar[tuple[Scope, ...]] = ("forward",)
    VALID: ClassVar[list[Valid]] = []
    INVALID: ClassVar[list[Invalid]] = []

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.pending: list[Pending] = []
        self.flow: FunctionFlow | None = None
        self.scope: Scope = "forward"
        # The function or class being checked: findings are located inside it.
        self.root: cst.CSTNode | None = None

    # -- hooks ---------------------------------------------------------------------------------
    def check_class(self, info: ClassInfo) -> None:
        """Called once per nn.Module class of the file."""

    def enter_function(self, flow: FunctionFlow, scope: Scope) -> None:
        """Called before a reachable function is visited."""
        self.flow = flow
        self.scope = scope
        self.root = flow.fn

    # -- helpers -------------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        return self.flow.symbol if self.flow is not None else ""

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        outcomes: Outcomes,
        *,
        hint: str | None = None,
        symbol: str | None = None,
        root: cst.CSTNode | None = None,
    ) -> None:
        """Record a finding at `node` (`root`: the function holding it, when not the one being checked)."""
        self.pending.append(
            Pending(node, message, outcomes, symbol if symbol is not None else self.symbol, hint or self.hint,
                    root or self.root)
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # Nested functions are part of the body being checked; other reachable functions are
        # visited on their own, with their own dataflow.
        return True


class StoreTargets(Rule):
    """A rule that needs to tell assignment targets (`x[i] = v`, `x[i] += v`) from reads."""

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)
        self._stores: set[cst.CSTNode] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        self._stores.update(t.target for t in node.targets)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._stores.add(node.target)


def outcomes_for(dep: Dep, legacy_miss: bool = False) -> Outcomes:
    """What the exporters do with a Python-level decision that depends on `dep`.

    `legacy_miss`: the decision reads a lookup keyed by a forward number, which the legacy
    tracer turns into a tensor, so its graph is wrong even on the example inputs.
    """
    if dep >= Dep.DATA:
        return Outcomes(dynamo="fails", legacy="wrong")
    if dep >= Dep.ARGUMENT:
        return Outcomes("specialized", "wrong" if legacy_miss else "specialized")
    return Outcomes("ok", "wrong" if legacy_miss else "ok")


LEGACY_MISS_WORDS = (
    "; legacy: the key comes from a Python number passed to forward, which the legacy tracer turns "
    "into a tensor, so the lookup misses and the graph is wrong even on the example inputs"
)


DEP_WORDS: dict[Dep, str] = {
    Dep.CONST: "a constant",
    Dep.CONFIG: "module configuration",
    Dep.ARGUMENT: "a non-tensor forward argument",
    Dep.SHAPE: "a tensor shape",
    Dep.LAYOUT: "the layout of a runtime container (which keys or how many items it holds)",
    Dep.DATA: "tensor values",
}

EXPORT_WORDS: dict[Dep, str] = {
    Dep.CONST: "both exporters keep the one path; nothing changes at run time",
    Dep.CONFIG: "both exporters keep the path of this configuration; right for this instance",
    Dep.ARGUMENT: "both exporters bake in the value seen at export; the ONNX graph cannot take another",
    Dep.SHAPE: "both exporters specialize to the example shape; declared dynamic axes become guards",
    Dep.LAYOUT: "both exporters unroll to the layout seen at export; other layouts get a wrong graph",
    Dep.DATA: "dynamo: export fails (data-dependent guard); legacy: one path baked in, silently wrong on other inputs",
}
