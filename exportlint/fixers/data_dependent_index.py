"""data-dependent-index fixer: static-shape equivalents of indexing by tensor values.

- `x[ids]` / `x[ids, ...]` with a 1-D integer tensor: `x.index_select(0, ids)` (same values,
  shape fixed by `ids`);
- `x[mask] = v` with a boolean mask: `x = torch.where(mask, v, x)` (no selected count at all);
- `x[mask].sum()` / `.mean()`: masked arithmetic on the full tensor.
- `torch.masked_select(x, m)`: boolean indexing of the broadcast tensors, the same elements in
  the same order (both exporters convert it; dynamo has no masked_select).
Everything else whose output size is decided by tensor values (`nonzero`, a boolean-mask read
used further, `unique`, Python numbers from tensors as indices) has no safe automatic fix: it
is reported as manual work with the reason, unless every chosen exporter converts it faithfully.
"""

from __future__ import annotations

import libcst as cst

from exportlint.fixers.facts.runtime import Observation, trace_forward
from exportlint.fixers.facts.source_index import Site
from exportlint.fixers.rewrites.codemods import Edit, Replacement, keep_parens
from exportlint.fixers.rewrites.loops import loaded_names
from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.model import Finding


class DataDependentIndexFixer(Fixer):
    rule = "data-dependent-index"
    title = "index_select / torch.where / masked arithmetic instead of value-dependent indexing"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        targets = [(f, _subscript_at(plan, f)) for f in ctx.findings_for(self.rule)
                   if plan.facts.ran(f.symbol)]
        probes = [_probe(plan, f, node) for f, node in targets
                  if node is not None and f.symbol in plan.index.methods]
        seen = _observe(ctx, [p for p in probes if p is not None])
        for finding, node in targets:
            if node is None and finding.symbol in plan.index.methods and ctx.blocks(finding) \
                    and _masked_select(plan, finding):
                continue
            if node is not None and _only_slices(node) and _converted_here(ctx, finding, node):
                continue  # a bound from int()/.item() is tensor-to-python's, at the conversion
            if finding.symbol not in plan.index.methods:
                # A module-level helper (`filter_detections(boxes, scores)`): rewrites reach
                # methods only, so it stays as written; manual work only where it blocks.
                reason: str | None = (f"it is in the function `{finding.symbol}`, which this fixer "
                                      "does not rewrite")
            else:
                reason = _fix(plan, finding, node, seen) if node is not None else \
                    "its output size is decided by tensor values"
            if reason and ctx.blocks(finding):
                plan.needs_manual(self.rule, finding.location.line, finding.symbol,
                                  f"{_what(plan, finding, node)}: {reason}; no safe automatic fix "
                                  "(keep a fixed size, e.g. top-k, and carry a validity mask).")


MASKED_SELECT = '''
def _masked_select(values: Tensor, mask: Tensor) -> Tensor:
    """`torch.masked_select` as boolean indexing: the same elements in the same order, which
    both exporters convert (NonZero + GatherND; the dynamo exporter has no masked_select)."""
    values, mask = torch.broadcast_tensors(values, mask)
    return values[mask]
'''


def _masked_select(plan: WrapperPlan, finding: Finding) -> bool:
    """Rewrite the `torch.masked_select(x, m)` / `x.masked_select(m)` at the finding."""
    where = (finding.location.line, finding.location.column)
    calls = [n for n, pos in plan.index.positions.items() if isinstance(n, cst.Call)
             and (pos.start.line, pos.start.column) == where]
    for call in calls:
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "masked_select"):
            continue
        code = plan.index.code(func.value)
        args = [a for a in call.args if a.keyword is None]
        if code in ("torch", "th") and len(args) == 2 and len(call.args) == 2:
            values, mask = args[0].value, args[1].value
        elif code not in ("torch", "th") and len(args) == 1 and len(call.args) == 1:
            values, mask = func.value, args[0].value
        else:
            return False
        text = f"_masked_select({plan.index.code(values)}, {plan.index.code(mask)})"
        plan.edit(finding.symbol, call, _replace_with(text))
        plan.helpers["_masked_select"] = MASKED_SELECT
        plan.note(DataDependentIndexFixer.rule, f"`{' '.join(plan.index.code(call).split())}` "
                  "is boolean indexing (`_masked_select`): the same elements in the same order, "
                  "which both exporters convert; the dynamo exporter has no masked_select.",
                  finding.location.line)
        return True
    return False


def _only_slices(node: cst.Subscript) -> bool:
    """`x[:, :n]`: slices (and `...`) only. A data-dependent bound there comes from a
    conversion (`int(t)`, `.item()`) that tensor-to-python reports and rewrites where it can."""
    return all(isinstance(e.slice, cst.Slice) or (isinstance(e.slice, cst.Index) and
                                                  isinstance(e.slice.value, cst.Ellipsis))
               for e in node.slice)


def _converted_here(ctx: FixContext, finding: Finding, node: cst.Subscript) -> bool:
    """A tensor-to-python finding sits on the subscript's line or where a name in its bounds
    is assigned in the method: that conversion is the blocker, reported (or fixed) there."""
    plan = ctx.plan
    lines = {finding.location.line}
    names = loaded_names(list(node.slice))
    span = plan.index.positions[plan.index.methods[finding.symbol].node]
    for stmt, pos in plan.index.positions.items():
        inside = span.start.line <= pos.start.line <= span.end.line
        if inside and isinstance(stmt, cst.Assign) and any(
                isinstance(t.target, cst.Name) and t.target.value in names for t in stmt.targets):
            lines.add(pos.start.line)
    return any(f.location.line in lines for f in ctx.findings_for("tensor-to-python"))


def _replace_with(text: str) -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.BaseExpression)
        return keep_parens(node, cst.parse_expression(text))

    return edit


def _subscript_at(plan: WrapperPlan, finding: Finding) -> cst.Subscript | None:
    where = (finding.location.line, finding.location.column)
    for node, pos in plan.index.positions.items():
        if isinstance(node, cst.Subscript) and (pos.start.line, pos.start.column) == where:
            return node
    return None


def _index_expr(node: cst.Subscript) -> cst.BaseExpression | None:
    """The first index of `x[i]` / `x[i, ...]`; None for slices and other forms."""
    elements = node.slice
    if len(elements) == 2 and isinstance(elements[1].slice, cst.Index) and \
            isinstance(elements[1].slice.value, cst.Ellipsis):
        elements = elements[:1]
    if len(elements) != 1 or not isinstance(elements[0].slice, cst.Index):
        return None
    return elements[0].slice.value


def _probe(plan: WrapperPlan, finding: Finding, node: cst.Subscript) -> Site | None:
    index = _index_expr(node)
    if index is None:
        return None
    start = plan.index.positions[index].start
    return Site("if", finding.symbol, start.line, start.column, plan.index.code(index),
                start.line)


def _observe(ctx: FixContext, probes: list[Site]) -> dict[tuple[int, int], Observation]:
    if not probes:
        return {}
    facts, _ = trace_forward(ctx.module, ctx.args, ctx.kwargs, ctx.plan.index, probes)
    return {p.key: facts.sites[p.key][0] for p in probes if facts.sites.get(p.key)}


def _fix(plan: WrapperPlan, finding: Finding, node: cst.Subscript,
         seen: dict[tuple[int, int], Observation]) -> str:
    index = _index_expr(node)
    if index is None:
        return "the index form has no static-shape equivalent here"
    start = plan.index.positions[index].start
    observed = seen.get((start.line, start.column))
    if observed is None:
        # Not on this configuration's path: the export never sees it (SAM3's segmentation head
        # indexes by image id only in a branch its configuration does not take).
        plan.note(DataDependentIndexFixer.rule, f"`{plan.index.code(node)}` is left as is: the "
                  "traced forward never ran it in this configuration.", finding.location.line)
        return ""
    if observed.kind != "tensor":
        return "the index is not a tensor when it runs"
    if observed.dtype.startswith(("int", "uint")) and observed.ndim == 1:
        plan.edit(finding.symbol, node, _index_select())
        plan.note(DataDependentIndexFixer.rule, f"`{plan.index.code(node)}` becomes "
                  "`index_select` along dim 0 (same values; the shape follows the index).",
                  finding.location.line)
        return ""
    if observed.dtype == "bool":
        return _boolean(plan, finding, node)
    return f"an index tensor of dtype {observed.dtype} with {observed.ndim} dimensions"


def _index_select() -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Subscript)
        index = _index_expr(node)
        assert index is not None
        call = cst.parse_expression("x.index_select(0, i)")
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        func = call.func.with_changes(value=node.value)
        args = [call.args[0], call.args[1].with_changes(value=index)]
        return keep_parens(node, call.with_changes(func=func, args=args))

    return edit


def _boolean(plan: WrapperPlan, finding: Finding, node: cst.Subscript) -> str:
    """Boolean masks: writes become torch.where; reads reduced right away become masked sums."""
    parents = _parents(plan, finding.symbol)
    parent = parents.get(node)
    if isinstance(parent, cst.AssignTarget):
        statement = parents.get(parents.get(parent))  # type: ignore[arg-type]
        assign = parents.get(parent)
        if isinstance(assign, cst.Assign) and isinstance(statement, cst.SimpleStatementLine) \
                and len(statement.body) == 1 and isinstance(node.value, cst.Name):
            plan.edit(finding.symbol, statement, _masked_write(node, assign))
            plan.helpers["_as_mask"] = AS_MASK
            plan.note(DataDependentIndexFixer.rule, f"the boolean-mask write `{plan.index.code(node)} "
                      "= ...` becomes torch.where (nothing is selected, so no size depends on "
                      "values).", finding.location.line)
            return ""
        return "a boolean-mask write into something other than a plain name"
    reduce = parents.get(parent) if isinstance(parent, cst.Attribute) else None
    if isinstance(parent, cst.Attribute) and parent.attr.value in ("sum", "mean") and \
            isinstance(reduce, cst.Call) and not reduce.args:
        plan.edit(finding.symbol, reduce, _masked_reduce(parent.attr.value))
        plan.helpers["_as_mask"] = AS_MASK
        plan.note(DataDependentIndexFixer.rule, f"`{plan.index.code(reduce)}` becomes masked "
                  "arithmetic on the whole tensor.", finding.location.line)
        return ""
    return "the number of selected elements is decided by tensor values"


def _masked_write(target: cst.Subscript, assign: cst.Assign) -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        mask = cst.Module([]).code_for_node(_index_expr(target))  # type: ignore[arg-type]
        name = cst.Module([]).code_for_node(target.value)
        value = cst.Module([]).code_for_node(assign.value)
        text = f"{name} = torch.where(_as_mask({mask}, {name}), {value}, {name})"
        return cst.parse_statement(text).with_changes(leading_lines=node.leading_lines)  # type: ignore[attr-defined]

    return edit


def _masked_reduce(kind: str) -> Edit:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        target = node.func.value
        assert isinstance(target, cst.Subscript)
        code = cst.Module([]).code_for_node
        mask, base = code(_index_expr(target)), code(target.value)  # type: ignore[arg-type]
        full = f"_as_mask({mask}, {base})"
        total = f"torch.where({full}, {base}, 0).sum()"
        text = total if kind == "sum" else f"{total} / {full}.expand_as({base}).sum()"
        return keep_parens(node, cst.parse_expression(f"({text})" if kind == "mean" else text))

    return edit


def _parents(plan: WrapperPlan, symbol: str) -> dict[cst.CSTNode, cst.CSTNode]:
    parents: dict[cst.CSTNode, cst.CSTNode] = {}

    class _Parents(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            for child in node.children:
                parents[child] = node
            return True

    plan.index.methods[symbol].node.visit(_Parents())
    return parents


def _what(plan: WrapperPlan, finding: Finding, node: cst.Subscript | None) -> str:
    if node is not None:
        return f"`{' '.join(plan.index.code(node).split())}`"
    return finding.message.split(":")[0]


AS_MASK = '''
def _as_mask(mask: Tensor, like: Tensor) -> Tensor:
    """A boolean mask over leading dimensions, broadcast over the trailing ones of `like`."""
    return mask.reshape(*mask.shape, *([1] * (like.dim() - mask.dim())))
'''
