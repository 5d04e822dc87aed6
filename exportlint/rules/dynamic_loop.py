"""dynamic-loop: loops whose trip count or early exit is decided at run time."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import Dep, FileFacts
from exportlint.analysis.control import Structure
from exportlint.analysis.lengths import Cause, sizes_of, worst
from exportlint.analysis.names import source_text
from exportlint.model import Outcomes
from exportlint.rules.base import MEMORY_LOOP, Invalid, Rule, Valid, forward

_DATA_BREAK = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        for i in range(4):
            if x[i].sum() > 0:
                break
            x = x * 2
        return x
"""

_WHY: dict[Dep, str] = {
    Dep.ARGUMENT: "a forward argument",
    Dep.SHAPE: "a tensor shape",
    Dep.LAYOUT: "which entries a runtime container holds",
    Dep.DATA: "tensor values",
}
_SEEN: dict[Dep, tuple[str, str]] = {Dep.ARGUMENT: ("argument value", "values"), Dep.SHAPE: ("size", "sizes")}

_HINTS: dict[str, str] = {
    "data": "Run a fixed number of iterations and mask the ones that should not count (torch.where), "
    "instead of leaving the loop on tensor values.",
    "memory": "Give the memory a fixed layout: loop over a fixed number of slots and mask the missing ones "
    "(`exportlint fix --rule dynamic-loop`).",
    "shape": "Vectorize over that axis (one batched op instead of a Python loop), or export at the size you "
    "deploy and keep that axis static.",
    "flag": "Export with the value you deploy: the loop is unrolled to it.",
}


def cause_outcomes(cause: Cause) -> Outcomes:
    """What the exporters do when `cause` decides how many times something runs."""
    if cause.dep >= Dep.DATA:
        return Outcomes(dynamo="fails", legacy="wrong")
    if cause.key_miss:
        return Outcomes(dynamo="specialized", legacy="wrong")
    return Outcomes.same("specialized")


def why(cause: Cause) -> str:
    """What a cause is, in words."""
    if cause.key_miss and cause.dep < Dep.DATA:
        return "the result of a dict lookup keyed by a forward argument"
    return _WHY[cause.dep]


def consequence(cause: Cause, what: str) -> str:
    """The per-exporter consequence of a count decided by `cause`, for messages about `what`."""
    if cause.dep >= Dep.DATA and isinstance(cause.node, cst.Continue):
        # a `continue` skips the rest of a pass: the count of passes stays, which ones skip is baked
        return ("dynamo fails (data-dependent guard); legacy skips the passes the example input "
                "skipped, silently wrong on other inputs")
    if cause.dep >= Dep.DATA:
        return ("dynamo fails (data-dependent guard); legacy keeps the count of the example input, "
                "silently wrong on other inputs")
    if cause.key_miss:
        return (f"dynamo unrolls {what} to the memory layout seen at export; legacy turns the lookup key "
                "into a tensor that never matches, so every lookup misses, silently")
    seen, other = _SEEN.get(cause.dep, ("layout", "layouts"))
    return f"both exporters unroll {what} to the {seen} seen at export; other {other} get the graph of the example"


class DynamicLoop(Rule):
    """## What it does
    Checks for `for` loops and comprehensions whose trip count is decided at run time, and for
    `for`/`while` loops left early (`break`/`continue`) under a runtime condition. Loops over
    `self.layers`, `range(self.num_layers)` or a `List[Tensor]` forward argument (its length is
    fixed by the graph's inputs, see list-tensor-input) are static and not reported. A `while`
    test itself is reported by dynamic-branch.

    ## Why is this bad?
    ONNX export unrolls Python loops: the graph holds the iterations the example input ran.
    - trip count or exit from a forward argument, a shape or the layout of a runtime container
      (`range(x.shape[0])`, `for out in memory.values()`, `if out is None: continue` after a
      dict lookup): both exporters unroll to what the example had; other sizes or memory
      layouts get the graph of the example. Warning. When the exit follows a dict lookup keyed
      by a forward argument (SAM-style trackers: `memory.get(frame_idx - t)`), the legacy tracer
      (`dynamo=False`) turns the key into a tensor, every lookup misses and the loop silently
      keeps no memory at all. Error.
    - trip count or exit from tensor values (`if x[i].sum() > 0: break`,
      `range(int(n.item()))`): the dynamo exporter (`torch.onnx.export(dynamo=True)`,
      `torch.export`) fails with a data-dependent guard; the legacy tracer keeps the iterations
      of the example input (for a `continue`, the passes the example skipped) and is silently
      wrong on other inputs. Error.

    ## Example
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t)
            if out is None:
                continue
            feats.append(out)
    Use instead:
        # slots: (num_mem - 1, ...) stacked on the host, valid: (num_mem - 1,) 0/1 flags
        feats = slots * valid[:, None, None]

    ## Known problems
    Loops over a local list are not reported: what decides the list's length (a conditional
    `append`, another loop) is reported where it happens, and a `torch.cat` of the list by
    variable-length-cat. A list passed to a helper method is assumed to have a fixed length.

    ## Fix safety
    Unsafe: `exportlint fix --rule dynamic-loop` (one remedy with dict-access and
    variable-length-cat) applies to a forward that gathers frames from a memory dict argument:
    the gathering runs on the host, the graph loops over a fixed number of slots with a validity
    mask. The wrapper is reported as working only after onnxruntime matches eager for memories
    with other frames present and missing.
    """

    code = "EXL102"
    name = "dynamic-loop"
    summary = "Loop whose trip count or early exit is decided at run time"
    probe_hint = "loop a fixed number of times and mask the extra iterations"
    hint = _HINTS["memory"]
    VALID = [
        Valid(forward("x", "return [layer(x) for layer in self.layers]")),
        Valid(forward("x", "return sum(x * i for i in range(self.num_layers))")),
        Valid(forward("x, feats: list[torch.Tensor]", "return sum(f.mean() for f in feats)")),
        Valid(forward("x, feats: list[torch.Tensor]", "return [feats[i] for i in range(len(feats))]")),
    ]
    INVALID = [
        Invalid(MEMORY_LOOP, line=8, severity="error", column=17,
                message="loop left early by `continue` at line 11 when `out is None`"),
        Invalid(_DATA_BREAK, line=7, severity="error", column=17,
                message="loop left early by `break` at line 9 when `x[i].sum() > 0`"),
        Invalid(forward("x: torch.Tensor", "return [row * 2 for row in x]"),
                line=7, severity="warning", column=35,
                message="comprehension whose trip count is set by `x`"),
        Invalid(forward("x, memory: dict", "return [v * x for v in memory.values()]"),
                line=7, severity="warning", column=31,
                message="comprehension whose trip count is set by `memory`"),
        Invalid(forward("x, n: int", "return [x * i for i in range(n)]"),
                line=7, severity="warning", column=31,
                message="comprehension whose trip count is set by `n`"),
        Invalid(forward("x", "return [x * i for i in range(int(x.sum().item()))]"),
                line=7, severity="error", column=31,
                message="comprehension whose trip count is set by `x.sum().item()`"),
        Invalid(forward("x", "return [v for v in x.unbind(0) if v.sum() > 0]"),
                line=7, severity="error", column=27,
                message="comprehension whose trip count is set by `x.unbind(0)`"),
    ]

    def visit_For(self, node: cst.For) -> None:
        if self.flow is None:
            return
        sizes = sizes_of(self.flow)
        self._report(node.iter, sizes.trip(node.iter, follow_growth=False), sizes.exit_causes(node), "loop")

    def visit_While(self, node: cst.While) -> None:
        if self.flow is not None:
            self._report(node.test, None, sizes_of(self.flow).exit_causes(node), "`while` loop")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if self.flow is None:
            return
        sizes = sizes_of(self.flow)
        filters = [sizes.decision(i.test, f"`{source_text(i.test, width=50)}`", i) for i in node.ifs]
        self._report(node.iter, sizes.trip(node.iter, follow_growth=False), [f for f in filters if f],
                     "comprehension")

    def _report(self, at: cst.BaseExpression, trip: Cause | None, exits: list[Cause], what: str) -> None:
        if trip is not None and trip.dep < Dep.ARGUMENT:
            trip = None
        cause = worst([trip, *exits])
        if cause is None:
            return
        parts = []
        structure = sizes_of(self.flow).structure if self.flow is not None else None
        if trip is not None:
            parts.append(f"whose trip count is set by {trip.text} ({why(trip)})")
        if exits and structure is not None:
            left = [f"{describe(ex, self.facts, structure)} ({why(ex)})" for ex in exits]
            verb = "filtered by " if isinstance(exits[0].node, cst.CompIf) else "left early by "
            parts.append(verb + " and ".join(left))
        message = f"{what} {' and '.join(parts)}: {consequence(cause, 'it')}"
        self.report(at, message, cause_outcomes(cause), hint=_HINTS[_hint_key(cause)])


def describe(cause: Cause, facts: FileFacts, structure: Structure) -> str:
    """Where a cause is, in words: "`continue` at line 84 when `out is None`"."""
    node, line = cause.node, facts.line_of(cause.node, structure.fn)
    if isinstance(node, (cst.Break, cst.Continue)):
        word = "break" if isinstance(node, cst.Break) else "continue"
        return f"`{word}` at line {line} when {cause.text}"
    if isinstance(node, cst.CompIf):
        return f"`if {cause.text.strip('`')}` at line {line}"
    parent = structure.parent.get(node)
    if isinstance(parent, (cst.If, cst.While)) and parent.test is node:
        word = "if" if isinstance(parent, cst.If) else "while"
        return f"`{word} {cause.text.strip('`')}` at line {line}"
    return f"{cause.text} at line {line}"


def _hint_key(cause: Cause) -> str:
    if cause.dep >= Dep.DATA:
        return "data"
    if cause.key_miss or cause.dep == Dep.LAYOUT:
        return "memory"
    return "shape" if cause.dep == Dep.SHAPE else "flag"
